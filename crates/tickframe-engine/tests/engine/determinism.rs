//! The presenter shows the same bytes whatever the worker count or cache.

use std::sync::Arc;

use tickframe_core::{RenderContext, Renderer, Scene, frame_hash};
use tickframe_engine::{Engine, EngineConfig, Output, RunOptions, SceneKey};
use tickframe_scenes::file::{Overrides, load_scene_file};

use crate::common::{Recorder, serial, size};

fn totem() -> (Arc<dyn Scene>, RenderContext) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/totem.toml");
    let overrides = Overrides { size: Some(size(64, 16)), ..Overrides::default() };
    let scene = load_scene_file(std::path::Path::new(path), &overrides).expect("examples/totem.toml");
    let base = RenderContext::new(scene.size, scene.rate, scene.seed, 0);
    (scene.root, base)
}

fn run(scene: &Arc<dyn Scene>, base: RenderContext, config: EngineConfig, frames: u64) -> Vec<(u64, u128)> {
    let engine = Engine::new(Arc::clone(scene), SceneKey(42), base, config).unwrap();
    let (rec, seen) = Recorder::new();
    let outputs: Vec<Box<dyn Output>> = vec![Box::new(rec)];
    let report = engine.run(outputs, RunOptions { frames: Some(frames), ..RunOptions::default() }).unwrap();
    assert_eq!(report.outputs[0].presented, frames);
    assert_eq!(report.outputs[0].dropped, 0, "unpaced runs drop nothing");
    assert!(report.outputs[0].finished);
    let s = seen.lock().unwrap();
    assert_eq!(s.finished, Some(frames));
    s.frames.clone()
}

#[test]
fn same_bytes_with_1_2_and_8_workers_cache_on_or_off() {
    let _g = serial();
    let (scene, base) = totem();
    // Spread the ticks over the playlist (entries and transitions) with a low frame rate.
    let base = RenderContext::new(base.size, crate::common::fps(4), base.seed, 0);
    let frames = 120;
    let mut r = Renderer::default();
    let expected: Vec<(u64, u128)> =
        (0..frames).map(|t| (t, frame_hash(r.render_new(&*scene, &base.at_tick(t)).view()))).collect();
    let fb = base.size.area() * 4;
    for (workers, cache_frames, ahead) in
        [(1, 64, true), (2, 64, true), (8, 64, true), (8, 1, true), (3, 2, true), (1, 1, false)]
    {
        let config = EngineConfig {
            workers,
            cache_bytes: cache_frames * fb,
            render_ahead: ahead,
            ..EngineConfig::default()
        };
        let got = run(&scene, base, config, frames);
        assert_eq!(got, expected, "workers {workers}, cache {cache_frames} frames, render-ahead {ahead}");
    }
}

#[test]
fn every_output_gets_the_same_frames() {
    let _g = serial();
    let (scene, base) = totem();
    let engine = Engine::new(
        scene,
        SceneKey(1),
        base,
        EngineConfig { workers: 2, cache_bytes: 1 << 20, ..EngineConfig::default() },
    )
    .unwrap();
    let (a, sa) = Recorder::new();
    let (b, sb) = Recorder::new();
    let outputs: Vec<Box<dyn Output>> = vec![Box::new(a), Box::new(b)];
    let report = engine.run(outputs, RunOptions { frames: Some(50), ..RunOptions::default() }).unwrap();
    assert_eq!(report.outputs.len(), 2);
    assert_eq!(sa.lock().unwrap().frames, sb.lock().unwrap().frames);
    assert_eq!(sa.lock().unwrap().frames.len(), 50);
}
