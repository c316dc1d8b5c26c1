//! The one rule, checked for every built-in scene: the same bytes in any tick order, with one or
//! several threads, on both drawing paths, whatever the buffer held before.

use std::sync::Arc;

use tickframe_core::{DrawMode, Frame, Rgba, Rng, Size};

use crate::common::{all_cases, build, hash_at, renderer};

const SEED: u64 = 42;

fn ticks() -> Vec<u64> {
    // Both early ticks (every frame of the first second) and far ones.
    let mut t: Vec<u64> = (0..70).collect();
    t.extend([119, 120, 121, 599, 600, 1234, 3600]);
    t
}

/// Reference: ticks in order, display list, fresh scene.
fn sequential(params: &tickframe_scenes::Params, size: Size) -> Vec<u128> {
    let scene = build(params, size);
    let mut r = renderer(DrawMode::DisplayList);
    let mut f = Frame::new(size);
    ticks().iter().map(|&t| hash_at(&mut r, &*scene, size, SEED, t, &mut f)).collect()
}

#[test]
fn shuffled_order_direct_path_and_dirty_buffers_give_identical_bytes() {
    let size = Size::new(96, 48).unwrap();
    for (label, params) in all_cases() {
        let expected = sequential(&params, size);
        // A fresh scene (cold checkpoint store), ticks in a seeded shuffled order, direct path,
        // rendering into a buffer full of leftovers.
        let scene = build(&params, size);
        let mut order: Vec<usize> = (0..expected.len()).collect();
        let mut rng = Rng::new(7, 0, 0);
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i as u32 + 1) as usize);
        }
        let mut r = renderer(DrawMode::Direct);
        let mut f = Frame::new(size);
        let ticks = ticks();
        for &i in &order {
            f.fill(Rgba::new(13, 200, 77, 9));
            let h = hash_at(&mut r, &*scene, size, SEED, ticks[i], &mut f);
            assert_eq!(h, expected[i], "{label}: tick {} differs in shuffled order / direct path", ticks[i]);
        }
    }
}

#[test]
fn several_threads_give_identical_bytes() {
    let size = Size::new(64, 32).unwrap();
    for (label, params) in all_cases() {
        let expected = sequential(&params, size);
        let scene = build(&params, size);
        let ticks = Arc::new(ticks());
        let results: Vec<(usize, u128)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..3)
                .map(|worker| {
                    let scene = Arc::clone(&scene);
                    let ticks = Arc::clone(&ticks);
                    s.spawn(move || {
                        let mut r = renderer(DrawMode::DisplayList);
                        let mut f = Frame::new(size);
                        // Each worker takes every third tick, newest first.
                        (0..ticks.len())
                            .rev()
                            .filter(|i| i % 3 == worker)
                            .map(|i| (i, hash_at(&mut r, &*scene, size, SEED, ticks[i], &mut f)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        for (i, h) in results {
            assert_eq!(h, expected[i], "{label}: tick {} differs across threads", ticks[i]);
        }
    }
}

#[test]
fn the_seed_matters_for_random_scenes() {
    let size = Size::new(64, 32).unwrap();
    for (label, params) in all_cases()
        .into_iter()
        .filter(|(l, _)| ["random-pixels", "confetti", "starfield"].contains(&l.as_str()))
    {
        let scene = build(&params, size);
        let mut r = renderer(DrawMode::DisplayList);
        let mut f = Frame::new(size);
        let a = hash_at(&mut r, &*scene, size, 1, 5, &mut f);
        let b = hash_at(&mut r, &*scene, size, 2, 5, &mut f);
        let c = hash_at(&mut r, &*scene, size, 1, 6, &mut f);
        assert_ne!(a, b, "{label}: seed ignored");
        assert_ne!(a, c, "{label}: tick ignored");
    }
}

/// The direct-vs-display-list comparison above proves something only for scenes that issue draw
/// commands (whole-frame shaders write through `pixels_mut`, which both paths share). Pin which
/// cases issue commands, and that both paths issue the same ones.
#[test]
fn drawing_scenes_go_through_canvas_commands_on_both_paths() {
    // Scenes whose pixels come from clears, rectangles, plots, blits or glyphs.
    const DRAWING: &[&str] = &["solid", "text", "spritesheet", "image", "starfield", "clock"];
    // Whole-frame shaders: every pixel computed in place, no commands.
    const SHADERS: &[&str] = &["gradient", "mandelbrot", "plasma", "life", "fire"];
    let size = Size::new(96, 48).unwrap();
    let mut drawing_seen = 0;
    for (label, params) in all_cases() {
        let scene = build(&params, size);
        let issued = |mode| {
            let mut r = renderer(mode);
            let mut f = Frame::new(size);
            for t in [0u64, 1, 2, 61, 600] {
                hash_at(&mut r, &*scene, size, SEED, t, &mut f);
            }
            r.commands_issued()
        };
        let (list, direct) = (issued(DrawMode::DisplayList), issued(DrawMode::Direct));
        assert_eq!(list, direct, "{label}: the two paths issue different commands");
        let name = params.scene();
        if DRAWING.contains(&name) || label.ends_with("-plot") {
            assert!(list > 0, "{label}: draws without canvas commands");
            drawing_seen += 1;
        } else if SHADERS.contains(&name) || ["random-pixels", "confetti"].contains(&label.as_str()) {
            assert_eq!(list, 0, "{label}: a pixel shader that now issues commands: move it to DRAWING");
        }
    }
    assert!(drawing_seen >= 12, "{drawing_seen} drawing cases");
}

#[test]
fn random_pixels_plot_path_gives_the_same_bytes_as_direct_pixel_writes() {
    let size = Size::new(64, 32).unwrap();
    let cases = all_cases();
    let find = |l: &str| cases.iter().find(|(label, _)| label == l).map(|(_, p)| p.clone()).unwrap();
    for (pixels, plot) in [("random-pixels", "random-pixels-plot"), ("confetti", "confetti-plot")] {
        let (a, b) = (build(&find(pixels), size), build(&find(plot), size));
        for mode in [DrawMode::DisplayList, DrawMode::Direct] {
            let (mut ra, mut rb) = (renderer(mode), renderer(mode));
            let mut f = Frame::new(size);
            for t in [0u64, 1, 77, 3600] {
                let ha = hash_at(&mut ra, &*a, size, SEED, t, &mut f);
                assert_eq!(hash_at(&mut rb, &*b, size, SEED, t, &mut f), ha, "{plot} tick {t} {mode:?}");
            }
            assert_eq!(ra.commands_issued(), 0);
            assert!(rb.commands_issued() >= 4 * 1000, "{plot}: one plot command per pixel write");
        }
    }
}

/// Layers and playlists draw their upper layers and transition sides offscreen: commands issued
/// there (text, sprites, plots, stars) must give the same bytes on both paths too.
#[test]
fn composed_drawing_is_identical_on_both_paths() {
    let sheet = crate::common::tagged_robot_json();
    let source = format!(
        r##"
seed = 11
[display]
width = 96
height = 48
fps = 60
[[playlist]]
duration = 1
transition = {{ kind = "wipe", direction = "left", duration = 0.5 }}
[[playlist.layers]]
scene = "plasma"
[[playlist.layers]]
scene = "random-pixels"
write = "plot"
count = 300
blend = "multiply"
opacity = 0.7
[[playlist.layers]]
scene = "text"
text = "over"
scroll = "left"
blend = "add"
[[playlist]]
duration = 1
transition = {{ kind = "dissolve", duration = 0.5 }}
[[playlist.layers]]
scene = "starfield"
[[playlist.layers]]
scene = "spritesheet"
path = "{}"
loop = "pp"
blend = "screen"
opacity = 0.5
[[playlist]]
duration = 1
scene = "text"
text = "last"
"##,
        sheet.display()
    );
    let file = tickframe_scenes::parse_scene_str(
        &source,
        "composed.toml",
        std::path::Path::new("."),
        &Default::default(),
    )
    .unwrap();
    let run = |mode| {
        let mut r = renderer(mode);
        let mut f = Frame::new(file.size);
        let hashes: Vec<u128> = [0u64, 10, 40, 59, 60, 75, 100, 119, 120, 150, 179, 180, 200]
            .iter()
            .map(|&t| {
                let ctx = tickframe_core::RenderContext::new(file.size, file.rate, file.seed, t);
                f.fill(Rgba::new(1, 2, 3, 4));
                r.render(&*file.root, &ctx, &mut f);
                tickframe_core::frame_hash(f.view())
            })
            .collect();
        (hashes, r.commands_issued())
    };
    let (list, list_cmds) = run(DrawMode::DisplayList);
    let (direct, direct_cmds) = run(DrawMode::Direct);
    assert_eq!(list, direct);
    assert_eq!(list_cmds, direct_cmds);
    // At least the plotted pixels of the first entry's ticks (0, 10, 40, 59) plus glyphs and sprites.
    assert!(list_cmds > 4 * 300, "{list_cmds} commands");
}
