//! Live audio input (`source = "live"`) and its replay from a frame log (`source = "log"`).
//!
//! Without the `live-audio` feature: the clear error. With it (CI builds it): a real cpal
//! capture on ALSA's `null` device, which this sound-card-less machine has (its capture gives
//! silence, as fast as it is read): the run says it is not reproducible, the frame log carries
//! each tick's bands, and the show replayed from the log gives the very frames played.

use std::path::Path;

use crate::common::{decode_png, run, scratch, stderr};

/// A 64×16 visualizer scene with `source` lines.
fn scene(dir: &Path, name: &str, source: &str) -> std::path::PathBuf {
    let text = format!(
        "seed = 1\nscene = \"visualizer\"\n{source}\nmode = \"bars\"\nstyle = \"led\"\nbackground = \"#000010\"\n\n\
         [display]\nwidth = 64\nheight = 16\nfps = 60\n"
    );
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[cfg(not(feature = "live-audio"))]
#[test]
fn live_input_without_the_feature_is_a_clear_error() {
    let dir = scratch("live-nofeature");
    let live = scene(&dir, "live.toml", "source = \"live\"");
    let path = live.display().to_string();
    for args in [vec!["play", &path, "--out", "null", "--seconds", "0.1"], vec!["check", &path]] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains("--features live-audio") && e.contains("live.toml:3:"), "{e}");
    }
    let o = run(&["audio-devices"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--features live-audio"), "{}", stderr(&o));
}

/// A frame log's bands drive a reproducible scene: it renders, traces and verifies, and a tick
/// with full bands lights what a tick with empty bands does not.
#[test]
fn a_frame_log_drives_a_reproducible_visualizer() {
    let dir = scratch("live-log");
    let full = vec![65_535u16; 16];
    let none = vec![0u16; 16];
    let mut log = String::from("{\"clock_start_unix_seconds\":0}\n");
    for t in 0..30u64 {
        let l = if t % 2 == 0 { &full } else { &none };
        log.push_str(&format!(
            "{}\n",
            serde_json::json!({"tick": t, "output": "null", "bands": {"levels": l, "peaks": l}})
        ));
    }
    std::fs::write(dir.join("show.jsonl"), log).unwrap();
    let replay = scene(&dir, "replay.toml", "source = \"log\"\npath = \"show.jsonl\"");
    let (a, b) = (dir.join("a.png"), dir.join("b.png"));
    for (tick, out) in [("4", &a), ("5", &b)] {
        let o =
            run(&["render", &replay.display().to_string(), "--tick", tick, "-o", &out.display().to_string()]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let bg = tickframe_core::Rgba::rgb(0, 0, 0x10);
    let lit = decode_png(&a).pixels().iter().filter(|&&p| p != bg).count();
    assert!(lit > 64 * 16 / 3, "full bands light the display ({lit} px)");
    assert!(decode_png(&b).pixels().iter().all(|&p| p == bg), "empty bands show the background");
    let trace = dir.join("trace");
    let o = run(&[
        "trace",
        &replay.display().to_string(),
        "-o",
        &trace.display().to_string(),
        "--seconds",
        "0.5",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["verify", &trace.display().to_string()]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[cfg(feature = "live-audio")]
mod with_cpal {
    use super::*;
    use crate::common::bin;

    /// A real capture on ALSA's `null` device, played to PNG files with a frame log: the run
    /// is marked not reproducible, every line has the bands of its tick (all zero: the null
    /// device captures silence), and the replay from the log gives the very frames.
    #[test]
    fn a_live_show_logs_its_bands_and_replays_exactly() {
        let dir = scratch("live-null");
        let live = scene(&dir, "live.toml", "source = \"live\"\ndevice = \"null\"");
        let (frames, log, report) = (dir.join("frames"), dir.join("show.jsonl"), dir.join("report.json"));
        let o = run(&[
            "play",
            &live.display().to_string(),
            "--out",
            &format!("png-dir:{}", frames.display()),
            "--seconds",
            "0.5",
            "--log-frames",
            &log.display().to_string(),
            "--report",
            &report.display().to_string(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stderr(&o).contains("NOT reproducible"), "{}", stderr(&o));
        let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
        assert_eq!(r["live_input"], true);
        assert_eq!(r["live_audio"]["reproducible"], false);
        assert_eq!(r["live_audio"]["device"], "null");
        assert!(r["live_audio"]["hops_analysed"].as_u64().unwrap() > 0, "the stream ran: {r}");
        assert_eq!(r["live_audio"]["max_render_ahead_frames"], 2);
        assert!(r["window"]["max"].as_u64().unwrap() <= 2, "rendered just in time: {}", r["window"]);
        let text = std::fs::read_to_string(&log).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 30);
        for l in &lines {
            let levels = l["bands"]["levels"].as_array().unwrap_or_else(|| panic!("no bands: {l}"));
            assert_eq!(levels.len(), 32, "{l}");
            assert!(
                levels.iter().chain(l["bands"]["peaks"].as_array().unwrap()).all(|v| v == 0),
                "silence: {l}"
            );
        }
        // The replay: the same scene drawing each tick from the log.
        let replay = scene(&dir, "replay.toml", "source = \"log\"\npath = \"show.jsonl\"");
        for tick in [0u64, 13, 29] {
            let out = dir.join(format!("replay-{tick}.png"));
            let o = run(&[
                "render",
                &replay.display().to_string(),
                "--tick",
                &tick.to_string(),
                "-o",
                &out.display().to_string(),
            ]);
            assert!(o.status.success(), "{}", stderr(&o));
            let played = decode_png(&frames.join(format!("frame-{tick:06}.png")));
            assert!(decode_png(&out) == played, "tick {tick}");
        }
    }

    #[test]
    fn live_scenes_refuse_what_needs_reproducible_frames() {
        let dir = scratch("live-refuse");
        let live = scene(&dir, "live.toml", "source = \"live\"\ndevice = \"null\"");
        let path = live.display().to_string();
        let trace = dir.join("t").display().to_string();
        let png = dir.join("x.png").display().to_string();
        for (args, want) in [
            (vec!["trace", &path, "-o", &trace], "cannot be traced"),
            (vec!["render", &path, "-o", &png], "cannot be rendered"),
            (vec!["play", &path, "--out", "null", "--audio-offset-ms", "50"], "cannot shift live audio"),
        ] {
            let o = run(&args);
            assert_eq!(o.status.code(), Some(2), "{args:?}");
            assert!(stderr(&o).contains(want), "{}", stderr(&o));
        }
        let nowhere = scene(&dir, "nowhere.toml", "source = \"live\"\ndevice = \"no-such-card\"");
        let o = run(&["check", &nowhere.display().to_string()]);
        assert_eq!(o.status.code(), Some(2));
        assert!(
            stderr(&o).contains("no audio input device `no-such-card`") && stderr(&o).contains("null"),
            "{}",
            stderr(&o)
        );
        let playlist = dir.join("playlist.toml");
        std::fs::write(
            &playlist,
            "[display]\nwidth = 8\nheight = 8\nfps = 60\n\n[[playlist]]\nduration = 5\nscene = \"visualizer\"\nsource = \"live\"\ndevice = \"null\"\n",
        )
        .unwrap();
        let o = run(&["check", &playlist.display().to_string()]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("cannot be a playlist entry"), "{}", stderr(&o));
        let o = bin().arg("audio-devices").output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(String::from_utf8_lossy(&o.stdout).contains("alsa:null"));
    }
}
