//! A global allocator wrapper that counts heap allocations, so `tickframe bench` and `play`'s
//! report can show that steady-state rendering allocates nothing.
//!
//! Only threads that asked for it are counted ([`count_this_thread`]: the engine calls it first
//! on its workers, presenters and memory sampler; `bench` on the thread it measures on), so the
//! figure is about the frame path alone, not the progress bar, a device's sender thread or the
//! slideshow's background decoders, which allocate whenever they like.

#![allow(unsafe_code)] // a GlobalAlloc impl is unsafe by definition; it only forwards to System.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Whether this thread's allocations are counted (a `const` Cell: reading it never allocates).
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

/// Counts this thread's allocations from now on.
pub fn count_this_thread() {
    COUNTED.with(|c| c.set(true));
}

fn note() {
    if COUNTED.with(Cell::get) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

/// Forwards to the system allocator and counts every `alloc`/`realloc` on counted threads (a
/// thread-local flag, then one relaxed atomic add).
#[derive(Debug)]
pub struct CountingAllocator;

// SAFETY: every method forwards unchanged to `System`, which upholds GlobalAlloc's contract.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocations counted so far on the counted threads of this process. Only meaningful when
/// [`CountingAllocator`] is the global allocator (it is in the `tickframe` binary).
pub fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}
