//! Paced runs: a slow scene is reported as too slow with dropped frames counted and memory
//! bounded; a fast one is presented at its deadlines.

use std::sync::Arc;
use std::time::Duration;

use tickframe_core::RenderContext;
use tickframe_engine::{Engine, EngineConfig, MissPolicy, NullOutput, Output, RunOptions, SceneKey};

use crate::common::{Bars, Recorder, Scripted, Slow, SlowBetween, bars_hash, fps, serial, size};

#[test]
fn a_slow_scene_is_named_too_slow_with_drops_counted_and_memory_bounded() {
    let _g = serial();
    let base = RenderContext::new(size(32, 8), fps(60), 1, 0);
    let fb = base.size.area() * 4;
    let budget = 6 * fb;
    for miss in [MissPolicy::RepeatPrevious, MissPolicy::RenderInline] {
        let config =
            EngineConfig { workers: 1, cache_bytes: budget, miss_policy: miss, ..EngineConfig::default() };
        let engine =
            Engine::new(Arc::new(Slow { delay: Duration::from_millis(40) }), SceneKey(5), base, config)
                .unwrap();
        let outputs: Vec<Box<dyn Output>> = vec![Box::new(NullOutput)];
        let report = engine
            .run(
                outputs,
                RunOptions {
                    frames: Some(30),
                    paced: true,
                    scene_name: "slow-scene".into(),
                    ..RunOptions::default()
                },
            )
            .unwrap();
        let o = &report.outputs[0];
        let too_slow = report.too_slow.as_deref().unwrap_or_default();
        assert!(too_slow.contains("slow-scene"), "{miss:?}: {}", report.summary());
        assert!(report.summary().contains("too slow: scene `slow-scene`"), "{}", report.summary());
        assert!(o.dropped > 0, "{miss:?}: {}", report.summary());
        assert_eq!(o.presented - o.repeated + o.dropped, 30, "every tick presented or dropped: {o:?}");
        assert_eq!(report.ticks, 30);
        assert!(report.cache.peak_bytes <= budget, "{:?}", report.cache);
        assert!(report.frame_buffers <= 6 + 1 + 4, "buffers bounded: {}", report.frame_buffers);
        assert!(o.misses > 0);
    }
}

#[test]
fn a_fast_scene_runs_paced_with_the_window_within_bounds() {
    let _g = serial();
    let base = RenderContext::new(size(32, 8), fps(120), 1, 0);
    let config = EngineConfig { workers: 2, cache_bytes: 40 * 32 * 8 * 4, ..EngineConfig::default() };
    let engine = Engine::new(Arc::new(Bars), SceneKey(5), base, config).unwrap();
    let outputs: Vec<Box<dyn Output>> = vec![Box::new(NullOutput)];
    let report =
        engine.run(outputs, RunOptions { frames: Some(60), paced: true, ..RunOptions::default() }).unwrap();
    let o = &report.outputs[0];
    assert_eq!(report.ticks, 60);
    assert!(o.presented > 0 && o.presented + o.skipped == 60, "{o:?}");
    assert!(o.interval_ms.count + 1 == o.presented);
    assert!(report.window.peak <= report.window.max && report.window.max <= 40, "{:?}", report.window);
    assert!(report.cache.peak_bytes <= report.cache.budget_bytes);
    assert!(report.too_slow.is_none(), "{}", report.summary());
    // No timing assertions: the machine is shared.
}

fn paced_run(
    scene: Arc<dyn tickframe_core::Scene>,
    config: EngineConfig,
    frames: u64,
    out: Box<dyn Output>,
) -> tickframe_engine::RunReport {
    let base = RenderContext::new(size(32, 8), fps(60), 1, 0);
    let engine = Engine::new(scene, SceneKey(11), base, config).unwrap();
    engine
        .run(
            vec![out],
            RunOptions { frames: Some(frames), paced: true, scene_name: "s".into(), ..RunOptions::default() },
        )
        .unwrap()
}

#[test]
fn both_miss_policies_on_a_scene_slow_only_on_some_ticks() {
    let _g = serial();
    let fb = 32 * 8 * 4;
    for miss in [MissPolicy::RepeatPrevious, MissPolicy::RenderInline] {
        // One worker, a window of at most 8 frames: the 300 ms ticks 40 and 41 must miss.
        let scene = Arc::new(SlowBetween { from: 40, to: 42, delay: Duration::from_millis(300) });
        let config =
            EngineConfig { workers: 1, cache_bytes: 8 * fb, miss_policy: miss, ..EngineConfig::default() };
        let r = paced_run(scene, config, 90, Box::new(NullOutput));
        let o = &r.outputs[0];
        assert!(o.misses > 0, "{miss:?}: {}", r.summary());
        assert_eq!(o.presented + o.skipped, 90, "{o:?}");
        // Every miss is answered by exactly one of the two.
        assert_eq!(o.inline_renders + o.repeated, o.misses, "{miss:?}: {o:?}");
        match miss {
            MissPolicy::RepeatPrevious => {
                assert_eq!(o.inline_renders, 0, "{o:?}");
                assert!(o.repeated > 0, "{o:?}");
            }
            MissPolicy::RenderInline => assert!(o.inline_renders > 0, "{}", r.summary()),
        }
    }
}

#[test]
fn the_clock_starts_once_the_first_frame_is_ready() {
    let _g = serial();
    // Tick 0 takes 400 ms: with `repeat` the run must neither render inline nor show anything
    // before tick 0's frame.
    let scene = Arc::new(SlowBetween { from: 0, to: 1, delay: Duration::from_millis(400) });
    let config = EngineConfig { workers: 2, cache_bytes: 1 << 16, ..EngineConfig::default() };
    let (rec, seen) = Recorder::new();
    let r = paced_run(scene, config, 20, Box::new(rec));
    let o = &r.outputs[0];
    assert_eq!(o.inline_renders, 0, "{o:?}");
    let frames = seen.lock().unwrap().frames.clone();
    let base = RenderContext::new(size(32, 8), fps(60), 1, 0);
    assert_eq!(frames[0], (0, bars_hash(base, 0)), "the first frame shown is tick 0's");
    assert_eq!(o.misses, 0, "warm-up filled the window first: {o:?}");
}

#[test]
fn a_stalling_output_skips_ticks_and_counts_them_as_dropped() {
    let _g = serial();
    let (mut out, seen) = Scripted::new("stall");
    out.stall_at = Some((10, Duration::from_millis(100)));
    let config = EngineConfig { workers: 2, cache_bytes: 1 << 16, ..EngineConfig::default() };
    let r = paced_run(Arc::new(Bars), config, 60, Box::new(out));
    let o = &r.outputs[0];
    // 100 ms at 60 fps covers 6 deadlines; the presenter shows what is due, never catches up.
    assert!(o.skipped >= 5, "{o:?}");
    assert!(o.dropped >= o.skipped);
    assert_eq!(o.presented + o.skipped, 60, "{o:?}");
    assert!(o.gaps_over_50ms >= 1, "{o:?}");
    let frames = seen.lock().unwrap().frames.clone();
    let jump = frames.windows(2).map(|w| w[1].0 - w[0].0).max().unwrap();
    assert!(jump >= 6, "the tick after the stall is the one due, not the next: {frames:?}");
}

#[test]
fn the_window_grows_on_misses_and_shrinks_when_idle() {
    let _g = serial();
    // One worker; ticks 20..40 take 30 ms (two periods): misses. Then 3 s of fast frames with
    // the workers idle.
    let scene = Arc::new(SlowBetween { from: 20, to: 40, delay: Duration::from_millis(30) });
    let config = EngineConfig { workers: 1, cache_bytes: 200 * 32 * 8 * 4, ..EngineConfig::default() };
    let r = paced_run(scene, config, 240, Box::new(NullOutput));
    let w = r.window;
    assert!(r.outputs[0].misses > 0, "{}", r.summary());
    assert!(w.grown > 0 && w.peak > w.initial, "{w:?}");
    assert!(w.shrunk > 0 && w.current < w.peak, "{w:?}");
    assert!(w.current >= w.min && w.peak <= w.max, "{w:?}");
    // Sampled while running, not after the presenter let go.
    assert!(r.cache.frames_ahead_max > 0 && r.cache.frames_ahead_mean > 0.0, "{:?}", r.cache);
    assert!(r.cache.frames_max > 0 && r.cache.peak_bytes <= r.cache.budget_bytes, "{:?}", r.cache);
}

/// Three entries of 30 ticks.
struct Thirties;

impl tickframe_engine::EntryIndex for Thirties {
    fn entries(&self) -> usize {
        3
    }
    fn entry_at(&self, tick: u64) -> usize {
        (tick / 30).min(2) as usize
    }
    fn next_start(&self, tick: u64) -> Option<u64> {
        (tick < 60).then(|| (tick / 30 + 1) * 30)
    }
    fn previous_start(&self, tick: u64) -> Option<u64> {
        Some((tick / 30).saturating_sub(1) * 30)
    }
}

#[test]
fn too_slow_names_the_slow_playlist_entry() {
    let _g = serial();
    let base = RenderContext::new(size(32, 8), fps(60), 1, 0);
    let scene = Arc::new(SlowBetween { from: 30, to: 60, delay: Duration::from_millis(40) });
    let config = EngineConfig { workers: 1, cache_bytes: 1 << 16, ..EngineConfig::default() };
    let engine = Engine::new(scene, SceneKey(12), base, config).unwrap().with_entries(Arc::new(Thirties));
    let outputs: Vec<Box<dyn Output>> = vec![Box::new(NullOutput)];
    let r = engine
        .run(
            outputs,
            RunOptions {
                frames: Some(90),
                paced: true,
                scene_name: "list.toml".into(),
                ..RunOptions::default()
            },
        )
        .unwrap();
    let slow = r.too_slow.as_deref().unwrap_or_default();
    assert!(slow.contains("list.toml") && slow.contains("entry 1 (`playlist[1]`)"), "{}", r.summary());
    let e1 = r.entry_render_ms.iter().find(|e| e.entry == 1).unwrap();
    assert!(e1.mean_ms >= 40.0, "{:?}", r.entry_render_ms);
    assert!(
        r.entry_render_ms.iter().filter(|e| e.entry != 1).all(|e| e.mean_ms < 16.0),
        "{:?}",
        r.entry_render_ms
    );
}

#[test]
fn a_worker_holding_the_lock_never_makes_the_presenter_drop_a_frame() {
    // A worker keeps the engine's lock for 100 ms (six periods at 60 fps) right after tick 30,
    // as a worker preempted while holding it would. The presenter shows the frames it took
    // ahead (its reserve) meanwhile: nothing is dropped, every frame is the right one, and the
    // report counts the frames presented while the lock was busy.
    let _g = serial();
    let base = RenderContext::new(size(32, 8), fps(60), 3, 0);
    let config = EngineConfig {
        workers: 2,
        cache_bytes: 64 * 32 * 8 * 4,
        inject_lock_stall: Some((30, Duration::from_millis(100))),
        ..EngineConfig::default()
    };
    let engine = Engine::new(Arc::new(Bars), SceneKey(9), base, config).unwrap();
    let (rec, seen) = Recorder::new();
    let outputs: Vec<Box<dyn Output>> = vec![Box::new(rec)];
    let report =
        engine.run(outputs, RunOptions { frames: Some(90), paced: true, ..RunOptions::default() }).unwrap();
    let o = &report.outputs[0];
    assert!(o.lock_busy >= 3, "the stall should have kept the lock busy at several deadlines: {o:?}");
    assert_eq!(o.dropped, 0, "{}", report.summary());
    let frames = &seen.lock().unwrap().frames;
    assert_eq!(frames.len(), 90);
    for (i, &(tick, hash)) in frames.iter().enumerate() {
        assert_eq!(tick, i as u64);
        assert_eq!(hash, bars_hash(base, tick), "tick {tick}");
    }
}
