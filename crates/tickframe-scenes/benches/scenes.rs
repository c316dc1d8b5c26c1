//! Criterion benchmarks of the procedural scenes at 256×64, one core.
//!
//! Run: `cargo bench -p tickframe-scenes --bench scenes`. Every group reports time per frame.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tickframe_core::{DrawMode, Frame, FrameRate, RenderContext, Renderer, Scene, Size};
use tickframe_scenes::procedural::mandelbrot::Mandelbrot;
use tickframe_scenes::procedural::random_pixels::{RandomPixels, WritePath};
use tickframe_scenes::{BuildContext, Params, build_scene};

fn ctx(tick: u64) -> RenderContext {
    RenderContext::new(Size::new(256, 64).unwrap(), FrameRate::whole(60).unwrap(), 42, tick)
}

fn scene(name: &str) -> Arc<dyn Scene> {
    let mut cx =
        BuildContext::new(Path::new("."), Size::new(256, 64).unwrap(), FrameRate::whole(60).unwrap());
    build_scene(Params::new(name, None), &mut cx).unwrap()
}

/// Renders `scene` at successive ticks (cycling through `ticks`), one frame per iteration.
fn bench_scene(c: &mut Criterion, group: &str, id: &str, scene: &dyn Scene, mode: DrawMode, ticks: u64) {
    let mut g = c.benchmark_group(group);
    g.sample_size(20).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(2));
    g.throughput(Throughput::Elements(1));
    let mut renderer = Renderer::new(mode);
    let mut frame = Frame::new(Size::new(256, 64).unwrap());
    let mut t = 0u64;
    g.bench_function(id, |b| {
        b.iter(|| {
            renderer.render(scene, &ctx(t % ticks), &mut frame);
            t += 1;
            black_box(frame.pixels()[0])
        })
    });
    g.finish();
}

fn mandelbrot(c: &mut Criterion) {
    let m = Mandelbrot::original(0);
    let n = m.cycle_len();
    let mut g = c.benchmark_group("mandelbrot_256x64_full_cycle");
    g.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(8));
    // One iteration = every tick of the cycle; throughput = frames, so time/elem is per frame.
    g.throughput(Throughput::Elements(n));
    let mut renderer = Renderer::new(DrawMode::DisplayList);
    let mut frame = Frame::new(Size::new(256, 64).unwrap());
    g.bench_function("cycle", |b| {
        b.iter(|| {
            for t in 0..n {
                renderer.render(&m, &ctx(t), &mut frame);
            }
            black_box(frame.pixels()[0])
        })
    });
    g.finish();
}

fn confetti(c: &mut Criterion) {
    let size = Size::new(256, 64).unwrap();
    for (id, path, mode) in [
        ("pixels_mut", WritePath::Pixels, DrawMode::DisplayList),
        ("plot_display_list", WritePath::Plot, DrawMode::DisplayList),
        ("plot_direct", WritePath::Plot, DrawMode::Direct),
    ] {
        let s = RandomPixels::confetti(size, path);
        bench_scene(c, "confetti_256x64", id, &s, mode, 1 << 20);
    }
}

fn others(c: &mut Criterion) {
    for name in ["solid", "gradient", "random-pixels", "plasma", "life", "fire", "starfield"] {
        let s = scene(name);
        // life: ticks cycle within one checkpoint interval's reach (steady-state sequential play).
        bench_scene(c, &format!("{name}_256x64"), "render", &*s, DrawMode::DisplayList, 1 << 20);
    }
}

criterion_group!(benches, confetti, mandelbrot, others);
criterion_main!(benches);
