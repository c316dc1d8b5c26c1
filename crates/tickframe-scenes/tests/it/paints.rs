//! `Scene::paints_every_pixel`: a scene that answers `true` is rendered without the Renderer's
//! clear, so its frames must not depend on what the buffer held. Every built-in scene (and the
//! example scene files) is rendered into a fresh frame and into one full of other pixels; where
//! the scene claims to paint every pixel, both must be identical. The scenes expected to claim
//! it are checked to do so, so the test cannot pass by every scene answering `false`.

use std::path::PathBuf;

use tickframe_core::{DrawMode, Frame, FrameRate, RenderContext, Renderer, Rgba, Scene, Size};
use tickframe_scenes::{Overrides, Params, Value};

use crate::common::{all_cases, build, example_assets};

/// Renders `scene` at each tick into a cleared frame and into a frame of noise; returns how many
/// ticks the scene claimed to paint every pixel, and checks those frames are identical.
fn check(label: &str, scene: &dyn Scene, size: Size, rate: FrameRate, seed: u64, ticks: &[u64]) -> usize {
    let mut claimed = 0;
    for mode in [DrawMode::DisplayList, DrawMode::Direct] {
        let mut r = Renderer::new(mode);
        for &t in ticks {
            let ctx = RenderContext::new(size, rate, seed, t);
            if !scene.paints_every_pixel(&ctx) {
                continue;
            }
            claimed += 1;
            let mut clean = Frame::new(size);
            clean.fill(Rgba::BLACK);
            r.render(scene, &ctx, &mut clean);
            let mut dirty = Frame::new(size);
            for (i, p) in dirty.pixels_mut().iter_mut().enumerate() {
                let v = (i as u32).wrapping_mul(2_654_435_761).to_le_bytes();
                *p = Rgba::new(v[0], v[1], v[2], v[3]);
            }
            r.render(scene, &ctx, &mut dirty);
            assert!(
                clean == dirty,
                "{label} at tick {t} ({mode:?}) claims to paint every pixel but does not"
            );
        }
    }
    claimed
}

#[test]
fn scenes_that_paint_every_pixel_do_not_depend_on_the_buffer() {
    let size = Size::new(96, 40).unwrap();
    let rate = FrameRate::whole(60).unwrap();
    let ticks = [0, 1, 59, 200, 333, 359, 360, 361, 700, 1234];
    let s = |v: &str| Value::Str(v.into());
    let mut cases = all_cases();
    let clip = example_assets().join("audio/demo-clip.wav").display().to_string();
    for (mode, extra) in [
        ("bars", vec![]),
        ("bars", vec![("style", "led")]),
        ("bars", vec![("layout", "mirrored"), ("color_by", "band")]),
        ("curve", vec![]),
        ("curve", vec![("layout", "mirrored")]),
        ("oscilloscope", vec![]),
    ] {
        let mut p = Params::new("visualizer", None)
            .with("path", s(&clip))
            .with("mode", s(mode))
            .with("background", s("#101018"));
        for (k, v) in &extra {
            p = p.with(k, s(v));
        }
        cases.push((format!("visualizer-{mode}-{extra:?}-opaque-bg"), p));
    }
    cases.push((
        "visualizer-translucent-bg".into(),
        Params::new("visualizer", None).with("path", s(&clip)).with("background", s("#10101880")),
    ));
    let mut claimed_by = Vec::new();
    for (label, params) in cases {
        let scene = build(&params, size);
        if check(&label, &*scene, size, rate, 7, &ticks) > 0 {
            claimed_by.push(label);
        }
    }
    for expected in [
        "slideshow",
        "mandelbrot",
        "plasma",
        "visualizer-bars-[]-opaque-bg",
        "visualizer-oscilloscope-[]-opaque-bg",
    ] {
        assert!(
            claimed_by.iter().any(|l| l == expected),
            "{expected} should paint every pixel: {claimed_by:?}"
        );
    }
    for not_expected in ["visualizer", "visualizer-translucent-bg"] {
        assert!(!claimed_by.iter().any(|l| l == not_expected), "{not_expected} must not claim it");
    }
}

#[test]
fn the_example_files_layers_and_playlists_forward_the_claim() {
    let examples = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples"));
    // The slideshow under a clock layer: always (the clock blends over the photos).
    let file = tickframe_scenes::load_scene_file(&examples.join("slideshow.toml"), &Overrides::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let small = Size::new(192, 108).unwrap();
    let ticks: Vec<u64> = (0..12).map(|k| k * 59).chain([330, 355, 359, 360, 361]).collect();
    let n = check("slideshow.toml", &*file.root, small, file.rate, file.seed, &ticks);
    assert_eq!(n, 2 * ticks.len(), "the slideshow example paints every pixel at every tick");
    // A playlist of visualizers without a background never claims it.
    let file = tickframe_scenes::load_scene_file(&examples.join("visualizer.toml"), &Overrides::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(check("visualizer.toml", &*file.root, file.size, file.rate, file.seed, &ticks), 0);
    // With backgrounds: every tick but those of the first entry's 0.5 s crossfade into the
    // second (ticks 690..720 at 60 fps), where the transition blends over the canvas; the second
    // entry has no transition.
    let clip = examples.join("assets/audio/demo-clip.wav");
    let src = format!(
        "[display]\nwidth = 64\nheight = 16\nfps = 60\n\n[[playlist]]\nduration = 12\n\
         transition = {{ kind = \"crossfade\", duration = 0.5 }}\nscene = \"visualizer\"\npath = {clip:?}\n\
         background = \"#000010\"\n\n[[playlist]]\nduration = 12\nscene = \"visualizer\"\n\
         path = {clip:?}\nmode = \"curve\"\nbackground = \"#100000\"\n"
    );
    let file = tickframe_scenes::parse_scene_str(&src, "p.toml", &examples, &Overrides::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let ticks: Vec<u64> = (0..1440).step_by(7).collect();
    let outside = ticks.iter().filter(|&&t| !(690..720).contains(&t));
    let n = check("playlist", &*file.root, file.size, file.rate, file.seed, &ticks);
    assert_eq!(n, 2 * outside.count());
    // A 1-bit display forwards its scene's answer (it quantises after the scene painted).
    let src = "[display]\nwidth = 64\nheight = 16\nfps = 60\ncolor = \"mono-dither\"\n\n[[layers]]\nscene = \"plasma\"\n";
    let file = tickframe_scenes::parse_scene_str(src, "m.toml", &examples, &Overrides::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(check("mono plasma", &*file.root, file.size, file.rate, file.seed, &[0, 5, 99]), 6);
}

/// At the top level a visualizer without a background draws onto the Renderer's opaque black,
/// so `background = "#000000"` gives the very same frames, and lets the Renderer skip its clear
/// (the docs recommend it for large displays).
#[test]
fn a_black_background_is_the_top_level_picture_without_one() {
    let size = Size::new(120, 48).unwrap();
    let rate = FrameRate::whole(60).unwrap();
    let clip = example_assets().join("audio/demo-clip.wav").display().to_string();
    let s = |v: &str| Value::Str(v.into());
    for extra in [
        vec![("mode", "bars")],
        vec![("mode", "bars"), ("style", "led"), ("layout", "mirrored")],
        vec![("mode", "curve"), ("color_by", "band")],
        vec![("mode", "curve"), ("colors", "translucent")],
        vec![("mode", "oscilloscope")],
    ] {
        let mut p = Params::new("visualizer", None).with("path", s(&clip));
        for (k, v) in &extra {
            p = if *v == "translucent" {
                let stops = ["#00ff0080", "#ff000040"].map(|c| tickframe_scenes::Spanned::new(s(c)));
                p.with(k, Value::Array(stops.to_vec()))
            } else {
                p.with(k, s(v))
            };
        }
        let plain = build(&p, size);
        let black = build(&p.clone().with("background", s("#000000")), size);
        let mut r = Renderer::new(DrawMode::DisplayList);
        for t in [0u64, 17, 90, 300, 611] {
            let ctx = RenderContext::new(size, rate, 3, t);
            assert!(!plain.paints_every_pixel(&ctx) && black.paints_every_pixel(&ctx));
            let (a, b) = (r.render_new(&*plain, &ctx), r.render_new(&*black, &ctx));
            assert!(a == b, "{extra:?} at tick {t}");
            assert!(a.pixels().iter().any(|p| *p != Rgba::BLACK), "{extra:?} at tick {t} drew nothing");
        }
    }
}
