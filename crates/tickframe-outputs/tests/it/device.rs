//! `DeviceOutput` as the engine sees it: `present` never waits for the device, frames the
//! device was too slow for are counted (and their ticks listed), a dying sender is impossible to
//! miss, and a slow output leaves the others alone.

use std::io::Read;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tickframe_core::{Canvas, FrameRate, FrameRef, RenderContext, Rgba, Scene, Size, Tick};
use tickframe_engine::{Engine, EngineConfig, Output, RunInfo, RunOptions, SceneKey};
use tickframe_outputs::{
    ColorSettings, DeviceOutput, FrameSink, LedPipeline, Mapping, SendStats, SinkOpener, parse_output_url,
};

use crate::common::test_frame;

fn info(size: Size) -> RunInfo {
    RunInfo { size, rate: FrameRate::whole(60).unwrap(), seed: 0, scene: "test".into(), frames: None }
}

fn pipeline(size: Size) -> LedPipeline {
    LedPipeline::new(Mapping::row_major(size), ColorSettings::default())
}

/// A sink that reports each frame it enters, then waits for permission to finish it.
struct GatedSink {
    entered: mpsc::Sender<Vec<u8>>,
    release: Arc<Mutex<mpsc::Receiver<()>>>,
    stats: SendStats,
}

impl FrameSink for GatedSink {
    fn send(&mut self, bytes: &[u8], _time: u64) {
        let _ = self.entered.send(bytes.to_vec());
        let _ = self.release.lock().unwrap().recv();
        self.stats.frames += 1;
        self.stats.packets_sent += 1;
        self.stats.bytes_sent += bytes.len() as u64;
    }

    fn stats(&self) -> SendStats {
        self.stats
    }
}

/// Runs `f` on another thread and fails (instead of hanging) if it does not return in 20 s.
fn within_20s<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(20)).unwrap_or_else(|_| panic!("{what} blocked"))
}

#[test]
fn a_stalled_device_never_blocks_present_and_overwritten_frames_are_counted_and_listed() {
    let size = Size::new(16, 4).unwrap();
    let (entered_tx, entered) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    let release_rx = Arc::new(Mutex::new(release_rx));
    let opener: SinkOpener = Box::new(move |_| {
        Ok(Box::new(GatedSink { entered: entered_tx, release: release_rx, stats: SendStats::default() })
            as Box<dyn FrameSink>)
    });
    let mut out = DeviceOutput::with_sink("gated", pipeline(size), opener);
    let metrics = out.metrics();
    out.begin(&info(size)).unwrap();
    out.present(0, test_frame(size, 0).view()).unwrap();
    // The sender is now inside the sink, which will not return until released.
    let first = entered.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(first.len(), 16 * 4 * 3);
    // 99 more frames while the device is stuck: every present returns (the sink has not been
    // released, so none of them can have waited for it).
    let mut out = within_20s("present", move || {
        for tick in 1..100 {
            assert!(out.present(tick, test_frame(size, tick).view()).unwrap());
        }
        out
    });
    let r = metrics.report();
    assert_eq!((r.frames_presented, r.frames_sent, r.frames_overwritten), (100, 0, 98));
    assert_eq!(r.overwritten_ticks, (1..=98).collect::<Vec<u64>>(), "the ticks that never left");
    assert!(entered.try_recv().is_err(), "the sink is still on the first frame");
    // Released: the newest frame (tick 99) goes out next, the ones in between never do.
    release.send(()).unwrap();
    let next = entered.recv_timeout(Duration::from_secs(5)).unwrap();
    let mut expect = pipeline(size);
    expect.process(test_frame(size, 99).view()).unwrap();
    assert_eq!(next, expect.device_bytes(), "the newest frame was sent after the stall");
    release.send(()).unwrap();
    out.finish(100).unwrap();
    let r = metrics.report();
    assert_eq!((r.frames_sent, r.packets_sent, r.send_ms.count), (2, 2, 2));
    assert!(r.failed.is_none());
}

struct PanickingSink(u64);

impl FrameSink for PanickingSink {
    fn send(&mut self, _bytes: &[u8], _time: u64) {
        self.0 += 1;
        assert!(self.0 < 3, "the device library fell over");
    }

    fn stats(&self) -> SendStats {
        SendStats { frames: self.0, packets_sent: self.0, ..SendStats::default() }
    }
}

#[test]
fn a_panicking_sender_is_recorded_counted_and_reported() {
    let size = Size::new(4, 4).unwrap();
    let opener: SinkOpener = Box::new(|_| Ok(Box::new(PanickingSink(0)) as Box<dyn FrameSink>));
    let mut out = DeviceOutput::with_sink("fragile", pipeline(size), opener);
    let metrics = out.metrics();
    out.begin(&info(size)).unwrap();
    for tick in 0..20 {
        // Presenting goes on (other outputs are not stopped); give the sender time to take
        // each frame so the panic happens on the third.
        assert!(out.present(tick, test_frame(size, tick).view()).unwrap());
        std::thread::sleep(Duration::from_millis(5));
    }
    // (Printing the panic's backtrace may take a while.)
    let t = std::time::Instant::now();
    while metrics.failure().is_none() && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(10));
    }
    for tick in 20..30 {
        assert!(out.present(tick, test_frame(size, tick).view()).unwrap());
    }
    let failure = metrics.failure().expect("the sender's death is recorded");
    assert!(failure.contains("sender thread panicked: the device library fell over"), "{failure}");
    let r = metrics.report();
    assert_eq!(r.frames_sent, 2);
    assert!(r.send_errors > 10, "the panic and the frames after it are errors: {r:?}");
    assert_eq!(out.send_errors(), r.send_errors, "the engine's hook sees the same count");
    assert!(r.summary_line().contains("FAILED: sender thread panicked"), "{}", r.summary_line());
    out.finish(20).unwrap();
}

#[test]
fn an_opc_peer_that_never_reads_does_not_block_present() {
    // 64×64 RGB = 12,288 bytes a frame: the peer's receive buffer and our send buffer fill after
    // a few hundred frames, then the writer's 500 ms write timeout fires and it reconnects.
    let size = Size::new(64, 64).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = Arc::new(AtomicBool::new(false));
    let accepted = Arc::new(AtomicU64::new(0));
    let (s, a) = (Arc::clone(&stop), Arc::clone(&accepted));
    listener.set_nonblocking(true).unwrap();
    let peer = std::thread::spawn(move || {
        let mut held = Vec::new(); // accepted and never read
        while !s.load(Ordering::Relaxed) {
            if let Ok((c, _)) = listener.accept() {
                a.fetch_add(1, Ordering::Relaxed);
                held.push(c);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        // Drain one connection a little, to show data did flow.
        let mut buf = [0u8; 4];
        held.first_mut().map(|c| {
            c.set_nonblocking(false).ok();
            c.read_exact(&mut buf).ok();
            buf
        })
    });
    let url = format!("opc://127.0.0.1:{port}");
    let mut out = DeviceOutput::new(url.clone(), parse_output_url(&url).unwrap(), pipeline(size));
    let metrics = out.metrics();
    out.begin(&info(size)).unwrap();
    let frames = 1500;
    let mut out = within_20s("present to a stuck OPC peer", move || {
        for tick in 0..frames {
            out.present(tick, test_frame(size, tick).view()).unwrap();
            if tick % 50 == 0 {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        out
    });
    out.finish(frames).unwrap();
    stop.store(true, Ordering::Relaxed);
    let header = peer.join().unwrap();
    let r = metrics.report();
    assert_eq!(r.frames_presented, frames);
    assert_eq!(header, Some([0, 0, 0x30, 0x00]), "the first message began with an OPC header (12,288 bytes)");
    let never_sent = r.frames_overwritten + r.frames_incomplete;
    assert!(never_sent > 0, "a peer that never reads cannot have taken every frame: {r:?}");
    assert!(r.packets_sent < frames, "{r:?}");
    assert!(accepted.load(Ordering::Relaxed) >= 1);
}

/// A frame sink for the engine test: records the ticks it was given.
struct Recorder(Arc<Mutex<Vec<Tick>>>);

impl Output for Recorder {
    fn begin(&mut self, _info: &RunInfo) -> anyhow::Result<()> {
        Ok(())
    }

    fn present(&mut self, tick: Tick, _frame: FrameRef<'_>) -> anyhow::Result<bool> {
        self.0.lock().unwrap().push(tick);
        Ok(true)
    }

    fn finish(&mut self, _frames: u64) -> anyhow::Result<()> {
        Ok(())
    }

    fn is_realtime(&self) -> bool {
        false
    }

    fn name(&self) -> &str {
        "recorder"
    }
}

struct Gradient;

impl Scene for Gradient {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        canvas.clear(Rgba::rgb((ctx.tick % 256) as u8, 7, 9));
    }
}

/// Through the engine (unpaced: every tick presented in order, so a presenter that blocked
/// would hold every other output back): a device stuck on its first frame neither stalls the
/// run nor the other output, which gets every tick in order.
#[test]
fn a_stuck_device_leaves_the_other_outputs_alone_in_the_engine() {
    let size = Size::new(32, 8).unwrap();
    let (entered_tx, entered) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    let release_rx = Arc::new(Mutex::new(release_rx));
    let opener: SinkOpener = Box::new(move |_| {
        Ok(Box::new(GatedSink { entered: entered_tx, release: release_rx, stats: SendStats::default() })
            as Box<dyn FrameSink>)
    });
    let device = DeviceOutput::with_sink("stuck", pipeline(size), opener);
    let metrics = device.metrics();
    let ticks = Arc::new(Mutex::new(Vec::new()));
    let recorder = Recorder(Arc::clone(&ticks));
    let base = RenderContext::new(size, FrameRate::whole(60).unwrap(), 1, 0);
    let config = EngineConfig { workers: 1, raise_presenter_priority: false, ..EngineConfig::default() };
    let engine = Engine::new(Arc::new(Gradient), SceneKey(7), base, config).unwrap();
    let frames = 600;
    let opts = RunOptions {
        frames: Some(frames),
        paced: false,
        scene_name: "gradient".into(),
        ..Default::default()
    };
    let report = within_20s("the engine run", move || {
        let outputs: Vec<Box<dyn Output>> = vec![Box::new(device), Box::new(recorder)];
        engine.run(outputs, opts)
    })
    .unwrap();
    // The device took its first frame and never returned from it.
    assert!(entered.try_recv().is_ok() && entered.try_recv().is_err());
    let got = ticks.lock().unwrap().clone();
    assert_eq!(got, (0..frames).collect::<Vec<_>>(), "the other output got every tick, in order");
    assert_eq!(report.outputs[0].presented, frames, "the stuck device's presenter kept going too");
    let r = metrics.report();
    assert_eq!((r.frames_presented, r.frames_sent), (frames, 0));
    assert_eq!(r.frames_overwritten, frames - 2, "all but the first (in the sink) and the last (waiting)");
    assert!(r.stuck_at_stop, "stopping gave up waiting for the stuck device: {r:?}");
    drop(release);
}

/// An output whose `present` itself blocks (not a `DeviceOutput`): 100 ms a frame.
struct Sluggish;

impl Output for Sluggish {
    fn begin(&mut self, _info: &RunInfo) -> anyhow::Result<()> {
        Ok(())
    }

    fn present(&mut self, _tick: Tick, _frame: FrameRef<'_>) -> anyhow::Result<bool> {
        std::thread::sleep(Duration::from_millis(100));
        Ok(true)
    }

    fn finish(&mut self, _frames: u64) -> anyhow::Result<()> {
        Ok(())
    }

    fn is_realtime(&self) -> bool {
        true
    }

    fn name(&self) -> &str {
        "sluggish"
    }
}

/// Paced, a presenter whose `present` blocks (100 ms a frame) skips to the tick due when it
/// wakes, so the engine's low-water mark (frames are kept from the slowest presenter's tick
/// onward) trails the clock by at most ~7 ticks, inside the look-ahead window: the other output
/// still finds its frames ready.
#[test]
fn a_blocking_present_does_not_starve_the_other_presenter() {
    let size = Size::new(32, 8).unwrap();
    let ticks = Arc::new(Mutex::new(Vec::new()));
    let base = RenderContext::new(size, FrameRate::whole(60).unwrap(), 1, 0);
    let config = EngineConfig { workers: 1, raise_presenter_priority: false, ..EngineConfig::default() };
    let engine = Engine::new(Arc::new(Gradient), SceneKey(8), base, config).unwrap();
    let opts =
        RunOptions { frames: Some(120), paced: true, scene_name: "gradient".into(), ..Default::default() };
    let outputs: Vec<Box<dyn Output>> = vec![Box::new(Sluggish), Box::new(Recorder(Arc::clone(&ticks)))];
    let report = engine.run(outputs, opts).unwrap();
    let (slow, fast) = (&report.outputs[0], &report.outputs[1]);
    println!("{}", report.summary());
    assert!(slow.presented <= 30 && slow.skipped >= 90, "the slow output really was slow: {slow:?}");
    let got = ticks.lock().unwrap().clone();
    assert!(got.windows(2).all(|w| w[0] < w[1]), "in order");
    // Allow a couple of misses or skips from a busy build machine; starving would be ~100.
    assert!(fast.presented >= 118 && fast.repeated <= 2, "the fast output was held back: {fast:?}");
}

/// 97 universes (16,384 pixels, 256×64) through the engine at 40 fps for 2 s to a loopback
/// receiver that rebuilds frames: every frame the device output sent arrives complete (all 97
/// universes, one sequence number) and in order, and none was overwritten before sending.
#[test]
fn e131_97_universes_through_the_engine_at_40fps_arrive_complete_and_in_order() {
    let size = Size::new(256, 64).unwrap();
    let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    rx.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    let port = rx.local_addr().unwrap().port();
    let receiver = std::thread::spawn(move || {
        // (sequence, universes seen) of the frame being assembled, and the complete frames.
        let mut buf = [0u8; 2048];
        let mut current: Option<(u8, Vec<bool>)> = None;
        let mut complete: Vec<u8> = Vec::new();
        let mut broken = Vec::new();
        while let Ok(n) = rx.recv(&mut buf) {
            let p = &buf[..n];
            assert_eq!(p[21], 4, "data packets only (no sync requested)");
            let universe = usize::from(u16::from_be_bytes([p[113], p[114]]));
            let seq = p[111];
            let (cur_seq, seen) = current.get_or_insert_with(|| (seq, vec![false; 97]));
            if *cur_seq != seq {
                broken.push(format!(
                    "frame {cur_seq} ended with {} of 97 universes",
                    seen.iter().filter(|s| **s).count()
                ));
                current = Some((seq, vec![false; 97]));
            }
            let (cur_seq, seen) = current.as_mut().unwrap();
            assert!((1..=97).contains(&universe));
            assert!(!seen[universe - 1], "universe {universe} twice in frame {cur_seq}");
            seen[universe - 1] = true;
            if seen.iter().all(|s| *s) {
                complete.push(*cur_seq);
                current = None;
            }
        }
        (complete, broken, current.map(|(s, _)| s))
    });
    let url = format!("e131://127.0.0.1:{port}?universe=1");
    let device = DeviceOutput::new(url.clone(), parse_output_url(&url).unwrap(), pipeline(size));
    let metrics = device.metrics();
    let base = RenderContext::new(size, FrameRate::whole(40).unwrap(), 1, 0);
    let config = EngineConfig { workers: 1, raise_presenter_priority: false, ..EngineConfig::default() };
    let engine = Engine::new(Arc::new(Gradient), SceneKey(9), base, config).unwrap();
    let opts =
        RunOptions { frames: Some(80), paced: true, scene_name: "gradient".into(), ..Default::default() };
    let report = engine.run(vec![Box::new(device)], opts).unwrap();
    let (complete, broken, partial) = receiver.join().unwrap();
    let r = metrics.report();
    assert!(broken.is_empty() && partial.is_none(), "incomplete frames: {broken:?} {partial:?}");
    assert_eq!(r.frames_overwritten, 0, "{r:?}");
    assert_eq!((r.send_errors, r.frames_incomplete), (0, 0), "{r:?}");
    assert_eq!(r.frames_sent, report.outputs[0].presented, "every presented frame was sent");
    assert_eq!(complete.len() as u64, r.frames_sent, "every sent frame arrived whole");
    let expect: Vec<u8> = (0..complete.len()).map(|i| i as u8).collect();
    assert_eq!(complete, expect, "in order, none missing");
    assert!(r.frames_sent >= 70, "{r:?}");
}
