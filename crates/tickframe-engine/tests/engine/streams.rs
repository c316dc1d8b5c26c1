//! Outputs with seed offsets: one stream of frames per distinct seed, rendered once per tick,
//! never mixed with another seed's frames, the same bytes whatever the worker count.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use tickframe_core::{Canvas, FrameRef, RenderContext, Renderer, Rgba, Scene, Tick, frame_hash};
use tickframe_engine::{Engine, EngineConfig, Output, OutputOptions, RunInfo, RunOptions, SceneKey};

use crate::common::{Bars, fps, serial, size};

const SEED: u64 = 7;

/// `Bars` (whose random pixel depends on the seed), with the seed's low 24 bits written into
/// pixel (0, 0) and the tick's into pixel (1, 0), so a frame says which seed and tick it is.
struct SeedMarked;

impl Scene for SeedMarked {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        Bars.render(ctx, canvas);
        let (s, t) = (ctx.seed, ctx.tick);
        canvas.plot(0, 0, Rgba::rgb(s as u8, (s >> 8) as u8, (s >> 16) as u8));
        canvas.plot(1, 0, Rgba::rgb(t as u8, (t >> 8) as u8, (t >> 16) as u8));
    }
}

/// `SeedMarked`, counting its renders per (seed, tick) for seeds `SEED` and `SEED + 1`.
struct CountingRenders {
    counts: [Vec<AtomicU32>; 2],
}

impl CountingRenders {
    fn new(ticks: usize) -> CountingRenders {
        CountingRenders { counts: [0, 1].map(|_| (0..ticks).map(|_| AtomicU32::new(0)).collect()) }
    }

    fn counts(&self, stream: usize) -> Vec<u32> {
        self.counts[stream].iter().map(|c| c.load(Ordering::SeqCst)).collect()
    }
}

impl Scene for CountingRenders {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        let s = usize::try_from(ctx.seed - SEED).expect("seed SEED or SEED + 1");
        self.counts[s][ctx.tick as usize].fetch_add(1, Ordering::SeqCst);
        SeedMarked.render(ctx, canvas);
    }
}

/// One present: the tick, the frame's hash, and the seed and tick its marks say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Seen {
    tick: Tick,
    hash: u128,
    seed_mark: u64,
    tick_mark: u64,
}

fn marks(p: &[Rgba], x: usize) -> u64 {
    u64::from(p[x].r) | (u64::from(p[x].g) << 8) | (u64::from(p[x].b) << 16)
}

#[derive(Default)]
struct Log {
    seed: Option<u64>,
    seen: Vec<Seen>,
}

struct Marks(Arc<Mutex<Log>>);

impl Output for Marks {
    fn begin(&mut self, info: &RunInfo) -> anyhow::Result<()> {
        self.0.lock().unwrap().seed = Some(info.seed);
        Ok(())
    }

    fn present(&mut self, tick: Tick, frame: FrameRef<'_>) -> anyhow::Result<bool> {
        let p = frame.pixels();
        let seen = Seen { tick, hash: frame_hash(frame), seed_mark: marks(p, 0), tick_mark: marks(p, 1) };
        self.0.lock().unwrap().seen.push(seen);
        Ok(true)
    }

    fn finish(&mut self, _frames: u64) -> anyhow::Result<()> {
        Ok(())
    }

    fn is_realtime(&self) -> bool {
        false
    }
}

fn base() -> RenderContext {
    RenderContext::new(size(32, 8), fps(60), SEED, 0)
}

/// The hash of `scene` rendered directly at `seed` and `tick`.
fn direct(scene: &dyn Scene, seed: u64, tick: Tick) -> u128 {
    let ctx = RenderContext { seed, ..base() }.at_tick(tick);
    frame_hash(Renderer::default().render_new(scene, &ctx).view())
}

/// Runs `scene` to one `Marks` output per offset; returns what each saw and the report.
fn run(
    scene: Arc<dyn Scene>,
    offsets: &[u64],
    workers: usize,
    cache_frames: usize,
    frames: u64,
    paced: bool,
) -> (Vec<Log>, tickframe_engine::RunReport) {
    let config = EngineConfig {
        workers,
        cache_bytes: cache_frames * base().size.area() * 4,
        ..EngineConfig::default()
    };
    let engine = Engine::new(scene, SceneKey(11), base(), config).unwrap();
    let logs: Vec<Arc<Mutex<Log>>> = offsets.iter().map(|_| Arc::default()).collect();
    let outputs: Vec<(Box<dyn Output>, OutputOptions)> = offsets
        .iter()
        .zip(&logs)
        .map(|(&seed_offset, log)| {
            (Box::new(Marks(Arc::clone(log))) as Box<dyn Output>, OutputOptions { seed_offset })
        })
        .collect();
    let report = engine
        .run_with(outputs, RunOptions { frames: Some(frames), paced, ..RunOptions::default() })
        .unwrap();
    let logs = logs.into_iter().map(|l| std::mem::take(&mut *l.lock().unwrap())).collect();
    (logs, report)
}

#[test]
fn each_output_gets_the_frames_of_its_own_seed_unpaced() {
    let _g = serial();
    let frames = 90;
    let (logs, report) = run(Arc::new(SeedMarked), &[0, 1], 2, 64, frames, false);
    assert_eq!(report.streams, 2);
    for (i, log) in logs.iter().enumerate() {
        let seed = SEED + i as u64;
        assert_eq!(log.seed, Some(seed), "RunInfo::seed of output {i}");
        assert_eq!(report.outputs[i].seed, seed);
        assert_eq!(report.outputs[i].seed_offset, i as u64);
        let expected: Vec<(Tick, u128)> = (0..frames).map(|t| (t, direct(&SeedMarked, seed, t))).collect();
        let got: Vec<(Tick, u128)> = log.seen.iter().map(|s| (s.tick, s.hash)).collect();
        assert_eq!(got, expected, "output {i} (seed {seed})");
    }
    assert_ne!(logs[0].seen[5].hash, logs[1].seen[5].hash, "the two seeds differ");
}

#[test]
fn each_output_gets_the_frames_of_its_own_seed_paced() {
    let _g = serial();
    let (logs, report) = run(Arc::new(SeedMarked), &[0, 1], 2, 64, 60, true);
    assert_eq!(report.streams, 2);
    for (i, log) in logs.iter().enumerate() {
        let seed = SEED + i as u64;
        assert!(log.seen.len() >= 50, "output {i} presented {}", log.seen.len());
        let mut fresh = 0;
        for (k, s) in log.seen.iter().enumerate() {
            // A paced presenter may repeat its previous frame on a miss; any frame it shows is
            // the frame of its seed at the tick the frame says.
            assert_eq!(s.seed_mark, seed & 0xff_ffff, "output {i}, present {k}: {s:?}");
            assert!(s.tick_mark <= s.tick, "output {i}, present {k}: a frame from the future {s:?}");
            assert_eq!(s.hash, direct(&SeedMarked, seed, s.tick_mark), "output {i}, present {k}");
            if s.tick_mark == s.tick {
                fresh += 1;
            } else {
                assert!(k > 0 && log.seen[k - 1].hash == s.hash, "output {i}, present {k}: not a repeat");
            }
        }
        assert!(fresh >= 40, "output {i}: only {fresh} frames shown at their own tick");
    }
}

#[test]
fn outputs_on_one_seed_share_one_stream_rendered_once_per_tick() {
    let _g = serial();
    let (frames, workers) = (120, 2);
    let scene = Arc::new(CountingRenders::new(frames as usize));
    let (logs, report) = run(Arc::clone(&scene) as Arc<dyn Scene>, &[0, 0], workers, 64, frames, false);
    assert_eq!(report.streams, 1);
    assert_eq!(logs[0].seen, logs[1].seen);
    let counts = scene.counts(0);
    // Tick 0 is also rendered once per worker before the run starts (warming the renderer).
    assert_eq!(counts[0], 1 + workers as u32);
    assert!(counts[1..].iter().all(|&c| c == 1), "renders per tick: {counts:?}");
    assert!(scene.counts(1).iter().all(|&c| c == 0), "nothing rendered at seed + 1");
    assert_eq!(report.worker_renders, frames);
}

#[test]
fn two_seeds_render_each_tick_once_per_seed() {
    let _g = serial();
    let (frames, workers) = (120, 3);
    let scene = Arc::new(CountingRenders::new(frames as usize));
    let (_, report) = run(Arc::clone(&scene) as Arc<dyn Scene>, &[0, 1, 0, 1], workers, 64, frames, false);
    assert_eq!(report.streams, 2);
    assert_eq!(report.outputs.iter().map(|o| o.stream).collect::<Vec<_>>(), [0, 1, 0, 1]);
    for s in 0..2 {
        let counts = scene.counts(s);
        assert_eq!(counts[0], 1 + workers as u32, "stream {s}: tick 0 (plus one warm-up per worker)");
        assert!(counts[1..].iter().all(|&c| c == 1), "stream {s}: renders per tick: {counts:?}");
    }
    assert_eq!(report.worker_renders, 2 * frames);
}

#[test]
fn frames_of_two_streams_never_mix_even_in_a_tiny_cache() {
    let _g = serial();
    let frames = 80;
    let mut runs = Vec::new();
    for (workers, cache_frames) in [(1, 64), (2, 64), (4, 2), (3, 3)] {
        let (logs, _) = run(Arc::new(SeedMarked), &[0, 1, 0], workers, cache_frames, frames, false);
        for (i, log) in logs.iter().enumerate() {
            let seed = SEED + [0, 1, 0][i];
            assert_eq!(log.seen.len(), frames as usize);
            for s in &log.seen {
                assert_eq!(
                    (s.seed_mark, s.tick_mark),
                    (seed, s.tick),
                    "workers {workers}, cache {cache_frames}: output {i} got another frame"
                );
            }
        }
        runs.push((workers, cache_frames, logs.into_iter().map(|l| l.seen).collect::<Vec<_>>()));
    }
    let (_, _, first) = &runs[0];
    for (workers, cache_frames, seen) in &runs[1..] {
        assert!(seen == first, "workers {workers}, cache {cache_frames}: other bytes than with 1 worker");
    }
}

#[test]
fn offsets_wrap_and_fold_into_distinct_keys() {
    let _g = serial();
    let key = SceneKey(0x1234_5678_9abc_def0_0fed_cba9_8765_4321);
    assert_eq!(key.for_seed(5, 5), key, "the engine's own seed keeps the key");
    let keys: Vec<SceneKey> = (0..1000).map(|s| key.for_seed(5, s)).collect();
    for (i, a) in keys.iter().enumerate() {
        for b in &keys[i + 1..] {
            assert_ne!(a, b);
        }
    }
    assert_eq!(OutputOptions { seed_offset: 2 }.effective_seed(u64::MAX), 1, "wrapping");
    let (logs, report) = run(Arc::new(SeedMarked), &[0, u64::MAX], 2, 64, 10, false);
    assert_eq!(report.outputs[1].seed, SEED - 1);
    assert_eq!(logs[1].seen[3].hash, direct(&SeedMarked, SEED - 1, 3));
}
