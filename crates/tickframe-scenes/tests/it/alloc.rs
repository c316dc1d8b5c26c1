//! Zero heap allocations per frame in steady state, for every built-in scene, counted by a
//! thread-local counting allocator (so tests running in parallel do not disturb each other).

#![allow(unsafe_code)] // a GlobalAlloc impl is unsafe by definition; it forwards to System.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use tickframe_core::{DrawMode, Frame, RenderContext, Size};

use crate::common::{all_cases, build, fps60, renderer};

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
fn steady_state_rendering_allocates_nothing() {
    let size = Size::new(256, 64).unwrap();
    // Every case but the mandelbrot palette variants, which run the very code of the default
    // case with another colour table (and cost the most in debug builds).
    for (label, params) in all_cases().into_iter().filter(|(l, _)| !l.starts_with("mandelbrot-palette-")) {
        // Default parameters for every scene, then the variants.
        let scene = build(&params, size);
        let mut r = renderer(DrawMode::DisplayList);
        let mut f = Frame::new(size);
        let base = RenderContext::new(size, fps60(), 9, 0);
        // Warm-up: display-list capacity, scratch frames, scene pools; `life` stores its first
        // checkpoint (tick 60), which allocates the whole bounded store at once.
        let warm = 120;
        for t in 0..warm {
            r.render(&*scene, &base.at_tick(t), &mut f);
        }
        // Steady state is playing on: for `life` (defaults: a checkpoint every 60 ticks, at
        // most 32 kept, a reseed every 1800 ticks) that means new checkpoints, reseeds, and
        // once the store is full, evictions; so measure well past all three.
        let measured = if label == "life" { 4_000 } else { 240 };
        let before = allocations();
        for t in warm..warm + measured {
            r.render(&*scene, &base.at_tick(t), &mut f);
        }
        let n = allocations() - before;
        assert_eq!(n, 0, "{label}: {n} allocations in {measured} steady-state frames");
    }
}

#[test]
fn life_with_defaults_fills_and_recycles_its_store_without_allocating() {
    // The same as above, but on the simulation directly so the store's counters can show that
    // the measured run really stored, evicted and reseeded.
    use tickframe_core::{Checkpointed, Rgba, Timebase};
    use tickframe_scenes::procedural::life::Life;
    let size = Size::new(256, 64).unwrap();
    let reseed = Timebase::new(fps60()).ticks_for_seconds(30.0);
    let scene = Checkpointed::new(
        Life::new(1, 0.3, reseed, Rgba::WHITE, Rgba::BLACK),
        Checkpointed::<Life>::DEFAULT_INTERVAL,
        Checkpointed::<Life>::DEFAULT_CAPACITY,
    );
    let mut r = renderer(DrawMode::DisplayList);
    let mut f = Frame::new(size);
    let base = RenderContext::new(size, fps60(), 9, 0);
    for t in 0..120 {
        r.render(&scene, &base.at_tick(t), &mut f);
    }
    let before = allocations();
    for t in 120..4_120 {
        r.render(&scene, &base.at_tick(t), &mut f);
    }
    let n = allocations() - before;
    let stats = scene.stats();
    assert_eq!(n, 0, "{n} allocations; {stats:?}");
    assert!(stats.stored > 60 && stats.evicted > 0, "{stats:?}");
    assert_eq!(stats.held, Checkpointed::<Life>::DEFAULT_CAPACITY, "{stats:?}");
}

#[test]
fn composition_allocates_nothing_in_steady_state() {
    // The demo (layers, every blend of text over effects, all four transitions) plus a layered
    // playlist with every blend mode, each rendered for a whole pass to warm up, then measured
    // over a second whole pass.
    let layered = r##"
seed = 5
loop = true
[display]
width = 128
height = 64
fps = 60
[[playlist]]
duration = 2
transition = { kind = "slide", direction = "left", duration = 0.5 }
[[playlist.layers]]
scene = "gradient"
[[playlist.layers]]
scene = "plasma"
blend = "multiply"
opacity = 0.5
[[playlist.layers]]
scene = "starfield"
blend = "screen"
[[playlist.layers]]
scene = "text"
blend = "add"
[[playlist]]
duration = 2
transition = { kind = "dissolve", duration = 0.5 }
scene = "fire"
"##;
    let here = std::path::Path::new(".");
    let files = [
        ("demo", tickframe_scenes::demo_scene(&tickframe_scenes::Overrides::default())),
        (
            "layered",
            tickframe_scenes::parse_scene_str(layered, "layered.toml", here, &Default::default()).unwrap(),
        ),
    ];
    for (name, file) in files {
        let total: u64 = match name {
            "demo" => 30 * 60,
            _ => 4 * 60,
        };
        let mut r = renderer(DrawMode::DisplayList);
        let mut f = Frame::new(file.size);
        let base = RenderContext::new(file.size, file.rate, file.seed, 0);
        for t in 0..total {
            r.render(&*file.root, &base.at_tick(t), &mut f);
        }
        let before = allocations();
        for t in total..2 * total {
            r.render(&*file.root, &base.at_tick(t), &mut f);
        }
        let n = allocations() - before;
        assert_eq!(n, 0, "{name}: {n} allocations in {total} steady-state frames");
    }
}

#[test]
fn the_counter_counts() {
    let before = allocations();
    let v: Vec<u8> = Vec::with_capacity(100);
    assert!(allocations() > before);
    drop(v);
}
