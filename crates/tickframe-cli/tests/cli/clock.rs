//! `--clock` and `--utc-offset`: `now` is recorded in the report and the frame log, and the
//! recorded value fed back to `play` or `render` gives the same frames; every accepted form of
//! the same instant gives the same picture.

use crate::common::{decode_png, run, scratch, stderr};

/// A clock overlay scene (date and seconds shown) written into `dir`.
fn clock_scene(dir: &std::path::Path) -> String {
    let path = dir.join("clock.toml");
    std::fs::write(
        &path,
        "scene = \"clock\"\nstart = \"08:00\"\ndate = true\n[display]\nwidth = 160\nheight = 40\nfps = 10\n",
    )
    .unwrap();
    path.display().to_string()
}

fn render(scene: &str, out: &std::path::Path, tick: &str, clock: &[&str]) -> tickframe_core::Frame {
    let mut args = vec!["render", scene, "--tick", tick, "-o", out.to_str().unwrap()];
    args.extend_from_slice(clock);
    let o = run(&args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    decode_png(out)
}

#[test]
fn clock_now_is_recorded_and_the_record_replays_the_same_frames() {
    let dir = scratch("clock-now");
    let scene = clock_scene(&dir);
    let (report, log, frames) = (dir.join("r.json"), dir.join("f.jsonl"), dir.join("frames"));
    let o = run(&[
        "play",
        &scene,
        "--out",
        &format!("png-dir:{}", frames.display()),
        "--seconds",
        "0.3",
        "--clock",
        "now",
        "--utc-offset",
        "+05:30",
        "--report",
        report.to_str().unwrap(),
        "--log-frames",
        log.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let unix = r["clock_start_unix_seconds"].as_i64().unwrap();
    assert!(unix > 1_700_000_000, "{r}");
    assert_eq!(r["clock_utc_offset"], "+05:30");
    let replay = r["clock_replay"].as_str().unwrap().to_string();
    assert_eq!(replay, format!("--clock {unix} --utc-offset +05:30"));
    // The frame log's first line carries the same record.
    let first: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&log).unwrap().lines().next().unwrap()).unwrap();
    assert_eq!(first["clock_start_unix_seconds"], unix);
    assert_eq!(first["clock_replay"], replay.as_str());
    // Feeding the record back gives the very frames `play` wrote.
    let replay_args: Vec<&str> = replay.split(' ').collect();
    for t in [0, 2] {
        let again = render(&scene, &dir.join(format!("again-{t}.png")), &t.to_string(), &replay_args);
        let played = decode_png(&frames.join(format!("frame-{t:06}.png")));
        assert!(again.pixels() == played.pixels(), "tick {t} differs on replay");
    }
    // And it is not the scene's own 08:00 start (unless it is 08:00 at +05:30 right now).
    let own = render(&scene, &dir.join("own.png"), "0", &[]);
    let replayed = decode_png(&dir.join("again-0.png"));
    let civil = (unix + 5 * 3600 + 30 * 60).rem_euclid(86_400);
    assert!(civil / 60 == 8 * 60 || own.pixels() != replayed.pixels());
}

#[test]
fn every_form_of_one_instant_shows_the_same_time() {
    let dir = scratch("clock-forms");
    let scene = clock_scene(&dir);
    // 1796315795 = 2026-12-03 16:36:35 UTC = 17:36:35 at +01:00.
    let cases: [&[&str]; 5] = [
        &["--clock", "1796315795", "--utc-offset", "+01:00"],
        &["--clock", "2026-12-03T17:36:35+01:00"],
        &["--clock", "2026-12-03T16:36:35.5Z", "--utc-offset", "+01:00"],
        &["--clock", "2026-12-03T17:36:35"],
        &["--clock", "2026-12-03 17:36:35", "--utc-offset", "-09:00"],
    ];
    let first = render(&scene, &dir.join("0.png"), "15", cases[0]);
    for (i, args) in cases.iter().enumerate().skip(1) {
        let f = render(&scene, &dir.join(format!("{i}.png")), "15", args);
        assert!(f.pixels() == first.pixels(), "{args:?} differs");
    }
    // The recorded unix seconds alone (UTC) show an hour earlier: another picture.
    let utc = render(&scene, &dir.join("utc.png"), "15", &["--clock", "1796315795"]);
    assert!(utc.pixels() != first.pixels());
    for (args, want) in [
        (&["--clock", "25:00"][..], "--clock: expected `now`, unix seconds"),
        (&["--clock", "12:00", "--utc-offset", "5"][..], "--utc-offset: expected a UTC offset"),
        (&["--utc-offset", "+01:00"][..], "--utc-offset needs --clock"),
    ] {
        let mut a = vec!["render", &scene, "-o", "/dev/null"];
        a.extend_from_slice(args);
        let o = run(&a);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
    }
}

/// `play --audio-offset-ms` shifts the picture by whole ticks: 500 ms ahead at 20 fps is 10
/// ticks, so frame k is the scene's frame k + 10; -100 ms holds tick 0 for 2 frames.
#[test]
fn audio_offset_ms_shifts_the_picture_by_whole_ticks() {
    let dir = scratch("audio-offset");
    for (ms, shift) in [("500", 10i64), ("-100", -2)] {
        let (frames, report) = (dir.join(format!("frames{ms}")), dir.join(format!("r{ms}.json")));
        let o = run(&[
            "play",
            "examples/visualizer.toml",
            "--size",
            "64x16",
            "--fps",
            "20",
            "--out",
            &format!("png-dir:{}", frames.display()),
            "--seconds",
            "0.25",
            "--audio-offset-ms",
            ms,
            "--report",
            report.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        assert_eq!(r["audio_offset_ticks"], shift);
        for k in 0..5i64 {
            let want = (k + shift).max(0);
            let png = dir.join(format!("r{ms}-{k}.png"));
            let o = run(&[
                "render",
                "examples/visualizer.toml",
                "--size",
                "64x16",
                "--fps",
                "20",
                "--tick",
                &want.to_string(),
                "-o",
                png.to_str().unwrap(),
            ]);
            assert!(o.status.success(), "{}", stderr(&o));
            let played = decode_png(&frames.join(format!("frame-{k:06}.png")));
            assert!(
                decode_png(&png).pixels() == played.pixels(),
                "offset {ms}: frame {k} is not tick {want}"
            );
        }
        // The shift shows: 500 ms in, the bars differ from the start's.
        if shift > 0 {
            let start = dir.join("start.png");
            let o = run(&[
                "render",
                "examples/visualizer.toml",
                "--size",
                "64x16",
                "--fps",
                "20",
                "-o",
                start.to_str().unwrap(),
            ]);
            assert!(o.status.success(), "{}", stderr(&o));
            assert!(decode_png(&start).pixels() != decode_png(&frames.join("frame-000000.png")).pixels());
        }
    }
    let o = run(&["play", "examples/visualizer.toml", "--out", "null", "--audio-offset-ms", "nan"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

/// Frame hashes of a trace's index, in tick order.
fn trace_hashes(index: &serde_json::Value) -> Vec<String> {
    index["frames"].as_array().unwrap().iter().map(|f| f["hash"].as_str().unwrap().to_string()).collect()
}

#[test]
fn trace_records_its_clock_start_and_verify_renders_with_it() {
    let dir = scratch("clock-trace");
    let scene = clock_scene(&dir);
    let (with, own) = (dir.join("with-clock"), dir.join("own-clock"));
    let trace = |out: &std::path::Path, clock: &[&str]| {
        let mut args =
            vec!["trace", &scene, "--seconds", "0.5", "--format", "tfs", "-o", out.to_str().unwrap()];
        args.extend_from_slice(clock);
        let o = run(&args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        let text = std::fs::read_to_string(out.join("index.json")).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap()
    };
    // 1796315795 = 2026-12-03 16:36:35 UTC = 17:36:35 at +01:00.
    let index = trace(&with, &["--clock", "1796315795", "--utc-offset", "+01:00"]);
    let clock = &index["clock"];
    assert_eq!(clock["start_unix_seconds"], 1_796_315_795_i64, "{clock}");
    assert_eq!(clock["start_civil_seconds"], 1_796_315_795_i64 + 3600, "{clock}");
    assert_eq!(clock["utc_offset"], "+01:00");
    assert_eq!(clock["replay"], "--clock 1796315795 --utc-offset +01:00");
    // Without --clock the index has no clock and the frames show the scene's own 08:00.
    let own_index = trace(&own, &[]);
    assert!(own_index.get("clock").is_none(), "{}", own_index["clock"]);
    assert_ne!(trace_hashes(&index), trace_hashes(&own_index));

    // verify re-renders with the recorded start: everything matches.
    let o = run(&["verify", with.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    // With the record removed, verify renders the scene's own start and finds the mismatch.
    let mut stripped = index.clone();
    stripped.as_object_mut().unwrap().remove("clock");
    std::fs::write(with.join("index.json"), serde_json::to_string_pretty(&stripped).unwrap()).unwrap();
    let o = run(&["verify", with.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("tick 0"), "{}", stderr(&o));
}
