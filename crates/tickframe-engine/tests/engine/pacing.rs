//! Paced runs: a slow scene is reported as too slow with dropped frames counted and memory
//! bounded; a fast one is presented at its deadlines.

use std::sync::Arc;
use std::time::Duration;

use tickframe_core::RenderContext;
use tickframe_engine::{Engine, EngineConfig, MissPolicy, NullOutput, Output, RunOptions, SceneKey};

use crate::common::{Bars, Slow, fps, serial, size};

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
