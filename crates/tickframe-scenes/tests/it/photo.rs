//! The slideshow and the clock: photo sources (sorted, shuffled, skipped files, decompression
//! bombs), identical frames whatever the cache did, fit modes, captions, and the clock's time.
//!
//! The photos are generated here; nothing is downloaded. `generate_example_photos` (ignored)
//! rewrites `examples/assets/photos/`:
//! `cargo test -p tickframe-scenes --test it generate_example_photos -- --ignored`.

use std::path::{Path, PathBuf};

use tickframe_core::{DrawMode, Frame, FrameRate, RenderContext, Renderer, Rgba, Size, frame_hash};
use tickframe_scenes::photo::{ClockStart, PhotoRescan, Slideshow};
use tickframe_scenes::{
    BuildContext, Overrides, Params, SceneFile, Spanned, Value, build_scene, parse_scene_str,
};

/// A photo-like test picture: gradients, a sun, and some texture.
pub fn picture(w: u32, h: u32, hue: u32) -> image::RgbImage {
    image::RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x * 255 / w.max(1), y * 255 / h.max(1));
        let (dx, dy) = (x as i64 - i64::from(w) * 2 / 3, y as i64 - i64::from(h) / 3);
        if dx * dx + dy * dy < i64::from(h * h / 36) {
            return image::Rgb([255, 230, 120]);
        }
        let t = ((x / 7 + y / 5) % 3) * 6;
        image::Rgb([((fx + hue) % 256) as u8, ((255 - fy + t) % 256) as u8, ((fy + hue * 2) % 256) as u8])
    })
}

fn jpeg(img: &image::RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(img).unwrap();
    out
}

fn encode(img: &image::RgbImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// A BMP header claiming `w × h` pixels with no pixel data: a decompression bomb.
fn bomb_bmp(w: u32, h: u32) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(b"BM");
    b.extend_from_slice(&(54u32 + 16).to_le_bytes());
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(&54u32.to_le_bytes());
    b.extend_from_slice(&40u32.to_le_bytes());
    b.extend_from_slice(&w.to_le_bytes());
    b.extend_from_slice(&h.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&24u16.to_le_bytes());
    b.extend_from_slice(&[0; 24]);
    b.extend_from_slice(&[0; 16]);
    b
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tickframe-photo-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A folder with four good photos (JPEG, PNG, BMP, GIF), one in a sub-folder, and bad files.
fn photo_folder(name: &str) -> PathBuf {
    let d = temp_dir(name);
    std::fs::write(d.join("a-sunset.jpg"), jpeg(&picture(160, 90, 0), 85)).unwrap();
    std::fs::write(d.join("b-tall.png"), encode(&picture(60, 100, 80), image::ImageFormat::Png)).unwrap();
    std::fs::write(d.join("c-small.bmp"), encode(&picture(40, 30, 160), image::ImageFormat::Bmp)).unwrap();
    std::fs::write(d.join("d-anim.gif"), encode(&picture(80, 45, 200), image::ImageFormat::Gif)).unwrap();
    std::fs::write(d.join("notes.txt"), "not a photo").unwrap();
    std::fs::write(d.join("e-corrupt.jpg"), b"\xFF\xD8\xFF\xE0 this is not really a jpeg").unwrap();
    let full = jpeg(&picture(160, 90, 40), 85);
    std::fs::write(d.join("f-truncated.jpg"), &full[..full.len() / 3]).unwrap();
    std::fs::write(d.join("g-bomb.bmp"), bomb_bmp(50_000, 50_000)).unwrap();
    std::fs::create_dir_all(d.join("sub")).unwrap();
    std::fs::write(d.join("sub/h-deep.jpg"), jpeg(&picture(100, 100, 120), 85)).unwrap();
    d
}

fn fps60() -> FrameRate {
    FrameRate::whole(60).unwrap()
}

fn slideshow(folder: &Path, size: Size, extra: &[(&str, Value)]) -> (Slideshow, Vec<String>) {
    let mut p = Params::new("slideshow", None).with("folder", Value::Str(folder.display().to_string()));
    for (k, v) in extra {
        p = p.with(k, v.clone());
    }
    let mut cx = BuildContext::new(folder, size, fps60());
    let s = Slideshow::from_params(&mut p, &mut cx).unwrap_or_else(|e| panic!("{e}"));
    p.finish().unwrap();
    (s, cx.warnings)
}

fn hashes(scene: &Slideshow, size: Size, ticks: &[u64]) -> Vec<u128> {
    let mut r = Renderer::new(DrawMode::DisplayList);
    let mut f = Frame::new(size);
    ticks
        .iter()
        .map(|&t| {
            r.render(scene, &RenderContext::new(size, fps60(), 5, t), &mut f);
            frame_hash(f.view())
        })
        .collect()
}

#[test]
fn bad_files_are_skipped_with_warnings_naming_them() {
    let d = photo_folder("skips");
    let size = Size::new(64, 36).unwrap();
    let (s, warnings) = slideshow(&d, size, &[]);
    let names: Vec<&str> = s.names().collect();
    assert_eq!(names, ["a-sunset.jpg", "b-tall.png", "c-small.bmp", "d-anim.gif"]);
    let all = warnings.join("\n");
    for bad in ["e-corrupt.jpg", "f-truncated.jpg", "g-bomb.bmp"] {
        assert!(all.contains(&format!("skipping `{}", d.join(bad).display())), "{all}");
        assert!(all.contains(bad), "no warning for {bad}: {all}");
    }
    assert!(all.contains("50000x50000 is more than the limit"), "{all}");
    assert!(!all.contains("notes.txt"), "{all}");
    // Recursive adds the sub-folder's photo, in sorted path order.
    let (s, _) = slideshow(&d, size, &[("recursive", Value::Bool(true))]);
    assert_eq!(s.len(), 5);
    assert_eq!(s.names().last(), Some("h-deep.jpg"));
    // The limit is configurable: a tiny one refuses the 160×90 photos too.
    let (s, w) = slideshow(&d, size, &[("max_megapixels", Value::Float(0.01))]);
    assert_eq!(s.names().collect::<Vec<_>>(), ["b-tall.png", "c-small.bmp", "d-anim.gif"]);
    assert!(w.join("\n").contains("a-sunset.jpg"));
}

#[test]
fn a_folder_without_photos_is_a_clear_error() {
    let d = temp_dir("empty");
    std::fs::write(d.join("readme.txt"), "x").unwrap();
    std::fs::write(d.join("broken.png"), "not a png").unwrap();
    let mut p = Params::new("slideshow", None).with("folder", Value::Str(d.display().to_string()));
    let mut cx = BuildContext::new(&d, Size::new(8, 8).unwrap(), fps60());
    let e = Slideshow::from_params(&mut p, &mut cx).unwrap_err();
    assert!(e.message.contains("no usable photo in"), "{}", e.message);
    assert!(e.message.contains(&d.display().to_string()), "{}", e.message);
    let mut p = Params::new("slideshow", None).with("folder", Value::Str("/no/such/folder".into()));
    let e = Slideshow::from_params(&mut p, &mut cx).unwrap_err();
    assert!(e.message.contains("cannot list folder `/no/such/folder`"), "{}", e.message);
    let e = build_scene(Params::new("slideshow", None), &mut cx).err().unwrap();
    assert!(e.message.contains("missing required parameter `folder`"), "{}", e.message);
}

#[test]
fn frames_are_the_same_whatever_the_cache_and_workers_did() {
    let d = photo_folder("cache");
    let size = Size::new(64, 36).unwrap();
    // 1 s a photo, 0.25 s transitions of every kind in turn: ticks inside and across slots.
    let kinds: Vec<Spanned> = tickframe_scenes::TransitionKind::NAMES
        .iter()
        .map(|k| {
            Spanned::new(Value::Table(vec![
                ("kind".into(), Spanned::new(Value::Str((*k).into()))),
                ("duration".into(), Spanned::new(Value::Float(0.25))),
            ]))
        })
        .collect();
    let common = [
        ("interval", Value::Float(1.0)),
        ("transition", Value::Array(kinds)),
        ("caption", Value::Str("name".into())),
    ];
    let ticks: Vec<u64> = (0..900).step_by(7).chain([59, 60, 61, 119, 3599, 100_000]).collect();
    let mut with = common.to_vec();
    with.extend([("workers", Value::Int(0)), ("prefetch", Value::Int(0)), ("cache_mb", Value::Int(1))]);
    let (sync_only, _) = slideshow(&d, size, &with);
    let expected = hashes(&sync_only, size, &ticks);
    assert!(sync_only.stats().sync_prepares > 0);
    assert_eq!(sync_only.stats().prefetched, 0);
    let mut with = common.to_vec();
    with.extend([("workers", Value::Int(3)), ("prefetch", Value::Int(4))]);
    let (prefetching, _) = slideshow(&d, size, &with);
    assert_eq!(hashes(&prefetching, size, &ticks), expected, "prefetched frames differ");
    // Shuffled tick order on a fresh scene.
    let (fresh, _) = slideshow(&d, size, &with);
    let mut rev: Vec<u64> = ticks.clone();
    rev.reverse();
    let mut got = hashes(&fresh, size, &rev);
    got.reverse();
    assert_eq!(got, expected, "reverse order differs");
}

#[test]
fn shuffle_shows_every_photo_once_per_pass_and_never_twice_in_a_row() {
    let d = temp_dir("shuffle");
    for i in 0..7 {
        std::fs::write(d.join(format!("p{i}.png")), encode(&picture(8, 8, i * 30), image::ImageFormat::Png))
            .unwrap();
    }
    let (s, _) = slideshow(&d, Size::new(8, 8).unwrap(), &[]);
    for seed in 0..20 {
        let order: Vec<usize> = (0..70).map(|k| s.photo_index(seed, k)).collect();
        for pass in order.chunks(7) {
            let mut p = pass.to_vec();
            p.sort_unstable();
            assert_eq!(p, (0..7).collect::<Vec<_>>(), "seed {seed}: {order:?}");
        }
        assert!(order.windows(2).all(|w| w[0] != w[1]), "seed {seed}: repeat in {order:?}");
    }
    assert_ne!(
        (0..7).map(|k| s.photo_index(1, k)).collect::<Vec<_>>(),
        (0..7).map(|k| s.photo_index(2, k)).collect::<Vec<_>>()
    );
    let (sorted, _) = slideshow(&d, Size::new(8, 8).unwrap(), &[("order", Value::Str("sorted".into()))]);
    assert_eq!((0..9).map(|k| sorted.photo_index(3, k)).collect::<Vec<_>>(), [0, 1, 2, 3, 4, 5, 6, 0, 1]);
}

#[test]
fn fit_fill_shrink_and_backgrounds() {
    let d = temp_dir("fit");
    // A wide 200×50 photo on a 100×100 display.
    std::fs::write(d.join("wide.png"), encode(&picture(200, 50, 0), image::ImageFormat::Png)).unwrap();
    let size = Size::new(100, 100).unwrap();
    let frame = |extra: &[(&str, Value)]| {
        let (s, _) = slideshow(&d, size, extra);
        Renderer::default().render_new(&s, &RenderContext::new(size, fps60(), 0, 0))
    };
    let red = Value::Str("#ff0000".into());
    let fit = frame(&[("background", red.clone())]);
    assert_eq!(fit.get(50, 0), Some(Rgba::rgb(255, 0, 0)), "letterbox bar");
    assert_ne!(fit.get(50, 50), Some(Rgba::rgb(255, 0, 0)));
    let fill = frame(&[("fit", Value::Str("fill".into())), ("background", red.clone())]);
    assert!(fill.pixels().iter().all(|p| *p != Rgba::rgb(255, 0, 0)), "fill leaves no background");
    let blur = frame(&[("background", Value::Str("blur".into()))]);
    assert_ne!(blur.get(50, 2), Some(Rgba::BLACK));
    // Shrink never enlarges: a 40×30 photo stays 40×30 in the middle.
    let d2 = temp_dir("shrink");
    std::fs::write(d2.join("small.png"), encode(&picture(40, 30, 0), image::ImageFormat::Png)).unwrap();
    let (s, _) = slideshow(&d2, size, &[("fit", Value::Str("shrink".into())), ("background", red)]);
    let f = Renderer::default().render_new(&s, &RenderContext::new(size, fps60(), 0, 0));
    let non_red = f.pixels().iter().filter(|p| **p != Rgba::rgb(255, 0, 0)).count();
    assert_eq!(non_red, 40 * 30);
    assert!(f.pixels().iter().all(|p| p.a == 255));
}

#[test]
fn captions_draw_the_photo_name() {
    let d = photo_folder("caption");
    let size = Size::new(320, 120).unwrap();
    let (plain, _) = slideshow(&d, size, &[("order", Value::Str("sorted".into()))]);
    let (named, _) = slideshow(
        &d,
        size,
        &[("order", Value::Str("sorted".into())), ("caption", Value::Str("name".into()))],
    );
    let ctx = RenderContext::new(size, fps60(), 0, 0);
    let a = Renderer::default().render_new(&plain, &ctx);
    let b = Renderer::default().render_new(&named, &ctx);
    // The caption box sits at the bottom-left, 16 px in: the top-right corner is untouched.
    assert_eq!(a.get(300, 5), b.get(300, 5));
    assert_ne!(a.get(120, 120 - 16 - 10), b.get(120, 120 - 16 - 10));
}

#[test]
fn the_clock_counts_from_its_start_and_honours_the_override() {
    let size = Size::new(128, 40).unwrap();
    let render = |src: &str, clock: &Option<ClockStart>, tick: u64| {
        let file = SceneFile::parse_with_clock(src, "c.toml", Path::new("."), &Overrides::default(), *clock)
            .unwrap_or_else(|e| panic!("{e}"));
        let f = Renderer::default().render_new(&*file.root, &RenderContext::new(size, file.rate, 0, tick));
        frame_hash(f.view())
    };
    let clock = |start: &str| {
        format!(
            "scene = \"clock\"\nstart = \"{start}\"\ndate = true\n[display]\nwidth = 128\nheight = 40\nfps = 60\n"
        )
    };
    let none = None;
    // 61 s after 23:59:00 is 00:00:01 of the next day.
    assert_eq!(
        render(&clock("2024-12-31T23:59:00"), &none, 61 * 60),
        render(&clock("2025-01-01 00:00:01"), &none, 0)
    );
    assert_ne!(
        render(&clock("2024-12-31T23:59:00"), &none, 0),
        render(&clock("2025-01-01 00:00:01"), &none, 0)
    );
    // Within a second the frame does not change.
    assert_eq!(render(&clock("12:00"), &none, 0), render(&clock("12:00"), &none, 59));
    let o = Some(ClockStart::parse("2025-01-01T00:00:01").unwrap());
    assert_eq!(render(&clock("08:00"), &o, 0), render(&clock("2025-01-01 00:00:01"), &none, 0));
    let e = parse_scene_str(&clock("25:00"), "c.toml", Path::new("."), &Overrides::default()).unwrap_err();
    assert!(e.to_string().contains("`clock.start`: expected a time"), "{e}");
    // 12-hour format and no seconds differ from the default.
    let twelve = "scene = \"clock\"\nstart = \"18:30\"\nformat = \"12h\"\nseconds = false\n[display]\nwidth = 128\nheight = 40\n";
    assert_ne!(render(twelve, &none, 0), render(&clock("18:30"), &none, 0));
}

/// Writes the example photos (small synthetic JPEGs and a PNG, < 300 KB in all).
#[test]
#[ignore = "rewrites examples/assets/photos; run by hand"]
fn generate_example_photos() {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/assets/photos"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("01-dusk.jpg"), jpeg(&picture(960, 540, 0), 70)).unwrap();
    std::fs::write(dir.join("02-meadow.jpg"), jpeg(&picture(960, 540, 90), 70)).unwrap();
    std::fs::write(dir.join("03-tower.jpg"), jpeg(&picture(480, 640, 170), 70)).unwrap();
    std::fs::write(dir.join("04-sea.png"), encode(&picture(320, 180, 40), image::ImageFormat::Png)).unwrap();
    let total: u64 = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();
    assert!(total < 300_000, "example photos take {total} bytes");
}

#[test]
fn the_slideshow_example_loads_and_renders() {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/slideshow.toml"));
    let file =
        tickframe_scenes::load_scene_file(&path, &Overrides::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(file.warnings.is_empty(), "{:?}", file.warnings);
    let mut r = Renderer::default();
    let mut f = Frame::new(file.size);
    for t in [0u64, 330, 700] {
        r.render(&*file.root, &RenderContext::new(file.size, file.rate, file.seed, t), &mut f);
        assert!(f.pixels().iter().all(|p| p.a == 255));
    }
}

/// A JPEG cut in the middle of its scan with an end-of-image marker appended: decoders show it
/// as grey without an error.
fn cut_jpeg_with_end_marker(img: &image::RgbImage) -> Vec<u8> {
    let full = jpeg(img, 85);
    let mut cut = full[..full.len() / 2].to_vec();
    cut.extend_from_slice(&[0xFF, 0xD9]);
    cut
}

/// A PNG whose IDAT data is damaged (headers and IEND intact).
fn corrupt_idat_png(img: &image::RgbImage) -> Vec<u8> {
    let mut png = encode(img, image::ImageFormat::Png);
    let idat = png.windows(4).position(|w| w == b"IDAT").unwrap();
    for b in &mut png[idat + 12..idat + 40] {
        *b ^= 0x5A;
    }
    png
}

fn webp_lossless(img: &image::RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut out)
        .encode(img, img.width(), img.height(), image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

#[test]
fn webp_and_tiff_photos_are_shown() {
    let d = temp_dir("webp-tiff");
    let (a, b) = (picture(48, 27, 10), picture(27, 48, 90));
    std::fs::write(d.join("a.webp"), webp_lossless(&a)).unwrap();
    std::fs::write(d.join("b.tif"), encode(&b, image::ImageFormat::Tiff)).unwrap();
    std::fs::write(d.join("c.TIFF"), encode(&a, image::ImageFormat::Tiff)).unwrap();
    let size = Size::new(48, 48).unwrap();
    let (s, warnings) =
        slideshow(&d, size, &[("order", Value::Str("sorted".into())), ("interval", Value::Float(2.0))]);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(s.names().collect::<Vec<_>>(), ["a.webp", "b.tif", "c.TIFF"]);
    // Lossless: the letterboxed 48×27 WebP photo is the picture itself, pixel for pixel.
    let f = Renderer::default().render_new(&s, &RenderContext::new(size, fps60(), 0, 0));
    let y0 = (48 - 27) / 2;
    for (x, y) in [(0, 0), (13, 5), (47, 26)] {
        let p = a.get_pixel(x, y);
        assert_eq!(f.get(x, y0 + y), Some(Rgba::rgb(p[0], p[1], p[2])), "({x}, {y})");
    }
    assert!(s.skipped().is_empty(), "{:?}", s.skipped());
    // The TIFF photos show too (slots 1 and 2), and differ from each other.
    let h = hashes(&s, size, &[0, 120, 240]);
    assert!(h[0] != h[1] && h[1] != h[2], "{h:?}");
    assert_eq!(s.stats().failures, 0);
}

/// A folder where two files pass the build-time probe but fail to decode when prepared.
fn late_failures_folder(name: &str) -> PathBuf {
    let d = temp_dir(name);
    for (i, hue) in [0u32, 50, 100, 150, 200].into_iter().enumerate() {
        std::fs::write(d.join(format!("p{i}.png")), encode(&picture(32, 18, hue), image::ImageFormat::Png))
            .unwrap();
    }
    std::fs::write(d.join("p1-grey.jpg"), cut_jpeg_with_end_marker(&picture(64, 36, 30))).unwrap();
    std::fs::write(d.join("p3-idat.png"), corrupt_idat_png(&picture(64, 36, 60))).unwrap();
    d
}

#[test]
fn photos_that_fail_when_prepared_are_skipped_the_same_way_whatever_the_cache_did() {
    let d = late_failures_folder("late");
    let size = Size::new(32, 18).unwrap();
    let ticks: Vec<u64> = (0..2000).step_by(13).chain([59, 60, 61, 239, 240, 599, 10_000]).collect();
    let base = [("interval", Value::Float(2.0)), ("caption", Value::Str("name".into()))];
    let mut runs = Vec::new();
    for order in ["sorted", "shuffle"] {
        let mut expected: Option<Vec<u128>> = None;
        for (workers, prefetch, cache_mb, reverse) in
            [(0, 0, 1, false), (1, 2, 256, false), (3, 4, 1, true), (2, 16, 1, false), (0, 3, 256, true)]
        {
            let mut extra = base.to_vec();
            extra.extend([
                ("order", Value::Str(order.into())),
                ("workers", Value::Int(workers)),
                ("prefetch", Value::Int(prefetch)),
                ("cache_mb", Value::Int(cache_mb)),
            ]);
            let (s, warnings) = slideshow(&d, size, &extra);
            // Both pass the build-time probe (headers, complete ends).
            assert!(warnings.is_empty(), "{warnings:?}");
            assert_eq!(s.len(), 7);
            let mut t = ticks.clone();
            if reverse {
                t.reverse();
            }
            let mut got = hashes(&s, size, &t);
            if reverse {
                got.reverse();
            }
            match &expected {
                None => expected = Some(got),
                Some(e) => {
                    assert!(&got == e, "{order}: workers {workers} prefetch {prefetch} cache {cache_mb} MiB")
                }
            }
            // Both were skipped, once each, with the reason.
            let skipped = s.skipped();
            let names: Vec<String> =
                skipped.iter().map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
            assert_eq!(names, ["p1-grey.jpg", "p3-idat.png"], "{skipped:?}");
            assert!(
                skipped[0].1.contains("truncated: the image data ends before the last block"),
                "{skipped:?}"
            );
            assert!(skipped[1].1.contains("cannot decode"), "{skipped:?}");
            assert_eq!(s.stats().failures, 2);
            runs.push(s);
        }
    }
    // In sorted order (p0, p1-grey, p1, p2, p3-idat, p3, p4) the slot of p1-grey.jpg shows the
    // next photo, p1.png, as p1's own slot does; p3-idat's slot shows p3.png.
    let s = &runs[0];
    let h = hashes(s, size, &[130, 250, 490, 610, 10]);
    assert_eq!(h[0], h[1], "p1-grey.jpg's slot shows p1.png");
    assert_eq!(h[2], h[3], "p3-idat.png's slot shows p3.png");
    assert!(h[4] != h[0] && h[0] != h[2]);
}

#[test]
fn a_photo_changed_during_the_run_is_detected_and_skipped() {
    let d = temp_dir("changed");
    for i in 0..3u32 {
        std::fs::write(
            d.join(format!("p{i}.bmp")),
            encode(&picture(512, 288, i * 70), image::ImageFormat::Bmp),
        )
        .unwrap();
    }
    let size = Size::new(512, 288).unwrap();
    let extra = [
        ("order", Value::Str("sorted".into())),
        ("interval", Value::Float(2.0)),
        ("workers", Value::Int(0)),
        ("prefetch", Value::Int(0)),
        // Room for one 512×288 photo (576 KiB) only: every slot evicts the previous photo.
        ("cache_mb", Value::Int(1)),
    ];
    let (s, _) = slideshow(&d, size, &extra);
    let first = hashes(&s, size, &[10, 130, 250]);
    // Same length, other pixels: p1.bmp now shows p2's picture, but its pin still says p1.
    let len_before = std::fs::metadata(d.join("p1.bmp")).unwrap().len();
    std::fs::copy(d.join("p2.bmp"), d.join("p1.bmp")).unwrap();
    assert_eq!(std::fs::metadata(d.join("p1.bmp")).unwrap().len(), len_before);
    let again = hashes(&s, size, &[10, 250, 130]);
    assert_eq!(again[0], first[0]);
    assert!(s.stats().evictions >= 4, "{:?}", s.stats());
    assert_eq!(s.stats().changed, 1, "{:?}", s.stats());
    assert_eq!(again[2], first[2], "the changed photo's slot shows the next photo");
    let skipped = s.skipped();
    assert!(skipped[0].0.ends_with("p1.bmp"), "{skipped:?}");
    assert!(skipped[0].1.contains("changed during the run: its bytes hash to"), "{skipped:?}");
    // A fresh slideshow pins the new bytes: no change is seen.
    let (fresh, _) = slideshow(&d, size, &extra);
    assert_eq!(hashes(&fresh, size, &[130])[0], first[2]);
    assert_eq!(fresh.stats().changed, 0);
}

#[test]
fn headers_past_the_first_256_kib_still_probe() {
    let d = temp_dir("bighead");
    let img = picture(40, 30, 0);
    let plain = jpeg(&img, 85);
    // A 300 KB application segment chain (APP9 × 5, 60 KB each) before the frame header.
    let mut big = plain[..2].to_vec();
    for _ in 0..5 {
        big.extend_from_slice(&[0xFF, 0xE9]);
        big.extend_from_slice(&60_002u16.to_be_bytes());
        big.extend(std::iter::repeat_n(0x42u8, 60_000));
    }
    big.extend_from_slice(&plain[2..]);
    std::fs::write(d.join("big.jpg"), &big).unwrap();
    let (s, warnings) = slideshow(&d, Size::new(40, 30).unwrap(), &[]);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(s.len(), 1);
    let f =
        Renderer::default().render_new(&s, &RenderContext::new(Size::new(40, 30).unwrap(), fps60(), 0, 0));
    assert!(s.skipped().is_empty(), "{:?}", s.skipped());
    assert!(f.pixels().iter().any(|p| *p != Rgba::BLACK));
}

#[test]
fn no_usable_photo_lists_each_file_and_why() {
    let d = temp_dir("none-usable");
    std::fs::write(d.join("a.png"), "not a png").unwrap();
    let full = jpeg(&picture(64, 36, 0), 85);
    std::fs::write(d.join("b.jpg"), &full[..full.len() / 2]).unwrap();
    std::fs::write(d.join("c.bmp"), bomb_bmp(50_000, 50_000)).unwrap();
    let mut p = Params::new("slideshow", None).with("folder", Value::Str(d.display().to_string()));
    let mut cx = BuildContext::new(&d, Size::new(8, 8).unwrap(), fps60());
    let e = Slideshow::from_params(&mut p, &mut cx).unwrap_err();
    let m = e.message;
    assert!(m.contains("no usable photo in"), "{m}");
    assert!(
        m.contains(&format!("`{}`: not a JPEG, PNG, WebP, GIF, TIFF or BMP file", d.join("a.png").display())),
        "{m}"
    );
    assert!(
        m.contains(&format!("`{}`: truncated: no end-of-image marker", d.join("b.jpg").display())),
        "{m}"
    );
    assert!(
        m.contains(
            "50000x50000 is more than the limit of 100000000 pixels (the slideshow's `max_megapixels`)"
        ),
        "{m}"
    );
}

#[test]
fn large_jpegs_are_decoded_at_a_reduced_size_when_the_target_is_small() {
    use tickframe_scenes::photo::{FitMode, PrepareOptions, prepare_photo_bytes};
    let size = Size::new(160, 90).unwrap();
    let mean_diff = |a: &Frame, b: &Frame| {
        let sum: u64 = a
            .pixels()
            .iter()
            .zip(b.pixels())
            .map(|(p, q)| {
                u64::from(p.r.abs_diff(q.r)) + u64::from(p.g.abs_diff(q.g)) + u64::from(p.b.abs_diff(q.b))
            })
            .sum();
        sum as f64 / (a.pixels().len() * 3) as f64
    };
    for (w, h, fit, reduced) in [
        (640, 360, FitMode::Fit, true),   // 4× larger: decoded at 1/4
        (1333, 750, FitMode::Fit, true),  // 8.3×: 1/8
        (400, 300, FitMode::Fill, true),  // the 400×225 part shown is 2.5×: 1/2
        (300, 169, FitMode::Fit, false),  // less than 2×: full size
        (330, 170, FitMode::Fill, false), // the part shown is 2.06× wide but 1.9× high
    ] {
        let bytes = jpeg(&picture(w, h, 30), 90);
        let opts = PrepareOptions { fit, ..PrepareOptions::new(size) };
        let full = prepare_photo_bytes(&bytes, &PrepareOptions { reduced_decode: false, ..opts }).unwrap();
        let fast = prepare_photo_bytes(&bytes, &opts).unwrap();
        assert_eq!(
            prepare_photo_bytes(&bytes, &opts).unwrap().pixels(),
            fast.pixels(),
            "{w}x{h}: repeatable"
        );
        let diff = mean_diff(&full, &fast);
        if reduced {
            assert!(full.pixels() != fast.pixels(), "{w}x{h}: the reduced path was not taken");
            // The same picture, within a few levels on average (the test picture has 1-pixel
            // texture that neither path can keep exactly).
            assert!(diff < 6.0, "{w}x{h}: mean difference {diff}");
        } else {
            assert!(full.pixels() == fast.pixels(), "{w}x{h}: reduced although the target is large");
        }
    }
}

/// A JPEG with an EXIF segment: IFD0 with `Orientation` (when given) and an Exif IFD with
/// `DateTimeOriginal` (when given), little-endian.
fn exif_jpeg(img: &image::RgbImage, orientation: Option<u16>, date: Option<&str>) -> Vec<u8> {
    let plain = jpeg(img, 92);
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    let n_entries = u16::from(orientation.is_some()) + u16::from(date.is_some());
    tiff.extend_from_slice(&n_entries.to_le_bytes());
    // IFD0 at 8: 2 + 12·n + 4 bytes; the Exif IFD right after, then the date string.
    let exif_ifd = 8 + 2 + 12 * u32::from(n_entries) + 4;
    if let Some(o) = orientation {
        tiff.extend_from_slice(&0x0112u16.to_le_bytes());
        tiff.extend_from_slice(&3u16.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&u32::from(o).to_le_bytes());
    }
    if date.is_some() {
        tiff.extend_from_slice(&0x8769u16.to_le_bytes());
        tiff.extend_from_slice(&4u16.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&exif_ifd.to_le_bytes());
    }
    tiff.extend_from_slice(&0u32.to_le_bytes());
    if let Some(d) = date {
        let text_at = exif_ifd + 2 + 12 + 4;
        tiff.extend_from_slice(&1u16.to_le_bytes());
        tiff.extend_from_slice(&0x9003u16.to_le_bytes());
        tiff.extend_from_slice(&2u16.to_le_bytes());
        tiff.extend_from_slice(&20u32.to_le_bytes());
        tiff.extend_from_slice(&text_at.to_le_bytes());
        tiff.extend_from_slice(&0u32.to_le_bytes());
        tiff.extend_from_slice(d.as_bytes());
        tiff.push(0);
    }
    let mut seg = b"Exif\0\0".to_vec();
    seg.extend_from_slice(&tiff);
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&(seg.len() as u16 + 2).to_be_bytes());
    out.extend_from_slice(&seg);
    out.extend_from_slice(&plain[2..]);
    out
}

/// Left half red, right half blue.
fn red_blue(w: u32, h: u32) -> image::RgbImage {
    image::RgbImage::from_fn(w, h, |x, _| {
        if x < w / 2 { image::Rgb([230, 20, 20]) } else { image::Rgb([20, 20, 230]) }
    })
}

#[test]
fn exif_orientation_is_honoured() {
    let d = temp_dir("orientation");
    // Stored 40×20, left red / right blue; orientation 6 shows it turned 90° clockwise (20×40,
    // red on top), 8 turned anticlockwise (blue on top).
    std::fs::write(d.join("a-rot6.jpg"), exif_jpeg(&red_blue(40, 20), Some(6), None)).unwrap();
    std::fs::write(d.join("b-rot8.jpg"), exif_jpeg(&red_blue(40, 20), Some(8), None)).unwrap();
    std::fs::write(d.join("c-plain.jpg"), exif_jpeg(&red_blue(40, 20), Some(1), None)).unwrap();
    let size = Size::new(20, 40).unwrap();
    let (s, warnings) = slideshow(
        &d,
        size,
        &[
            ("order", Value::Str("sorted".into())),
            ("interval", Value::Float(2.0)),
            ("background", Value::Str("#00ff00".into())),
        ],
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    let frame = |tick: u64| Renderer::default().render_new(&s, &RenderContext::new(size, fps60(), 0, tick));
    let red = |p: Option<Rgba>| p.is_some_and(|p| p.r > 180 && p.b < 80);
    let blue = |p: Option<Rgba>| p.is_some_and(|p| p.b > 180 && p.r < 80);
    let rot6 = frame(0);
    assert!(
        red(rot6.get(10, 5)) && blue(rot6.get(10, 34)),
        "orientation 6: {:?} {:?}",
        rot6.get(10, 5),
        rot6.get(10, 34)
    );
    let rot8 = frame(120);
    assert!(blue(rot8.get(10, 5)) && red(rot8.get(10, 34)), "orientation 8");
    // Orientation 1: unturned, 20×10 letterboxed in the middle (green bars above and below).
    let plain = frame(240);
    assert_eq!(plain.get(10, 2), Some(Rgba::rgb(0, 255, 0)));
    assert!(red(plain.get(4, 20)) && blue(plain.get(15, 20)));
}

#[test]
fn the_exif_date_caption_shows_the_date_taken() {
    let d = temp_dir("exif-date");
    std::fs::write(d.join("a-dated.jpg"), exif_jpeg(&picture(160, 90, 0), None, Some("2021:06:05 14:03:00")))
        .unwrap();
    std::fs::write(d.join("b-undated.jpg"), exif_jpeg(&picture(160, 90, 0), Some(1), None)).unwrap();
    let size = Size::new(320, 120).unwrap();
    let make = |caption: &str| {
        slideshow(
            &d,
            size,
            &[
                ("order", Value::Str("sorted".into())),
                ("caption", Value::Str(caption.into())),
                ("interval", Value::Float(2.0)),
            ],
        )
        .0
    };
    let (none, date, both) = (make("none"), make("date"), make("name-date"));
    let h = |s: &Slideshow, t| hashes(s, size, &[t])[0];
    // The dated photo gets a caption; the undated one none with `date` (an empty caption draws
    // nothing), but its name with `name-date`.
    assert_ne!(h(&date, 0), h(&none, 0), "no date caption drawn");
    assert_eq!(h(&date, 120), h(&none, 120), "an undated photo got a caption");
    assert_ne!(h(&both, 120), h(&none, 120));
    assert_ne!(h(&both, 0), h(&date, 0), "name-date is not the date alone");
}

#[test]
fn captions_sit_at_all_nine_anchors() {
    let d = temp_dir("anchors");
    let white = image::RgbImage::from_pixel(64, 36, image::Rgb([255, 255, 255]));
    std::fs::write(d.join("white.png"), encode(&white, image::ImageFormat::Png)).unwrap();
    let size = Size::new(320, 180).unwrap();
    let ctx = RenderContext::new(size, fps60(), 0, 0);
    let plain = {
        let (s, _) = slideshow(&d, size, &[]);
        Renderer::default().render_new(&s, &ctx)
    };
    let margin = 11u32;
    for anchor in
        ["top-left", "top", "top-right", "left", "center", "right", "bottom-left", "bottom", "bottom-right"]
    {
        let (s, _) = slideshow(
            &d,
            size,
            &[
                ("caption", Value::Str("name".into())),
                ("caption_anchor", Value::Str(anchor.into())),
                ("caption_margin", Value::Int(i64::from(margin))),
                ("caption_font", Value::Str("6x10".into())),
            ],
        );
        let f = Renderer::default().render_new(&s, &ctx);
        // The caption box: the bounding box of the pixels that changed.
        let changed: Vec<(u32, u32)> = (0..180)
            .flat_map(|y| (0..320).map(move |x| (x, y)))
            .filter(|&(x, y)| f.get(x, y) != plain.get(x, y))
            .collect();
        let x0 = changed.iter().map(|p| p.0).min().unwrap();
        let x1 = changed.iter().map(|p| p.0).max().unwrap() + 1;
        let y0 = changed.iter().map(|p| p.1).min().unwrap();
        let y1 = changed.iter().map(|p| p.1).max().unwrap() + 1;
        // "white.png" in 6×10 plus 6 px padding: 9·6 + 12 = 66 × 10 + 12 = 22.
        assert_eq!((x1 - x0, y1 - y0), (66, 22), "{anchor}: box {x0},{y0}..{x1},{y1}");
        let want_x = if anchor.ends_with("left") {
            margin
        } else if anchor.ends_with("right") {
            320 - margin - 66
        } else {
            (320 - 66) / 2
        };
        let want_y = if anchor.starts_with("top") {
            margin
        } else if anchor.starts_with("bottom") {
            180 - margin - 22
        } else {
            (180 - 22) / 2
        };
        assert_eq!((x0, y0), (want_x, want_y), "{anchor}");
    }
}

#[test]
fn the_cache_keeps_to_its_byte_limit_and_frames_share_one_prepared_photo() {
    let d = temp_dir("cache-bytes");
    for i in 0..4u32 {
        std::fs::write(
            d.join(format!("p{i}.png")),
            encode(&picture(64, 36, i * 60), image::ImageFormat::Png),
        )
        .unwrap();
    }
    // 512×288 frames are 576 KiB: a 1 MiB cache holds one.
    let size = Size::new(512, 288).unwrap();
    let (s, _) = slideshow(
        &d,
        size,
        &[
            ("order", Value::Str("sorted".into())),
            ("interval", Value::Float(2.0)),
            ("workers", Value::Int(0)),
            ("prefetch", Value::Int(0)),
            ("cache_mb", Value::Int(1)),
        ],
    );
    let mut r = Renderer::default();
    let mut f = Frame::new(size);
    // 50 frames of the first slot (no transition before tick 60): one prepare, 49 hits.
    for t in 0..50 {
        r.render(&s, &RenderContext::new(size, fps60(), 0, t), &mut f);
    }
    let st = s.stats();
    assert_eq!((st.sync_prepares, st.hits, st.evictions), (1, 49, 0), "{st:?}");
    assert_eq!(st.bytes, 512 * 288 * 4);
    // Every slot: the cache never holds more than its megabyte, and each new photo evicts the last.
    for slot in 1..4u64 {
        r.render(&s, &RenderContext::new(size, fps60(), 0, slot * 120 + 5), &mut f);
        let st = s.stats();
        assert!(st.bytes <= 1 << 20, "{st:?}");
        assert_eq!(st.evictions, slot, "{st:?}");
    }
    // Back to the first photo: prepared again (it was evicted).
    r.render(&s, &RenderContext::new(size, fps60(), 0, 5), &mut f);
    assert_eq!(s.stats().sync_prepares, 5);
    // A bigger cache keeps all four: no evictions, and going back is a hit.
    let (big, _) = slideshow(
        &d,
        size,
        &[
            ("order", Value::Str("sorted".into())),
            ("interval", Value::Float(2.0)),
            ("workers", Value::Int(0)),
            ("prefetch", Value::Int(0)),
            ("cache_mb", Value::Int(8)),
        ],
    );
    for t in [5, 125, 245, 365, 5] {
        r.render(&big, &RenderContext::new(size, fps60(), 0, t), &mut f);
    }
    let st = big.stats();
    assert_eq!((st.sync_prepares, st.evictions, st.hits), (4, 0, 1), "{st:?}");
    assert_eq!(st.bytes, 4 * 512 * 288 * 4);
}

#[test]
fn an_animated_gif_shows_its_first_frame() {
    use image::codecs::gif::GifEncoder;
    let d = temp_dir("gif");
    let red = image::RgbaImage::from_pixel(16, 16, image::Rgba([255, 0, 0, 255]));
    let blue = image::RgbaImage::from_pixel(16, 16, image::Rgba([0, 0, 255, 255]));
    let mut bytes = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut bytes);
        enc.encode_frames([image::Frame::new(red), image::Frame::new(blue)]).unwrap();
    }
    std::fs::write(d.join("anim.gif"), &bytes).unwrap();
    let size = Size::new(16, 16).unwrap();
    let (s, warnings) = slideshow(&d, size, &[]);
    assert!(warnings.is_empty(), "{warnings:?}");
    let f = Renderer::default().render_new(&s, &RenderContext::new(size, fps60(), 0, 0));
    assert!(f.pixels().iter().all(|p| *p == Rgba::rgb(255, 0, 0)), "{:?}", f.get(8, 8));
}

/// `added = [{ slot = N, files = [...] }, …]` as the scene file gives it.
fn added_value(entries: &[(u64, &[&str])]) -> Value {
    Value::Array(
        entries
            .iter()
            .map(|(slot, files)| {
                Spanned::new(Value::Table(vec![
                    ("slot".into(), Spanned::new(Value::Int(*slot as i64))),
                    (
                        "files".into(),
                        Spanned::new(Value::Array(
                            files.iter().map(|f| Spanned::new(Value::Str((*f).into()))).collect(),
                        )),
                    ),
                ]))
            })
            .collect(),
    )
}

fn rescanning(
    folder: &Path,
    size: Size,
    extra: &[(&str, Value)],
) -> (Slideshow, Vec<std::sync::Arc<PhotoRescan>>) {
    let mut p = Params::new("slideshow", None)
        .with("folder", Value::Str(folder.display().to_string()))
        .with("interval", Value::Float(0.1))
        .with("transition", short_fade())
        .with("rescan", Value::Float(5.0));
    for (k, v) in extra {
        p = p.with(k, v.clone());
    }
    let mut cx = BuildContext::new(folder, size, fps60());
    let s = Slideshow::from_params(&mut p, &mut cx).unwrap_or_else(|e| panic!("{e}"));
    p.finish().unwrap();
    (s, cx.rescans)
}

/// A crossfade of 3 ticks (slots are 6 ticks in these tests).
fn short_fade() -> Value {
    Value::Table(vec![
        ("kind".into(), Spanned::new(Value::Str("crossfade".into()))),
        ("duration".into(), Spanned::new(Value::Float(0.05))),
    ])
}

fn flat_png(dir: &Path, name: &str, hue: u32) {
    std::fs::write(dir.join(name), encode(&picture(16, 9, hue), image::ImageFormat::Png)).unwrap();
}

#[test]
fn a_rescan_adds_new_photos_past_every_rendered_slot_and_added_reproduces_the_run() {
    let d = temp_dir("rescan");
    for i in 0..5 {
        flat_png(&d, &format!("p{i}.png"), i * 40);
    }
    let size = Size::new(16, 9).unwrap();
    for order in ["shuffle", "sorted"] {
        let o = [("order", Value::Str(order.into()))];
        let (live, rescans) = rescanning(&d, size, &o);
        assert_eq!(rescans.len(), 1, "the slideshow offers its rescan to `play`");
        let r = &rescans[0];
        // 6 ticks per slot; ticks 0..40 rendered (slot 6 is the last one touched).
        let before = hashes(&live, size, &(0..40).collect::<Vec<_>>());
        let start_order: Vec<usize> = (0..30).map(|k| live.photo_index(5, k)).collect();
        flat_png(&d, "n1.png", 210);
        flat_png(&d, "n0.png", 230);
        assert_eq!(r.rescan(), None, "{order}: a new file joins only once a second look sees it unchanged");
        let a = r.rescan().expect("the second look adds them");
        assert_eq!(a.files, ["n0.png", "n1.png"], "{order}");
        assert_eq!(a.slot, 8, "{order}: two slots past slot 6, the last one rendered");
        assert_eq!(a.tick, 48);
        assert_eq!(r.rescan(), None, "{order}: nothing new");
        assert_eq!(live.len(), 7);
        assert_eq!(live.epoch_starts(), [0, 8]);
        // Nothing rendered changed, and the slots before the epoch keep their photos.
        assert_eq!(hashes(&live, size, &(0..40).collect::<Vec<_>>()), before, "{order}");
        assert_eq!((0..8).map(|k| live.photo_index(5, k)).collect::<Vec<_>>(), start_order[..8], "{order}");
        // From slot 8 all seven show, once each in the first pass, and no photo twice in a row.
        let pass: Vec<usize> = (8..15).map(|k| live.photo_index(5, k)).collect();
        let mut sorted = pass.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..7).collect::<Vec<_>>(), "{order}: {pass:?}");
        let all: Vec<usize> = (0..60).map(|k| live.photo_index(5, k)).collect();
        assert!(all.windows(2).all(|w| w[0] != w[1]), "{order}: {all:?}");
        if order == "sorted" {
            // Sorted order goes on after the photo slot 7 showed (p2), in path order: the new
            // photos (n0, n1 sort before p*) come after p4.
            assert_eq!(
                live.names().collect::<Vec<_>>(),
                ["p0.png", "p1.png", "p2.png", "p3.png", "p4.png", "n0.png", "n1.png"]
            );
            assert_eq!(&all[7..15], [2, 3, 4, 5, 6, 0, 1, 2]);
        }
        // The recorded `added` rebuilds the same schedule from the same folder: every frame is
        // the same, rendered in another order.
        assert_eq!(r.added_toml(), "added = [{ slot = 8, files = [\"n0.png\", \"n1.png\"] }]");
        let (again, _) = slideshow(
            &d,
            size,
            &[
                o[0].clone(),
                ("interval", Value::Float(0.1)),
                ("transition", short_fade()),
                ("added", added_value(&[(8, &["n0.png", "n1.png"])])),
            ],
        );
        assert_eq!(again.epoch_starts(), [0, 8]);
        let ticks: Vec<u64> = (0..120).rev().collect();
        assert_eq!(hashes(&again, size, &ticks), hashes(&live, size, &ticks), "{order}");
        std::fs::remove_file(d.join("n0.png")).unwrap();
        std::fs::remove_file(d.join("n1.png")).unwrap();
    }
}

#[test]
fn a_rescan_waits_for_files_still_being_written_and_skips_bad_ones() {
    let d = temp_dir("rescan-wait");
    for i in 0..3 {
        flat_png(&d, &format!("p{i}.png"), i * 40);
    }
    let size = Size::new(16, 9).unwrap();
    let (live, rescans) = rescanning(&d, size, &[]);
    let r = &rescans[0];
    let full = encode(&picture(16, 9, 99), image::ImageFormat::Png);
    std::fs::write(d.join("q.png"), &full[..full.len() / 2]).unwrap();
    std::fs::write(d.join("bad.jpg"), b"\xFF\xD8\xFF\xE0 not a jpeg at all").unwrap();
    assert_eq!(r.rescan(), None);
    // Still growing: not yet.
    std::fs::write(d.join("q.png"), &full[..full.len() * 3 / 4]).unwrap();
    assert_eq!(r.rescan(), None);
    std::fs::write(d.join("q.png"), &full).unwrap();
    assert_eq!(r.rescan(), None, "changed since the last look");
    let a = r.rescan().expect("unchanged now");
    assert_eq!(a.files, ["q.png"], "the corrupt file never joins");
    assert_eq!(a.slot, 1, "nothing rendered yet: the next slot after slot 0");
    assert_eq!(r.rescan(), None);
    assert_eq!(live.len(), 4);
    // `added` naming a file the folder does not have is an error naming it.
    let mut p = Params::new("slideshow", None)
        .with("folder", Value::Str(d.display().to_string()))
        .with("added", added_value(&[(3, &["gone.png"])]));
    let mut cx = BuildContext::new(&d, size, fps60());
    let e = Slideshow::from_params(&mut p, &mut cx).unwrap_err().to_string();
    assert!(e.contains("gone.png") && e.contains("slot 3"), "{e}");
    // Slots must rise.
    let mut p = Params::new("slideshow", None)
        .with("folder", Value::Str(d.display().to_string()))
        .with("added", added_value(&[(3, &["q.png"]), (3, &["p0.png"])]));
    let e = Slideshow::from_params(&mut p, &mut cx).unwrap_err().to_string();
    assert!(e.contains("rising slots"), "{e}");
    // Without `rescan`, nothing is offered to `play`.
    let mut cx = BuildContext::new(&d, size, fps60());
    let mut p = Params::new("slideshow", None).with("folder", Value::Str(d.display().to_string()));
    let _ = Slideshow::from_params(&mut p, &mut cx).unwrap();
    assert!(cx.rescans.is_empty());
}

#[test]
fn photos_joining_while_frames_render_never_change_a_frame_already_made() {
    let d = temp_dir("rescan-race");
    for i in 0..4 {
        flat_png(&d, &format!("p{i}.png"), i * 40);
    }
    let size = Size::new(16, 9).unwrap();
    let (live, rescans) = rescanning(&d, size, &[]);
    let live = std::sync::Arc::new(live);
    let r = std::sync::Arc::clone(&rescans[0]);
    // One thread renders ticks in order until told to stop; this one adds photos three times
    // once it is past tick 600 (slot 100).
    let progress = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let renderer = {
        let (live, progress, done) = (std::sync::Arc::clone(&live), progress.clone(), done.clone());
        std::thread::spawn(move || {
            let mut out = Vec::new();
            let mut r = Renderer::new(DrawMode::DisplayList);
            let mut f = Frame::new(size);
            let mut end = u64::MAX;
            let mut t = 0u64;
            while t < end {
                r.render(&*live, &RenderContext::new(size, fps60(), 5, t), &mut f);
                out.push(frame_hash(f.view()));
                progress.store(t, std::sync::atomic::Ordering::Relaxed);
                if end == u64::MAX && done.load(std::sync::atomic::Ordering::Relaxed) {
                    end = t + 200;
                }
                t += 1;
            }
            out
        })
    };
    while progress.load(std::sync::atomic::Ordering::Relaxed) < 600 {
        std::thread::yield_now();
    }
    let mut joined = 0;
    for round in 0..3 {
        flat_png(&d, &format!("r{round}.png"), 100 + round * 50);
        r.rescan();
        joined += r.rescan().map_or(0, |a| a.files.len());
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let made = renderer.join().unwrap();
    assert_eq!(joined, 3);
    // The recorded additions rebuild the schedule; every frame the thread made is the frame
    // of that schedule.
    let additions = r.additions();
    let entries: Vec<(u64, Vec<&str>)> =
        additions.iter().map(|a| (a.slot, a.files.iter().map(String::as_str).collect())).collect();
    let refs: Vec<(u64, &[&str])> = entries.iter().map(|(s, f)| (*s, f.as_slice())).collect();
    let (again, _) = slideshow(
        &d,
        size,
        &[("interval", Value::Float(0.1)), ("transition", short_fade()), ("added", added_value(&refs))],
    );
    assert_eq!(again.epoch_starts(), live.epoch_starts());
    let starts = live.epoch_starts();
    assert!(starts.len() == 4 && starts[1] > 100, "joined while rendering past slot 100: {starts:?}");
    let ticks: Vec<u64> = (0..made.len() as u64).collect();
    assert!(hashes(&again, size, &ticks) == made, "a frame changed under a joining photo: {additions:?}");
}

#[test]
fn a_folder_gone_during_a_rescan_keeps_the_photos_and_comes_back() {
    let d = temp_dir("rescan-gone");
    let photos = d.join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    for i in 0..2 {
        flat_png(&photos, &format!("p{i}.png"), i * 90);
    }
    let size = Size::new(16, 9).unwrap();
    let (live, rescans) = rescanning(&photos, size, &[]);
    let r = &rescans[0];
    let before = hashes(&live, size, &[0, 3, 7]);
    let moved = d.join("away");
    std::fs::rename(&photos, &moved).unwrap();
    assert_eq!(r.rescan(), None);
    assert_eq!(r.rescan(), None);
    std::fs::rename(&moved, &photos).unwrap();
    flat_png(&photos, "p2.png", 200);
    assert_eq!(r.rescan(), None);
    assert_eq!(r.rescan().map(|a| a.files), Some(vec!["p2.png".to_string()]));
    assert_eq!(hashes(&live, size, &[0, 3, 7]), before);
}
