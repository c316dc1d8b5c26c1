//! `play --play-audio FILE`: the audio file played in step with the presented ticks.
//!
//! Without the `audio-out` feature: the clear error. With it (CI builds it): a real cpal
//! playback stream on ALSA's `null` device (this machine has no sound card; `null` takes
//! samples as fast as they come, so the run counts device underruns, which are reported as the
//! audio output's send errors). What a tick queues is tested in
//! `tickframe_scenes::audio::playback`.

use crate::common::{run, scratch, stderr};

const CLIP: &str = "examples/assets/audio/demo-clip.wav";

#[test]
fn bad_audio_files_and_unpaced_runs_exit_2_naming_the_problem() {
    let o = run(&["play", "--play-audio", "/nonexistent/clip.wav", "--out", "null", "--seconds", "0.2"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("/nonexistent/clip.wav"), "{}", stderr(&o));
    let dir = scratch("audio-out-bad");
    let junk = dir.join("junk.wav");
    std::fs::write(&junk, b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk").unwrap();
    let o = run(&["play", "--play-audio", junk.to_str().unwrap(), "--out", "null", "--seconds", "0.2"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("junk.wav"), "{}", stderr(&o));
    let o = run(&["play", "--play-audio", CLIP, "--out", "null", "--seconds", "0.2", "--unpaced"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("real-time pace"), "{}", stderr(&o));
    for bad in ["x", "-5", "20000"] {
        let o = run(&[
            "play",
            "--play-audio",
            CLIP,
            "--audio-latency-ms",
            bad,
            "--out",
            "null",
            "--seconds",
            "0.2",
        ]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("--audio-latency-ms must be"), "{bad}: {}", stderr(&o));
    }
    // The playback options mean nothing without a file to play.
    let o = run(&["play", "--play-audio-once", "--out", "null", "--seconds", "0.2"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--play-audio"), "{}", stderr(&o));
}

#[cfg(not(feature = "audio-out"))]
#[test]
fn without_the_feature_play_audio_says_how_to_build_it() {
    let o = run(&["play", "--play-audio", CLIP, "--out", "null", "--seconds", "0.2"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--features audio-out"), "{}", stderr(&o));
}

#[cfg(feature = "audio-out")]
#[test]
fn the_clip_plays_on_a_real_device_beside_the_picture() {
    let dir = scratch("audio-out-null");
    let report = dir.join("report.json");
    let o = run(&[
        "play",
        "examples/visualizer.toml",
        "--play-audio",
        CLIP,
        "--audio-device",
        "null",
        "--out",
        "null",
        "--seconds",
        "1",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let outputs = r["outputs"].as_array().expect("outputs in the report");
    let audio = outputs
        .iter()
        .find(|o| o["output"].as_str().is_some_and(|n| n.starts_with("audio → null")))
        .unwrap_or_else(|| panic!("no audio output in {outputs:?}"));
    assert_eq!(audio["presented"], serde_json::json!(60), "{audio}");
    // Looped by default, with the latency the device reports (ALSA's null reports none).
    let name = audio["output"].as_str().unwrap_or_default();
    assert!(name.contains("looped") && name.contains("latency"), "{name}");
    // Once, with a latency given: shown in the output's name in the report.
    let o = run(&[
        "play",
        "examples/visualizer.toml",
        "--play-audio",
        CLIP,
        "--audio-device",
        "null",
        "--play-audio-once",
        "--audio-latency-ms",
        "40",
        "--out",
        "null",
        "--seconds",
        "0.5",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let named = |want: &str| {
        r["outputs"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|o| o["output"].as_str().is_some_and(|n| n.contains(want)))
    };
    assert!(named("once, 40.0 ms early: latency set"), "{r}");
    let o = run(&[
        "play",
        "--play-audio",
        CLIP,
        "--audio-device",
        "no-such-device",
        "--out",
        "null",
        "--seconds",
        "0.2",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no-such-device"), "{}", stderr(&o));
}
