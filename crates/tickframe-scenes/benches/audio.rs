//! Criterion benchmarks of the audio visualizer, one core: per-frame cost at 256×64 and
//! 1920×1080 for every mode, split into analysis (the per-tick row) and drawing, against a
//! memory-bound baseline, and the build cost (decode, analysis table).
//!
//! Run: `cargo bench -p tickframe-scenes --bench audio` (about 4 minutes; the groups set short
//! runs themselves: 20 samples over 2 s per frame figure). Before measuring, it counts heap
//! allocations per frame in steady state (a counting global allocator) and fails if any.
//!
//! Groups:
//! - `baseline_<size>/fill`: `Frame::fill` of the whole frame (what `Renderer` does before every
//!   scene): the memory-bound floor every per-frame figure is compared with.
//! - `visualizer_analysis/<setting>`: the analysis part of a frame with the table, the tick's
//!   sample position and its row looked up (the FFT, bands, smoothing and peaks ran while
//!   building, see `visualizer_build`).
//! - `visualizer_<size>/<mode>`: one full frame through a `Renderer` (clear to black, then the
//!   scene without a background, which writes only its lit pixels): what the engine pays.
//! - `visualizer_<size>_bg/<mode>`: the scene with an opaque background through a `Renderer`:
//!   the scene paints every pixel itself, each once, so the `Renderer` skips its clear
//!   (`Scene::paints_every_pixel`).
//! - `visualizer_from_scratch_<size>/…`: a frame computed without the table: the FFT of every
//!   hop in the row's window of past audio (`W..2W` hops), the recurrences from a zero state,
//!   and the drawing (`default` is the scene's defaults, automatic gain: a window of about 14 s;
//!   `fixed_gain_short` is fixed gain, 60 ms decay, 100 ms hold, 300 ms fall).
//! - `visualizer_build`: decoding and the analysis table per second of audio (throughput
//!   element = one second of the 22.05 kHz demo clip), and `analyse_3min_44k_64_bands` once per
//!   iteration: a 3-minute 44.1 kHz clip (the demo clip upsampled and repeated), 64 bands.
//! - `visualizer_live/…`: live input. `hop_48k_<n>_bands`: the analysis thread's work per 10 ms
//!   hop at 48 kHz (480 samples through the pump: one 4096-point FFT, bands, recurrences);
//!   `row_latched` / `row_first_draw`: what a render of a live tick adds to drawing (the
//!   latched row copied, or the latest row taken and latched), against `lookup_32_bands` above.

#![allow(unsafe_code)] // a GlobalAlloc impl is unsafe by definition; it forwards to System.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tickframe_core::{DrawMode, Frame, FrameRate, RenderContext, Renderer, Scene, Size};
use tickframe_scenes::audio::{
    AnalysisSettings, Clip, ColorBy, DirectScratch, Gain, Layout as BarLayout, Look, Mode, Spectrogram,
    Style, Visualizer, decode_file,
};
use tickframe_scenes::{BuildContext, Params, Value, build_scene};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards unchanged to `System`; the counter is a static atomic, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn clip() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/assets/audio/demo-clip.wav"))
}

fn rate() -> FrameRate {
    FrameRate::whole(60).unwrap()
}

const MODES: &[(&str, &[(&str, &str)])] = &[
    ("bars", &[]),
    ("bars_led", &[("style", "led")]),
    ("bars_mirrored", &[("layout", "mirrored"), ("color_by", "band")]),
    ("curve", &[("mode", "curve")]),
    ("oscilloscope", &[("mode", "oscilloscope")]),
];

fn scene(size: Size, extra: &[(&str, &str)]) -> Arc<dyn Scene> {
    let mut p = Params::new("visualizer", None).with("path", Value::Str(clip().display().to_string()));
    for (k, v) in extra {
        p = p.with(k, Value::Str((*v).into()));
    }
    let mut cx = BuildContext::new(".", size, rate());
    build_scene(p, &mut cx).unwrap()
}

/// Steady-state allocations per frame must be zero.
fn check_allocations() {
    for size in [Size::new(256, 64).unwrap(), Size::new(1920, 1080).unwrap()] {
        for (name, extra) in MODES.iter().flat_map(|(n, e)| {
            let bg: Vec<(&str, &str)> = e.iter().copied().chain([("background", "#101018")]).collect();
            [(n.to_string(), e.to_vec()), (format!("{n}+background"), bg)]
        }) {
            let s = scene(size, &extra);
            let mut r = Renderer::new(DrawMode::DisplayList);
            let mut f = Frame::new(size);
            for t in 0..60 {
                r.render(&*s, &RenderContext::new(size, rate(), 1, t), &mut f);
            }
            let before = ALLOCATIONS.load(Ordering::Relaxed);
            for t in 60..300 {
                r.render(&*s, &RenderContext::new(size, rate(), 1, t), &mut f);
            }
            let n = ALLOCATIONS.load(Ordering::Relaxed) - before;
            println!("allocations in 240 steady-state frames, {name} {size}: {n}");
            assert_eq!(n, 0, "{name} {size}: {n} allocations");
        }
    }
}

fn short(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    g.sample_size(20).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(2));
    g.throughput(Throughput::Elements(1));
}

/// The memory-bound floor: one fill of the whole frame (varying colour, so nothing is skipped).
fn baseline(c: &mut Criterion) {
    for size in [Size::new(256, 64).unwrap(), Size::new(1920, 1080).unwrap()] {
        let mut g = c.benchmark_group(format!("baseline_{size}"));
        short(&mut g);
        let mut f = Frame::new(size);
        let mut t = 0u8;
        g.bench_function("fill", |b| {
            b.iter(|| {
                f.fill(tickframe_core::Rgba::rgb(t, 0, 0));
                t = t.wrapping_add(1);
                black_box(f.pixels()[0])
            })
        });
        g.finish();
    }
}

/// The analysis part of a frame: the tick's sample and its row of the table.
fn analysis(c: &mut Criterion) {
    let size = Size::new(256, 64).unwrap();
    let decoded = decode_file(&clip()).unwrap();
    let mut g = c.benchmark_group("visualizer_analysis");
    short(&mut g);
    for bands in [32usize, 64] {
        let mut s = settings(Gain::Auto, 200.0, 400.0, 1500.0);
        s.bands = bands;
        let vis = Visualizer::new(decoded.clone(), &s, bars_look(), 0);
        let mut t = 0u64;
        g.bench_function(format!("lookup_{bands}_bands"), |b| {
            b.iter(|| {
                let ctx = RenderContext::new(size, rate(), 1, t % 720);
                t += 1;
                black_box(vis.levels_at(&ctx).map(|(l, p)| l[0] ^ p[0]))
            })
        });
    }
    g.finish();
}

fn render(c: &mut Criterion) {
    check_allocations();
    for size in [Size::new(256, 64).unwrap(), Size::new(1920, 1080).unwrap()] {
        for (name, extra) in MODES {
            // Through a Renderer: frame cleared to black, scene (no background), flush.
            let s = scene(size, extra);
            let mut g = c.benchmark_group(format!("visualizer_{size}"));
            short(&mut g);
            let mut r = Renderer::new(DrawMode::DisplayList);
            let mut f = Frame::new(size);
            let mut t = 0u64;
            g.bench_function(*name, |b| {
                b.iter(|| {
                    r.render(&*s, &RenderContext::new(size, rate(), 1, t % 720), &mut f);
                    t += 1;
                    black_box(f.pixels()[0])
                })
            });
            g.finish();
            // With an opaque background, through a Renderer: the scene paints every pixel, so
            // the Renderer does not clear the frame first (the frame a player would show).
            let extra_bg: Vec<(&str, &str)> =
                extra.iter().copied().chain([("background", "#101018")]).collect();
            let s = scene(size, &extra_bg);
            let mut g = c.benchmark_group(format!("visualizer_{size}_bg"));
            short(&mut g);
            let mut t = 0u64;
            g.bench_function(*name, |b| {
                b.iter(|| {
                    r.render(&*s, &RenderContext::new(size, rate(), 1, t % 720), &mut f);
                    t += 1;
                    black_box(f.pixels()[0])
                })
            });
            g.finish();
        }
    }
}

fn build(c: &mut Criterion) {
    let decoded = decode_file(&clip()).unwrap();
    let seconds = decoded.samples.len() as u64 / u64::from(decoded.rate);
    let mut g = c.benchmark_group("visualizer_build");
    g.sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(4));
    // One element = one second of audio: time/elem is the build cost per second of audio.
    g.throughput(Throughput::Elements(seconds));
    g.bench_function("decode_wav", |b| b.iter(|| black_box(decode_file(&clip()).unwrap().samples.len())));
    for bands in [32usize, 64] {
        for looped in [true, false] {
            let settings = AnalysisSettings {
                bands,
                min_hz: 40.0,
                max_hz: 16_000.0,
                attack_ms: 15.0,
                decay_ms: 200.0,
                peak_hold_ms: 400.0,
                peak_fall_ms: 1500.0,
                gain: Gain::Auto,
                gain_db: 0.0,
                range_db: 60.0,
                looped,
            };
            let id = format!("analyse_{bands}_bands_{}", if looped { "loop" } else { "once" });
            g.bench_function(id, |b| {
                b.iter(|| black_box(Spectrogram::analyse(&decoded, &settings).table_bytes()))
            });
        }
    }
    g.finish();
    // A 3-minute 44.1 kHz clip (4096-point FFTs), 64 bands: the demo clip, each sample twice,
    // repeated.
    let long = Clip {
        rate: 44_100,
        channels: 1,
        samples: decoded.samples.iter().flat_map(|&v| [v, v]).cycle().take(180 * 44_100).collect(),
        warnings: Vec::new(),
    };
    let mut s = settings(Gain::Auto, 200.0, 400.0, 1500.0);
    s.bands = 64;
    let spec = Spectrogram::analyse(&long, &s);
    println!(
        "3-minute 44.1 kHz clip, 64 bands: table {} bytes ({:.2} MB), {} hops of {} samples",
        spec.table_bytes(),
        spec.table_bytes() as f64 / 1e6,
        spec.table_bytes() / (4 * 64),
        spec.hop()
    );
    let mut g = c.benchmark_group("visualizer_build");
    g.sample_size(10).warm_up_time(Duration::from_millis(100)).measurement_time(Duration::from_secs(8));
    g.bench_function("analyse_3min_44k_64_bands", |b| {
        b.iter(|| black_box(Spectrogram::analyse(&long, &s).table_bytes()))
    });
    g.finish();
}

fn settings(gain: Gain, decay_ms: f64, peak_hold_ms: f64, peak_fall_ms: f64) -> AnalysisSettings {
    AnalysisSettings {
        bands: 32,
        min_hz: 40.0,
        max_hz: 16_000.0,
        attack_ms: 15.0,
        decay_ms,
        peak_hold_ms,
        peak_fall_ms,
        gain,
        gain_db: 0.0,
        range_db: 60.0,
        looped: true,
    }
}

fn bars_look() -> Look {
    Look {
        mode: Mode::Bars,
        style: Style::Solid,
        layout: BarLayout::Linear,
        segments: 16,
        colors: vec![tickframe_core::Rgba::rgb(0, 192, 96), tickframe_core::Rgba::rgb(255, 48, 48)],
        color_by: ColorBy::Level,
        peaks: true,
        peak_color: tickframe_core::Rgba::WHITE,
        background: None,
        scope_ms: 50.0,
    }
}

/// A frame with no table: its row straight from the audio (every FFT of its window), then drawn.
fn from_scratch(c: &mut Criterion) {
    let decoded = decode_file(&clip()).unwrap();
    let look = bars_look();
    for (label, s) in [
        ("default", settings(Gain::Auto, 200.0, 400.0, 1500.0)),
        ("fixed_gain_short", settings(Gain::Fixed, 60.0, 100.0, 300.0)),
    ] {
        let vis = Visualizer::new(decoded.clone(), &s, look.clone(), 0);
        let spec = vis.spectrogram().unwrap();
        println!(
            "{label}: window {} hops of {} samples, FFT of {}",
            spec.window_hops(),
            spec.hop(),
            spec.fft_len()
        );
        for size in [Size::new(256, 64).unwrap(), Size::new(1920, 1080).unwrap()] {
            let mut g = c.benchmark_group(format!("visualizer_from_scratch_{size}"));
            g.sample_size(10)
                .warm_up_time(Duration::from_millis(300))
                .measurement_time(Duration::from_secs(3));
            g.throughput(Throughput::Elements(1));
            let mut f = Frame::new(size);
            let mut sc = DirectScratch::default();
            let (mut lv, mut pk) = (vec![0u16; 32], vec![0u16; 32]);
            let mut t = 0u64;
            g.bench_function(label, |b| {
                b.iter(|| {
                    let ctx = RenderContext::new(size, rate(), 1, t % 720);
                    let pos = vis.sample_at(ctx.timebase, ctx.tick);
                    spec.row_from_audio(&decoded.samples, pos, &mut sc, &mut lv, &mut pk);
                    f.fill(tickframe_core::Rgba::BLACK);
                    vis.draw_levels(f.pixels_mut(), size.width(), size.height(), &lv, &pk);
                    t += 1;
                    black_box(f.pixels()[0])
                })
            });
            g.finish();
        }
    }
}

/// Live input: the analysis thread's cost per hop, and the row a render takes.
fn live(c: &mut Criterion) {
    use tickframe_scenes::audio::StreamAnalysis;
    use tickframe_scenes::audio::live::{BandFeed, BandRow, LiveInput, SamplePump};
    let mut g = c.benchmark_group("visualizer_live");
    short(&mut g);
    let rate = 48_000;
    let tone: Vec<f32> = (0..rate).map(|i| (0.5 * libm::sin(0.0576 * f64::from(i))) as f32).collect();
    for bands in [32usize, 64] {
        let mut s = settings(Gain::Auto, 200.0, 400.0, 1500.0);
        s.bands = bands;
        let mut pump = SamplePump::new(StreamAnalysis::new(rate as u32, &s));
        let mut at = 0usize;
        g.bench_function(format!("hop_48k_{bands}_bands"), |b| {
            b.iter(|| {
                let mut sum = 0u32;
                for _ in 0..480 {
                    pump.feed(tone[at], |_, l, _| sum += u32::from(l[0]));
                    at = (at + 1) % tone.len();
                }
                black_box(sum)
            })
        });
    }
    let (input, mut sink) =
        LiveInput::start(rate as u32, &settings(Gain::Auto, 200.0, 400.0, 1500.0), "bench").unwrap();
    sink.push_interleaved(&tone[..4800], 1, |x| x);
    let mut row = BandRow::empty(32);
    input.row_for_tick(5, &mut row);
    g.bench_function("row_latched", |b| {
        b.iter(|| {
            input.row_for_tick(5, &mut row);
            black_box(row.levels[0])
        })
    });
    let mut t = 1_000u64;
    g.bench_function("row_first_draw", |b| {
        b.iter(|| {
            t += 1;
            input.row_for_tick(t, &mut row);
            black_box(row.levels[0])
        })
    });
    g.finish();
}

criterion_group!(benches, baseline, analysis, render, from_scratch, build, live);
criterion_main!(benches);
