//! No heap allocation per presented frame in steady state, counted by a global counting
//! allocator (every thread: workers, presenters, the log writer).

#![allow(unsafe_code)] // a GlobalAlloc impl is unsafe by definition; it forwards to System.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tickframe_core::RenderContext;
use tickframe_engine::{Engine, EngineConfig, FrameLogWriter, NullOutput, Output, RunOptions, SceneKey};

use crate::common::{Bars, fps, serial, size};

static COUNT: AtomicU64 = AtomicU64::new(0);

struct Counting;

// SAFETY: every method forwards unchanged to `System`; the counter is a relaxed atomic add.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        COUNT.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        COUNT.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        COUNT.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    COUNT.load(Ordering::Relaxed)
}

fn engine(workers: usize) -> Engine {
    let base = RenderContext::new(size(64, 16), fps(240), 1, 0);
    let config = EngineConfig { workers, cache_bytes: 48 * 64 * 16 * 4, ..EngineConfig::default() };
    Engine::new(Arc::new(Bars), SceneKey(3), base, config).unwrap().with_alloc_counter(allocations)
}

#[test]
fn steady_state_presents_without_allocating_unpaced() {
    let _g = serial();
    for workers in [1, 2, 4] {
        let outputs: Vec<Box<dyn Output>> = vec![Box::new(NullOutput)];
        let report =
            engine(workers).run(outputs, RunOptions { frames: Some(2000), ..RunOptions::default() }).unwrap();
        let per_frame = report.outputs[0].allocs_per_frame.expect("counted");
        assert_eq!(per_frame, 0.0, "{workers} workers: {per_frame} allocations per frame");
    }
}

#[test]
fn steady_state_presents_without_allocating_paced_with_a_log() {
    let _g = serial();
    let writer = FrameLogWriter::start(std::io::sink(), 1 << 12, vec!["null".into()], "cpu").unwrap();
    let outputs: Vec<Box<dyn Output>> = vec![Box::new(NullOutput)];
    let report = engine(2)
        .run(
            outputs,
            RunOptions { frames: Some(720), paced: true, log: writer.log(), ..RunOptions::default() },
        )
        .unwrap();
    writer.finish().unwrap();
    let o = &report.outputs[0];
    let per_frame = o.allocs_per_frame.expect("counted");
    // A late wake-up can grow the window (new buffers) on a loaded machine: a few allocations
    // over hundreds of frames, never one per frame.
    assert!(per_frame < 0.05, "{per_frame} allocations per frame; {}", report.summary());
}
