//! Criterion benchmarks of every transition at 1920×1080, one core, against a plain
//! memory-bound loop (read two frames, write one), plus decoding and scaling a 2560×1438 JPEG
//! to 1920×1080 the way the slideshow does, and a 5120×2876 one at full and at reduced size.
//!
//! Run: `cargo bench -p tickframe-scenes --bench transitions`. Every group reports time per
//! frame (or per photo). The 2560×1438 JPEG is written once to
//! `target/bench-assets/photo-2560x1438.jpg`, so that `benches/pillow_resize.py` times Pillow
//! on the very same file (that script runs this bench and prints both medians and the ratio).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tickframe_core::{Frame, Rgba, Size};
use tickframe_scenes::photo::{
    FitMode, PhotoScratch, PrepareOptions, ResizeFilter, prepare_photo_bytes, prepare_photo_bytes_with,
    prepare_verified_photo_bytes_with,
};
use tickframe_scenes::{Direction, TransitionKind};

fn frames(w: u32, h: u32) -> (Frame, Frame) {
    let size = Size::new(w, h).unwrap();
    let mut a = Frame::new(size);
    let mut b = Frame::new(size);
    for (i, (p, q)) in a.pixels_mut().iter_mut().zip(b.pixels_mut().iter_mut()).enumerate() {
        let (x, y) = ((i % w as usize) as u32, (i / w as usize) as u32);
        *p = Rgba::rgb(x as u8, y as u8, (x ^ y) as u8);
        *q = Rgba::rgb((y * 3) as u8, (x * 5) as u8, 200);
    }
    (a, b)
}

fn transitions(c: &mut Criterion) {
    let (a, b) = frames(1920, 1080);
    let mut out = vec![Rgba::BLACK; a.pixels().len()];
    let mut g = c.benchmark_group("transition-1080p");
    g.sample_size(30).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    g.throughput(Throughput::Elements(1));
    g.bench_function("baseline-memory-loop", |bench| {
        bench.iter(|| {
            // The reference: one pass reading two frames and writing one, trivial arithmetic.
            for ((o, x), y) in out.iter_mut().zip(a.pixels()).zip(b.pixels()) {
                *o = Rgba::new(x.r | y.r, x.g | y.g, x.b | y.b, x.a | y.a);
            }
            black_box(&out);
        });
    });
    let kinds = [
        ("crossfade", TransitionKind::Crossfade),
        ("slide", TransitionKind::Slide(Direction::Left)),
        ("wipe", TransitionKind::Wipe(Direction::Left)),
        ("wipe-diagonal", TransitionKind::Wipe(Direction::DownRight)),
        ("blinds", TransitionKind::Blinds { vertical: false, count: 10 }),
        ("blinds-vertical", TransitionKind::Blinds { vertical: true, count: 10 }),
        ("dissolve", TransitionKind::Dissolve { block: 1 }),
        ("block-flip", TransitionKind::from_name("block-flip").unwrap()),
        ("ripple", TransitionKind::from_name("ripple").unwrap()),
        ("warp", TransitionKind::from_name("warp").unwrap()),
        ("zoom", TransitionKind::from_name("zoom").unwrap()),
        ("iris", TransitionKind::from_name("iris").unwrap()),
        ("pixelate", TransitionKind::from_name("pixelate").unwrap()),
        ("burn", TransitionKind::from_name("burn").unwrap()),
    ];
    for (name, kind) in kinds {
        g.bench_function(name, |bench| {
            let mut p = 0.0f64;
            bench.iter(|| {
                // Sweep the progress so every phase is measured.
                p = if p >= 0.95 { 0.05 } else { p + 0.0625 };
                kind.apply(p, 7, a.view(), b.view(), &mut out);
                black_box(&out);
            });
        });
    }
    g.finish();
}

/// A photo-like JPEG (smooth gradients and some texture), quality 90.
fn photo_jpeg(w: u32, h: u32) -> Vec<u8> {
    let mut img = image::RgbImage::new(w, h);
    for (x, y, p) in img.enumerate_pixels_mut() {
        let t = ((x * 7 + y * 13) % 23) as u8;
        *p = image::Rgb([(x * 255 / w) as u8 ^ t, (y * 255 / h) as u8, ((x + y) / 16) as u8]);
    }
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&img).unwrap();
    out
}

/// The 2560×1438 JPEG both this bench and `pillow_resize.py` time: read from
/// `target/bench-assets/photo-2560x1438.jpg`, written there first when missing.
fn shared_jpeg() -> Vec<u8> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-assets");
    let path = dir.join("photo-2560x1438.jpg");
    if let Ok(bytes) = std::fs::read(&path)
        && !bytes.is_empty()
    {
        return bytes;
    }
    let bytes = photo_jpeg(2560, 1438);
    std::fs::create_dir_all(&dir).unwrap();
    let tmp = dir.join("photo-2560x1438.jpg.part");
    std::fs::write(&tmp, &bytes).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    bytes
}

fn photo(c: &mut Criterion) {
    let jpeg = shared_jpeg();
    let size = Size::new(1920, 1080).unwrap();
    let mut g = c.benchmark_group("photo-2560x1438-jpeg-to-1080p");
    g.sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    g.bench_function("decode", |bench| {
        bench.iter(|| black_box(image::load_from_memory(&jpeg).unwrap()));
    });
    for (name, filter) in [("lanczos3", ResizeFilter::Lanczos3), ("catmull-rom", ResizeFilter::CatmullRom)] {
        let opts = PrepareOptions { filter, ..PrepareOptions::new(size) };
        g.bench_function(format!("decode+scale-{name}"), |bench| {
            bench.iter(|| black_box(prepare_photo_bytes(&jpeg, &opts).unwrap()));
        });
    }
    // Exactly 1920×1080 out (the centred 2556.4×1438 crop): what pillow_resize.py compares.
    let opts = PrepareOptions { fit: FitMode::Fill, ..PrepareOptions::new(size) };
    g.bench_function("decode+scale-lanczos3-fill", |bench| {
        bench.iter(|| black_box(prepare_photo_bytes(&jpeg, &opts).unwrap()));
    });
    // The same with one scratch kept from photo to photo, as each slideshow worker does.
    let mut scratch = PhotoScratch::new();
    g.bench_function("decode+scale-lanczos3-fill-reused", |bench| {
        bench.iter(|| black_box(prepare_photo_bytes_with(&mut scratch, &jpeg, &opts).unwrap()));
    });
    // A photo prepared again after an eviction, its bytes unchanged: no completeness walk.
    g.bench_function("decode+scale-lanczos3-fill-reprepared", |bench| {
        bench.iter(|| black_box(prepare_verified_photo_bytes_with(&mut scratch, &jpeg, &opts).unwrap()));
    });
    // As in the slideshow: the last four frames stay held (the cache), the oldest is evicted,
    // and either dropped or given back to the scratch to build the next photo in.
    for (name, recycle) in [("cached-dropped", false), ("cached-recycled", true)] {
        let mut held = std::collections::VecDeque::new();
        g.bench_function(format!("decode+scale-lanczos3-fill-reused-{name}"), |bench| {
            bench.iter(|| {
                held.push_back(prepare_photo_bytes_with(&mut scratch, &jpeg, &opts).unwrap());
                if held.len() > 4 {
                    let old = held.pop_front().unwrap();
                    if recycle {
                        scratch.recycle(old);
                    }
                }
            })
        });
    }
    g.finish();

    // The split of the fill case: each step alone, on the same file.
    let mut g = c.benchmark_group("photo-2560x1438-split");
    g.sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    let zune = |cs: zune_core::colorspace::ColorSpace| {
        zune_core::options::DecoderOptions::default().jpeg_set_out_colorspace(cs).set_strict_mode(false)
    };
    let decode = |cs| {
        zune_jpeg::JpegDecoder::new_with_options(zune_core::bytestream::ZCursor::new(&jpeg), zune(cs))
            .decode()
            .unwrap()
    };
    use zune_core::colorspace::ColorSpace;
    g.bench_function("zune-decode-rgb", |bench| bench.iter(|| black_box(decode(ColorSpace::RGB))));
    g.bench_function("zune-decode-rgba", |bench| bench.iter(|| black_box(decode(ColorSpace::RGBA))));
    let cw = 1438.0 * 1920.0 / 1080.0;
    let crop = ((2560.0 - cw) / 2.0, 0.0, cw, 1438.0);
    let lanczos = fast_image_resize::ResizeAlg::Convolution(fast_image_resize::FilterType::Lanczos3);
    let opts = fast_image_resize::ResizeOptions::new()
        .resize_alg(lanczos)
        .crop(crop.0, crop.1, crop.2, crop.3)
        .use_alpha(false);
    for (name, cs, pt) in [
        ("scale-u8x3", ColorSpace::RGB, fast_image_resize::PixelType::U8x3),
        ("scale-u8x4", ColorSpace::RGBA, fast_image_resize::PixelType::U8x4),
    ] {
        let src = decode(cs);
        let src = fast_image_resize::images::ImageRef::new(2560, 1438, &src, pt).unwrap();
        g.bench_function(format!("{name}-fresh"), |bench| {
            bench.iter(|| {
                let mut dst = fast_image_resize::images::Image::new(1920, 1080, pt);
                fast_image_resize::Resizer::new().resize(&src, &mut dst, &opts).unwrap();
                black_box(dst)
            })
        });
        let mut dst = fast_image_resize::images::Image::new(1920, 1080, pt);
        let mut resizer = fast_image_resize::Resizer::new();
        g.bench_function(format!("{name}-reused"), |bench| {
            bench.iter(|| {
                resizer.resize(&src, &mut dst, &opts).unwrap();
                black_box(&dst);
            })
        });
    }
    let rgb = vec![7u8; 1920 * 1080 * 3];
    g.bench_function("rgb-to-frame", |bench| {
        bench.iter(|| {
            let px: Vec<Rgba> = rgb.chunks_exact(3).map(|s| Rgba::rgb(s[0], s[1], s[2])).collect();
            black_box(Frame::from_pixels(size, px).unwrap())
        })
    });
    g.finish();

    // A photo more than twice the display: decoded at 1/2 size (DCT scaling) then resampled,
    // against the full-size decode.
    let big = photo_jpeg(5120, 2876);
    let mut g = c.benchmark_group("photo-5120x2876-jpeg-to-1080p");
    g.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(4));
    for (name, reduced_decode) in [("full-size-decode+lanczos3", false), ("reduced-decode+lanczos3", true)] {
        let opts = PrepareOptions { fit: FitMode::Fill, reduced_decode, ..PrepareOptions::new(size) };
        g.bench_function(name, |bench| {
            bench.iter(|| black_box(prepare_photo_bytes(&big, &opts).unwrap()));
        });
    }
    g.finish();
}

criterion_group!(benches, transitions, photo);
criterion_main!(benches);
