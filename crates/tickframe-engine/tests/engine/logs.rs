//! Per-frame JSON lines through the non-blocking log writer.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tickframe_core::RenderContext;
use tickframe_engine::{Engine, EngineConfig, FrameLogWriter, NullOutput, Output, RunOptions, SceneKey};

use crate::common::{Bars, fps, serial, size};

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn every_presented_frame_is_logged_as_a_json_line() {
    let _g = serial();
    let buf = Shared::default();
    let writer = FrameLogWriter::start(buf.clone(), 1024, vec!["null".into()], "cpu").unwrap();
    let base = RenderContext::new(size(16, 8), fps(240), 1, 0);
    let engine = Engine::new(
        Arc::new(Bars),
        SceneKey(1),
        base,
        EngineConfig { workers: 2, cache_bytes: 1 << 16, ..EngineConfig::default() },
    )
    .unwrap();
    let outputs: Vec<Box<dyn Output>> = vec![Box::new(NullOutput)];
    let report = engine
        .run(
            outputs,
            RunOptions { frames: Some(48), paced: true, log: writer.log(), ..RunOptions::default() },
        )
        .unwrap();
    let stats = writer.finish();
    let presented = report.outputs[0].presented;
    assert_eq!(stats.written + stats.dropped, presented);
    assert_eq!(stats.dropped, 0);
    let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len() as u64, presented);
    for key in ["tick", "deadline_ns", "lateness_ns", "interval_ns", "render_ns", "queue_depth", "cache"] {
        assert!(lines[0].get(key).is_some(), "missing {key}: {}", lines[0]);
    }
    assert_eq!(lines[0]["backend"], "cpu");
    assert_eq!(lines[0]["output"], "null");
    assert!(lines.iter().all(|l| l["seed"] == 1), "every record names the seed");
    assert!(lines.windows(2).all(|w| w[0]["tick"].as_u64() < w[1]["tick"].as_u64()));
}

#[test]
fn a_full_log_channel_drops_and_counts_instead_of_waiting() {
    let _g = serial();
    struct Stuck(Arc<Mutex<()>>);
    impl Write for Stuck {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let _held = self.0.lock().unwrap();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let gate = Arc::new(Mutex::new(()));
    let held = gate.lock().unwrap(); // the writer blocks on its first write
    let writer = FrameLogWriter::start(Stuck(Arc::clone(&gate)), 4, vec!["null".into()], "cpu").unwrap();
    let base = RenderContext::new(size(16, 8), fps(60), 1, 0);
    let engine = Engine::new(
        Arc::new(Bars),
        SceneKey(1),
        base,
        EngineConfig { workers: 1, cache_bytes: 1 << 16, ..EngineConfig::default() },
    )
    .unwrap();
    let outputs: Vec<Box<dyn Output>> = vec![Box::new(NullOutput)];
    let report = engine
        .run(outputs, RunOptions { frames: Some(40), log: writer.log(), ..RunOptions::default() })
        .unwrap();
    drop(held);
    let stats = writer.finish();
    assert_eq!(report.outputs[0].presented, 40, "the presenter never waited for the log");
    assert!(stats.dropped >= 40 - 4 - 1, "{stats:?}");
    assert_eq!(stats.written + stats.dropped, 40);
}

/// With a band source, every line carries the bands its tick was drawn from (looked up by the
/// writer thread), and `null` for a tick the source has none for.
#[test]
fn a_band_source_adds_each_ticks_bands_to_its_line() {
    use tickframe_engine::{MAX_LOG_BANDS, TickBands};
    struct ByTick;
    impl TickBands for ByTick {
        fn bands_of(
            &self,
            tick: u64,
            levels: &mut [u16; MAX_LOG_BANDS],
            peaks: &mut [u16; MAX_LOG_BANDS],
        ) -> usize {
            if tick % 5 == 3 {
                return 0;
            }
            for b in 0..3 {
                levels[b] = (tick * 10 + b as u64) as u16;
                peaks[b] = 60_000 + b as u16;
            }
            3
        }
    }
    let _g = serial();
    let buf = Shared::default();
    let writer = FrameLogWriter::start_with_bands(
        buf.clone(),
        1024,
        vec!["null".into()],
        "cpu",
        Some(Arc::new(ByTick)),
    )
    .unwrap();
    let base = RenderContext::new(size(16, 8), fps(240), 1, 0);
    let config = EngineConfig { workers: 1, cache_bytes: 1 << 16, ..EngineConfig::default() };
    let engine = Engine::new(Arc::new(Bars), SceneKey(1), base, config).unwrap();
    let outputs: Vec<Box<dyn Output>> = vec![Box::new(NullOutput)];
    let run = RunOptions { frames: Some(20), paced: false, log: writer.log(), ..RunOptions::default() };
    engine.run(outputs, run).unwrap();
    assert_eq!(writer.finish().dropped, 0);
    let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 20);
    for l in &lines {
        let t = l["tick"].as_u64().unwrap();
        if t % 5 == 3 {
            assert!(l["bands"].is_null(), "{l}");
        } else {
            assert_eq!(l["bands"]["levels"], serde_json::json!([t * 10, t * 10 + 1, t * 10 + 2]), "{l}");
            assert_eq!(l["bands"]["peaks"], serde_json::json!([60_000, 60_001, 60_002]), "{l}");
        }
    }
    // Without a source, lines have no `bands` at all (the format is unchanged).
    let plain = Shared::default();
    let writer = FrameLogWriter::start(plain.clone(), 64, vec!["null".into()], "cpu").unwrap();
    let engine = Engine::new(
        Arc::new(Bars),
        SceneKey(1),
        base,
        EngineConfig { workers: 1, cache_bytes: 1 << 16, ..EngineConfig::default() },
    )
    .unwrap();
    let outputs: Vec<Box<dyn Output>> = vec![Box::new(NullOutput)];
    let run = RunOptions { frames: Some(3), paced: false, log: writer.log(), ..RunOptions::default() };
    engine.run(outputs, run).unwrap();
    writer.finish();
    let text = String::from_utf8(plain.0.lock().unwrap().clone()).unwrap();
    assert!(text.lines().count() == 3 && !text.contains("bands"), "{text}");
}
