//! The slideshow and the clock: photo sources (sorted, shuffled, skipped files, decompression
//! bombs), identical frames whatever the cache did, fit modes, captions, and the clock's time.
//!
//! The photos are generated here; nothing is downloaded. `generate_example_photos` (ignored)
//! rewrites `examples/assets/photos/`:
//! `cargo test -p tickframe-scenes --test it generate_example_photos -- --ignored`.

use std::path::{Path, PathBuf};

use tickframe_core::{DrawMode, Frame, FrameRate, RenderContext, Renderer, Rgba, Size, frame_hash};
use tickframe_scenes::photo::{ClockStart, Slideshow};
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
