//! play, render, scenes, check, bench: exit codes, messages, and the files they write.

use tickframe_core::{DrawMode, RenderContext, Renderer, frame_hash};
use tickframe_scenes::file::{Overrides, load_scene_file};

use crate::common::{bin, decode_png, repo, run, scratch, stderr};

#[test]
fn scenes_lists_every_builtin_scene_with_parameters() {
    let o = run(&["scenes"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    for info in tickframe_scenes::builtin_scenes() {
        assert!(text.lines().any(|l| l == info.name), "`{}` not listed", info.name);
        for p in info.params {
            assert!(text.contains(p.name), "`{}.{}` not listed", info.name, p.name);
        }
    }
    let o = run(&["scenes", "mandlebrot"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean `mandelbrot`?"), "{}", stderr(&o));
}

#[test]
fn check_accepts_the_examples_and_rejects_bad_files_with_a_location() {
    for ex in ["examples/totem.toml", "examples/oled.toml", "examples/desktop.toml"] {
        let o = run(&["check", ex]);
        assert!(o.status.success(), "{ex}: {}", stderr(&o));
        assert!(String::from_utf8_lossy(&o.stdout).starts_with("ok: "));
    }
    let dir = scratch("check");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "seed = 1\nscene = \"solid\"\n[display]\nwidth = 256\nheight = 64\nfps = 0\n")
        .unwrap();
    let o = run(&["check", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let msg = stderr(&o);
    assert!(msg.contains(&format!("{}:6:7: `display.fps`", bad.display())), "no file:line:col in {msg}");
    let o = run(&["check", dir.join("missing.toml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("missing.toml"), "{}", stderr(&o));
}

#[test]
fn render_writes_the_same_pixels_as_the_library_on_both_paths() {
    let dir = scratch("render");
    let out_list = dir.join("list.png");
    let out_direct = dir.join("direct.png");
    let o = run(&["render", "examples/totem.toml", "--tick", "150", "-o", out_list.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&[
        "render",
        "examples/totem.toml",
        "--tick",
        "150",
        "--draw",
        "direct",
        "-o",
        out_direct.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let scene = load_scene_file(&repo().join("examples/totem.toml"), &Overrides::default()).unwrap();
    let ctx = RenderContext::new(scene.size, scene.rate, scene.seed, 150);
    let expected = Renderer::new(DrawMode::DisplayList).render_new(&*scene.root, &ctx);
    assert_eq!(frame_hash(decode_png(&out_list).view()), frame_hash(expected.view()));
    assert_eq!(frame_hash(decode_png(&out_direct).view()), frame_hash(expected.view()));
}

#[test]
fn bad_input_exits_2_and_leaves_no_output() {
    let dir = scratch("bad");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "scene = \"mandlebrot\"\n[display]\nwidth = 256\nheight = 64\nfps = 60\n").unwrap();
    let out = dir.join("out.png");
    let o = run(&["render", bad.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean `mandelbrot`?"), "{}", stderr(&o));
    assert!(!out.exists(), "an output file was left behind");
    let frames = dir.join("frames");
    let o = run(&["play", bad.to_str().unwrap(), "--out", &format!("png-dir:{}", frames.display())]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!frames.join("manifest.json").exists());
    for args in [
        &["play", "--out", "bogus"][..],
        &["play", "--out", "null", "--size", "0x5"],
        &["play", "--out", "null", "--size", "16385x2"],
        &["play", "--out", "null", "--fps", "0"],
        &["play", "--out", "null", "--seconds", "-1"],
        &["render", "examples/totem.toml", "-o", "/nonexistent-dir/x.png"],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{args:?} panicked");
    }
}

#[test]
fn png_dir_writes_numbered_frames_then_a_manifest() {
    let dir = scratch("pngdir");
    let frames = dir.join("frames");
    let o = run(&[
        "play",
        "examples/oled.toml",
        "--out",
        &format!("png-dir:{}", frames.display()),
        "--seconds",
        "0.5",
        "--fps",
        "10",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(frames.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["frames"], 5);
    assert_eq!(manifest["fps"], "10");
    for t in 0..5 {
        let f = decode_png(&frames.join(format!("frame-{t:06}.png")));
        assert_eq!((f.width(), f.height()), (128, 64));
    }
    assert!(!frames.join("frame-000005.png").exists());
}

#[test]
fn raw_writes_rgba_frames_to_stdout() {
    let o = run(&["play", "--out", "raw", "--seconds", "0.1", "--size", "8x4", "--seed", "3"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // 0.1 s at the demo's 60 fps is 6 frames of 8x4 RGBA.
    assert_eq!(o.stdout.len(), 6 * 8 * 4 * 4);
}

#[test]
fn terminal_preview_refuses_a_non_terminal_stdout() {
    let o = run(&["play", "--seconds", "1"]);
    assert_eq!(o.status.code(), Some(2));
    let msg = stderr(&o);
    assert!(msg.contains("not a terminal") && msg.contains("--out png-dir:DIR"), "{msg}");
}

#[test]
fn play_null_reports_a_summary() {
    let o = run(&["play", "examples/totem.toml", "--out", "null", "--seconds", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("60 frames"), "{}", stderr(&o));
}

#[test]
fn bench_measures_and_compares() {
    let dir = scratch("bench");
    let json = dir.join("bench.json");
    // Run from another folder: the image scene's assets are found through the source tree.
    let o = bin()
        .args([
            "bench",
            "--scenes",
            "solid,confetti,image",
            "--sizes",
            "256x64,32x16",
            "--frames",
            "20",
            "--pacing-frames",
            "8",
            "--case-seconds",
            "0.1",
            "--max-workers",
            "2",
            "--json",
            json.to_str().unwrap(),
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(!stderr(&o).contains("skipping"), "{}", stderr(&o));
    for header in
        ["p50 ms", "alloc/f", "vs reference", "fps, 1..N workers", "efficiency", "naive w/f", "drop n/r/i"]
    {
        assert!(text.contains(header), "no `{header}` column: {text}");
    }
    assert!(text.contains("confetti") && text.contains("faster"), "{text}");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    assert_eq!(doc["format"], "tickframe-bench");
    let rows = doc["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 6, "3 scenes × 2 sizes");
    let sizes: Vec<&str> = rows.iter().map(|r| r["size"].as_str().unwrap()).collect();
    assert!(sizes.contains(&"256x64") && sizes.contains(&"32x16"), "{sizes:?}");
    for r in rows {
        let s = &r["single_core"];
        assert!(s["frames"].as_u64().unwrap() >= 5, "{r}");
        assert!(s["p50_ms"].as_f64().unwrap() > 0.0 && s["allocs_per_frame"].as_f64().is_some(), "{r}");
        let sc = &r["scaling"];
        assert_eq!(sc["fps_by_workers"].as_array().unwrap().len(), 2, "{r}");
        assert_eq!(sc["efficiency_by_workers"][0], 1.0, "{r}");
        assert!(sc["fps_by_workers"][0].as_f64().unwrap() > 0.0, "{r}");
        let p = &r["pacing"];
        for run in ["naive", "ahead_repeat", "ahead_inline"] {
            for key in ["work_mean_ms", "dropped", "interval_p99_ms", "interval_max_ms", "inline_renders"] {
                assert!(!p[run][key].is_null(), "pacing.{run}.{key} missing: {r}");
            }
        }
        // The naive loop renders every presented frame inline; render-ahead with repeat never does.
        assert_eq!(p["naive"]["inline_renders"], p["naive"]["presented"], "{r}");
        assert_eq!(p["ahead_repeat"]["inline_renders"], 0, "{r}");
    }
    let o = run(&["bench", "--scenes", "solid", "--sizes", "8x8", "--case-seconds", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn play_rejects_bad_engine_options_with_exit_2() {
    for (args, needle) in [
        (&["play", "--out", "null", "--workers", "0"][..], "--workers must be at least 1"),
        (&["play", "examples/totem.toml", "--out", "null", "--cache-mb", "0.01"], "less than one frame"),
        (&["play", "--out", "null", "--cache-mb=-3"], "--cache-mb must be a positive number"),
        (&["play", "--out", "null", "--fps", "100000"], "invalid frame rate"),
        (&["play", "--out", "null", "--fps", "nan"], "invalid frame rate"),
        (&["play", "--out", "null", "--miss", "sometimes"], "sometimes"),
        (&["play", "--out", "null", "--cache-mb", "1e8"], "more than the maximum of 65536 MiB"),
        (&["play", "--out", "null", "--cache-mb", "-3"], "--cache-mb must be a positive number"),
        (&["play", "--out", "null", "--fps", "1/1000000000"], "below the minimum of 0.01 fps"),
        (&["play", "--out", "null", "--fps", "0.0001"], "below the minimum of 0.01 fps"),
        (&["play", "--out", "null", "--fps", "-5"], "the frame rate must be positive, got `-5`"),
        (&["play", "--out", "null", "--workers", "100000"], "at most 256 worker threads"),
        (
            &["play", "--out", "null", "--size", "16384x16384", "--workers", "200"],
            "more than this machine's memory",
        ),
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let msg = stderr(&o);
        assert!(msg.contains(needle), "{args:?}: {msg}");
        assert!(!msg.contains("panicked"), "{args:?} panicked");
    }
}

#[test]
fn play_writes_a_report_and_frame_log() {
    let dir = scratch("report");
    let report = dir.join("r.json");
    let log = dir.join("frames.jsonl");
    let o = run(&[
        "play",
        "examples/oled.toml",
        "--out",
        "null",
        "--seconds",
        "0.5",
        "--workers",
        "2",
        "--miss",
        "inline",
        "--report",
        report.to_str().unwrap(),
        "--log-frames",
        log.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let msg = stderr(&o);
    assert!(msg.contains("null:") && msg.contains("interval p50"), "{msg}");
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["workers"], 2);
    assert_eq!(r["paced"], true);
    assert_eq!(r["miss_policy"], "render-inline");
    let out = &r["outputs"][0];
    for key in
        ["interval_ms", "lateness_ms", "render_ms", "presenter_work_ms", "cache_hit_rate", "gaps_over_25ms"]
    {
        assert!(!out[key].is_null(), "report lacks outputs[0].{key}: {out}");
    }
    let presented = out["presented"].as_u64().unwrap();
    // Every tick is presented or dropped (a repeat is presented and counted as dropped).
    let (repeated, dropped) = (out["repeated"].as_u64().unwrap(), out["dropped"].as_u64().unwrap());
    assert_eq!(presented - repeated + dropped, 30);
    assert!(r["worker_utilisation"].as_f64().is_some());
    assert!(r["rss_end_kib"].as_u64().unwrap_or(1) > 0);
    let lines = std::fs::read_to_string(&log).unwrap();
    let logged = r["log"]["written"].as_u64().unwrap() + r["log"]["dropped"].as_u64().unwrap();
    assert_eq!(logged, presented);
    assert_eq!(lines.lines().count() as u64, r["log"]["written"].as_u64().unwrap());
    let first: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!(first["backend"], "cpu");
    assert_eq!(first["output"], "null");
}

#[test]
fn play_unpaced_null_presents_every_frame_in_order() {
    let dir = scratch("unpaced");
    let report = dir.join("r.json");
    let o = run(&[
        "play",
        "examples/totem.toml",
        "--out",
        "null",
        "--unpaced",
        "--seconds",
        "2",
        "--workers",
        "3",
        "--cache-mb",
        "1",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["paced"], false);
    assert_eq!(r["outputs"][0]["presented"], 120);
    assert_eq!(r["outputs"][0]["dropped"], 0);
    assert!(r["cache"]["peak_bytes"].as_u64().unwrap() <= 1 << 20);
}

#[test]
fn raw_frames_are_identical_with_1_and_4_workers() {
    let args = |w: &'static str| {
        run(&[
            "play",
            "examples/totem.toml",
            "--out",
            "raw",
            "--seconds",
            "0.5",
            "--size",
            "32x8",
            "--workers",
            w,
        ])
    };
    let (a, b) = (args("1"), args("4"));
    assert!(a.status.success() && b.status.success(), "{}{}", stderr(&a), stderr(&b));
    assert_eq!(a.stdout.len(), 30 * 32 * 8 * 4);
    assert!(a.stdout == b.stdout, "raw bytes differ between 1 and 4 workers");
}

#[test]
fn a_failing_frame_log_still_gives_the_summary_and_the_report() {
    let dir = scratch("logfail");
    let report = dir.join("r.json");
    let o = run(&[
        "play",
        "examples/oled.toml",
        "--out",
        "null",
        "--seconds",
        "0.3",
        "--log-frames",
        "/dev/full",
        "--report",
        report.to_str().unwrap(),
    ]);
    let msg = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{msg}");
    assert!(msg.contains("interval p50"), "no summary: {msg}");
    assert!(msg.contains("frame log FAILED") && msg.contains("/dev/full"), "{msg}");
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["outputs"][0]["presented"], 18);
    assert!(r["log"]["error"].as_str().unwrap().contains("No space left"), "{}", r["log"]);
}

#[test]
fn the_scene_key_follows_the_scene_files_content() {
    let dir = scratch("scenekey");
    let file = dir.join("s.toml");
    let key = |text: &str| {
        std::fs::write(&file, text).unwrap();
        let report = dir.join("r.json");
        let o = run(&[
            "play",
            file.to_str().unwrap(),
            "--out",
            "null",
            "--seconds",
            "0.05",
            "--report",
            report.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        r["scene_key"].as_str().unwrap().to_string()
    };
    let base =
        "seed = 1\nscene = \"solid\"\ncolor = \"#ff0000\"\n[display]\nwidth = 16\nheight = 8\nfps = 60\n";
    let a = key(base);
    assert_eq!(a.len(), 32);
    assert_eq!(key(base), a, "the same content gives the same key");
    // Any change of content (a colour, even a comment) gives another key: the cache, keyed by
    // (scene key, tick), can never serve a frame of the old file.
    assert_ne!(key(&base.replace("#ff0000", "#00ff00")), a);
    assert_ne!(key(&format!("# edited\n{base}")), a);
}

#[test]
fn ctrl_c_stops_cleanly_with_the_report_and_the_log_written() {
    let dir = scratch("ctrlc");
    let report = dir.join("r.json");
    let log = dir.join("l.jsonl");
    let child = bin()
        .args([
            "play",
            "examples/oled.toml",
            "--out",
            "null",
            "--seconds",
            "30",
            "--report",
            report.to_str().unwrap(),
            "--log-frames",
            log.to_str().unwrap(),
        ])
        .current_dir(repo())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until frames are being logged, then interrupt.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::fs::metadata(&log).map_or(0, |m| m.len()) == 0 && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let killed = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let o = child.wait_with_output().unwrap();
    let msg = stderr(&o);
    // Cut short before its 30 s: the summary and report are written, and the exit code (130,
    // the shell's code for SIGINT) tells a script the run is incomplete.
    assert_eq!(o.status.code(), Some(130), "{msg}");
    assert!(msg.contains("interval p50"), "summary printed: {msg}");
    assert!(msg.contains("interrupted by Ctrl-C after "), "{msg}");
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let out = &r["outputs"][0];
    assert_eq!(out["finished"], false, "an interrupted run does not look complete");
    let presented = out["presented"].as_u64().unwrap();
    assert!(presented > 0 && presented < 30 * 60, "{out}");
    let lines = std::fs::read_to_string(&log).unwrap();
    assert_eq!(lines.lines().count() as u64, r["log"]["written"].as_u64().unwrap(), "log flushed");
    assert_eq!(r["log"]["written"].as_u64().unwrap() + r["log"]["dropped"].as_u64().unwrap(), presented);
    for line in lines.lines() {
        let _: serde_json::Value = serde_json::from_str(line).expect("every line complete JSON");
    }
}
