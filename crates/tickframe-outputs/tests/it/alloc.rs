//! Zero heap allocations per frame in steady state on the send path, counted by a thread-local
//! counting allocator (tests running in parallel do not disturb each other).

#![allow(unsafe_code)] // a GlobalAlloc impl is unsafe by definition; it forwards to System.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use embedded_graphics::pixelcolor::BinaryColor;
use tickframe_core::Size;
use tickframe_core::convert::MonoMode;
use tickframe_outputs::{
    ChannelOrder, ColorSettings, DirtyScreen, LedOutput, LedPipeline, Mapping, NetworkOutput, mono,
    parse_output_url,
};

use crate::common::{free_port, test_frame, udp_receiver};
use crate::screen::MemoryDisplay;

struct Counting;

thread_local! {
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards unchanged to `System`; the counter is a const-initialised thread-local Cell,
// which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's contract.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    COUNT.with(Cell::get)
}

#[test]
fn steady_state_sending_allocates_nothing() {
    let size = Size::new(256, 64).unwrap();
    let frames: Vec<_> = (0..4).map(|t| test_frame(size, t)).collect();
    let (_rx, port) = udp_receiver();
    let closed = free_port();
    let settings =
        ColorSettings { gamma: 2.2, brightness: 200, power_limit: Some(1_000_000), order: ChannelOrder::Grb };
    for url in [
        format!("ddp://127.0.0.1:{port}?timecode=1"),
        format!("e131://127.0.0.1:{port}?universe=1&sync=100"),
        format!("artnet://127.0.0.1:{port}?sync=1"),
        format!("opc://127.0.0.1:{closed}"),
        // Errors are counted without allocating too.
        format!("ddp://127.0.0.1:{closed}"),
    ] {
        let net = NetworkOutput::open(&parse_output_url(&url).unwrap()).unwrap();
        let mut out = LedOutput::new(LedPipeline::new(Mapping::serpentine(size, true), settings), net);
        for f in &frames {
            out.send_frame(f.view(), 0).unwrap();
        }
        let before = allocations();
        for i in 0..20 {
            out.send_frame(frames[i % 4].view(), i as u64 * 16_666_667).unwrap();
        }
        assert_eq!(allocations() - before, 0, "{url}: allocations in 20 steady-state frames");
    }

    let mono_size = Size::new(128, 64).unwrap();
    let mono_frames: Vec<_> = (0..4).map(|t| test_frame(mono_size, t)).collect();
    let mut screen =
        DirtyScreen::new(MemoryDisplay::<BinaryColor>::new(mono_size), mono_size, mono(MonoMode::Bayer8));
    screen.show(mono_frames[0].view()).unwrap();
    let before = allocations();
    for i in 0..20 {
        screen.show(mono_frames[i % 4].view()).unwrap();
    }
    assert_eq!(allocations() - before, 0, "dirty screen: allocations in 20 frames");
}
