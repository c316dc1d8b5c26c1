//! No heap allocation per presented frame in steady state, counted by a global counting
//! allocator on exactly the engine's own threads (workers, presenters, the memory sampler: the
//! engine calls [`count_this_thread`] first on each, through `Engine::with_counted_threads`), so
//! the test harness's threads, which allocate whenever they like, never blur the figure.

#![allow(unsafe_code)] // a GlobalAlloc impl is unsafe by definition; it forwards to System.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tickframe_core::RenderContext;
use tickframe_engine::{
    Engine, EngineConfig, FrameLogWriter, NullOutput, Output, OutputOptions, RunOptions, SceneKey,
};

use crate::common::{Bars, fps, serial, size};

static COUNT: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Whether allocations on this thread are counted (a `const` Cell: reading it never allocates).
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

/// Counts this thread's allocations from now on.
fn count_this_thread() {
    COUNTED.with(|c| c.set(true));
}

fn note() {
    if COUNTED.with(Cell::get) {
        COUNT.fetch_add(1, Ordering::Relaxed);
    }
}

struct Counting;

// SAFETY: every method forwards unchanged to `System`; the counter is a relaxed atomic add.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: the caller's contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: the caller's contract.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: the caller's contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    COUNT.load(Ordering::Relaxed)
}

/// The serial lock: one engine at a time, so the counter holds one run's allocations.
fn quiet() -> std::sync::MutexGuard<'static, ()> {
    serial()
}

fn engine(workers: usize) -> Engine {
    let base = RenderContext::new(size(64, 16), fps(240), 1, 0);
    let config = EngineConfig { workers, cache_bytes: 48 * 64 * 16 * 4, ..EngineConfig::default() };
    Engine::new(Arc::new(Bars), SceneKey(3), base, config)
        .unwrap()
        .with_alloc_counter(allocations)
        .with_counted_threads(count_this_thread)
}

/// Allocations in the steady state of an unpaced 4000-frame run (and a description of the run),
/// with or without a frame log, to one output per seed offset in `offsets`.
fn unpaced_allocs(workers: usize, log: bool, offsets: &[u64]) -> (f64, String) {
    let names = offsets.iter().map(|_| "null".to_string()).collect();
    let writer = log.then(|| FrameLogWriter::start(std::io::sink(), 1 << 12, names, "cpu").unwrap());
    let outputs: Vec<(Box<dyn Output>, OutputOptions)> = offsets
        .iter()
        .map(|&seed_offset| (Box::new(NullOutput) as Box<dyn Output>, OutputOptions { seed_offset }))
        .collect();
    let report = engine(workers)
        .run_with(
            outputs,
            RunOptions {
                frames: Some(4000),
                log: writer.as_ref().and_then(FrameLogWriter::log),
                ..RunOptions::default()
            },
        )
        .unwrap();
    if let Some(w) = writer {
        let stats = w.finish();
        assert_eq!(stats.written + stats.dropped, 4000 * offsets.len() as u64, "{stats:?}");
    }
    let mut allocs = 0.0;
    for o in &report.outputs {
        let per_frame = o.allocs_per_frame.expect("counted");
        assert!(o.allocs_sample_frames >= 1000, "measured over {} frames", o.allocs_sample_frames);
        allocs += (per_frame * o.allocs_sample_frames as f64).round();
    }
    (allocs, format!("buffers {} window {:?}; {}", report.frame_buffers, report.window, report.summary()))
}

#[test]
fn steady_state_presents_without_allocating_unpaced() {
    let _g = quiet();
    for workers in [1, 2, 4] {
        let (allocs, info) = unpaced_allocs(workers, false, &[0]);
        assert!(allocs == 0.0, "{workers} workers: {allocs} allocations in steady state; {info}");
    }
}

#[test]
fn steady_state_with_two_streams_allocates_nothing() {
    let _g = quiet();
    for (workers, log) in [(1, false), (2, false), (2, true)] {
        // Outputs on seeds 1, 2 and 1 again: two streams sharing the cache.
        let (allocs, info) = unpaced_allocs(workers, log, &[0, 1, 0]);
        assert!(
            allocs == 0.0,
            "{workers} workers, log {log}, two streams: {allocs} allocations in steady state; {info}"
        );
        assert!(info.contains("seed 2"), "{info}");
    }
}

#[test]
fn steady_state_frame_events_through_the_tracing_layer_allocate_nothing() {
    let _g = quiet();
    let (allocs, info) = unpaced_allocs(2, true, &[0]);
    assert!(allocs == 0.0, "{allocs} allocations in steady state with a frame log; {info}");
}

#[test]
fn steady_state_presents_without_allocating_paced_with_a_log() {
    let _g = quiet();
    let writer = FrameLogWriter::start(std::io::sink(), 1 << 12, vec!["null".into()], "cpu").unwrap();
    let outputs: Vec<Box<dyn Output>> = vec![Box::new(NullOutput)];
    let report = engine(2)
        .run(
            outputs,
            RunOptions { frames: Some(720), paced: true, log: writer.log(), ..RunOptions::default() },
        )
        .unwrap();
    writer.finish();
    let o = &report.outputs[0];
    let per_frame = o.allocs_per_frame.expect("counted");
    // A late wake-up can grow the window (new buffers) on a loaded machine: a few allocations
    // over hundreds of frames, never one per frame.
    assert!(per_frame < 0.05, "{per_frame} allocations per frame; {}", report.summary());
}

#[test]
fn sampling_resident_memory_allocates_nothing() {
    let _g = quiet();
    let _ = tickframe_engine::resident_kib();
    count_this_thread();
    let before = allocations();
    for _ in 0..10 {
        assert!(tickframe_engine::resident_kib().is_some_and(|k| k > 0));
    }
    let n = allocations() - before;
    COUNTED.with(|c| c.set(false));
    assert_eq!(n, 0);
}
