//! A short unpaced soak: resident memory after the warm-up and at the end stays flat, with the
//! window at its largest and the cache at its byte budget.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tickframe_core::RenderContext;
use tickframe_engine::{Engine, EngineConfig, NullOutput, Output, RunOptions, SceneKey};

use crate::common::{Bars, fps, serial, size};

#[test]
fn an_unpaced_soak_keeps_resident_memory_flat() {
    let _g = serial();
    let base = RenderContext::new(size(128, 64), fps(60), 1, 0);
    let fb = 128 * 64 * 4;
    let config = EngineConfig { workers: 2, cache_bytes: 64 * fb, ..EngineConfig::default() };
    let engine = Engine::new(Arc::new(Bars), SceneKey(4), base, config).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = Arc::clone(&stop);
    let timer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(4));
        s2.store(true, Ordering::Relaxed);
    });
    let outputs: Vec<Box<dyn Output>> = vec![Box::new(NullOutput)];
    let r =
        engine.run(outputs, RunOptions { frames: None, stop: Some(stop), ..RunOptions::default() }).unwrap();
    timer.join().unwrap();
    let (warm, end, max) = (r.rss_warm_kib.unwrap(), r.rss_end_kib.unwrap(), r.rss_max_kib.unwrap());
    assert!(r.rss_samples >= 3, "sampled every second: {}", r.rss_samples);
    assert!(max >= end && max >= warm);
    assert!(end <= warm + 2048, "resident memory grew {} KiB after the warm-up: {}", end - warm, r.summary());
    // The soak exercised the adaptive window and the byte budget.
    assert!(r.window.peak > r.window.initial, "{:?}", r.window);
    assert!(r.cache.peak_bytes <= r.cache.budget_bytes && r.cache.frames_max > 2, "{:?}", r.cache);
    assert!(r.outputs[0].presented > 1000, "{}", r.summary());
}
