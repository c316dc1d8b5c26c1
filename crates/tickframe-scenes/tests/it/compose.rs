//! Integration tests: compose (layers, playlists, transitions, easing).

use std::sync::Arc;

use tickframe_core::{
    BlendMode, Canvas, DrawMode, Frame, FrameRate, Rect, RenderContext, Renderer, Rgba, Scene, Size,
    frame_hash,
};
use tickframe_scenes::compose::{
    Direction, Easing, Layer, Layers, Playlist, PlaylistEntry, PlaylistError, Transition, TransitionKind,
};

/// Fills the whole frame with one colour (blending when translucent).
struct Fill(Rgba);

impl Scene for Fill {
    fn render(&self, _ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        canvas.fill_rect(Rect::new(0, 0, canvas.width(), canvas.height()), self.0);
    }
}

/// Encodes (tick, seed) into its pixels: r = tick, g = seed's low byte, b = 255; plus a plotted
/// marker that moves with the tick, so both drawing paths are exercised.
struct Probe;

impl Scene for Probe {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        let c = Rgba::rgb(ctx.tick as u8, ctx.seed as u8, 255);
        canvas.fill_rect(Rect::new(0, 0, canvas.width(), canvas.height()), c);
        let x = (ctx.tick % u64::from(canvas.width())) as i32;
        canvas.plot(x, 0, Rgba::rgb(1, 2, 3));
        canvas.blend_pixel(0, 1, Rgba::new(255, 255, 255, 100));
    }
}

/// Draws a translucent dot only (mostly transparent offscreen).
struct Dot;

impl Scene for Dot {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        canvas.blend_pixel((ctx.tick % 3) as i32, 0, Rgba::new(250, 10, 10, 200));
    }
}

fn ctx(w: u32, h: u32, fps: u32, seed: u64, tick: u64) -> RenderContext {
    RenderContext::new(Size::new(w, h).unwrap(), FrameRate::whole(fps).unwrap(), seed, tick)
}

fn render(scene: &dyn Scene, cx: &RenderContext) -> Frame {
    Renderer::default().render_new(scene, cx)
}

fn arc(s: impl Scene + 'static) -> Arc<dyn Scene> {
    Arc::new(s)
}

#[test]
fn layer_blend_modes_on_pixels() {
    let below = Rgba::rgb(100, 100, 100);
    let above = Rgba::rgb(200, 50, 255);
    let cases = [
        (BlendMode::Normal, 1.0, Rgba::rgb(200, 50, 255)),
        (BlendMode::Add, 1.0, Rgba::rgb(255, 150, 255)),
        (BlendMode::Multiply, 1.0, Rgba::rgb(78, 20, 100)),
        (BlendMode::Screen, 1.0, Rgba::rgb(222, 130, 255)),
        // opacity 0.5 → 128/255: 200·128/255 + 100·127/255 = 100 + 50, …
        (BlendMode::Normal, 0.5, Rgba::rgb(150, 75, 178)),
        (BlendMode::Add, 0.0, below),
    ];
    for (blend, opacity, want) in cases {
        let stack = Layers::new(vec![
            Layer::new(arc(Fill(below))),
            Layer::new(arc(Fill(above))).with_blend(blend).with_opacity(opacity),
        ]);
        let f = render(&stack, &ctx(2, 1, 60, 0, 0));
        assert_eq!(f.pixels(), &[want, want], "{blend:?} at {opacity}");
    }
}

#[test]
fn first_layer_translucent_over_black_and_transparent_pixels_keep_below() {
    let stack = Layers::new(vec![Layer::new(arc(Fill(Rgba::rgb(200, 50, 255)))).with_opacity(0.5)]);
    let f = render(&stack, &ctx(1, 1, 60, 0, 0));
    assert_eq!(f.pixels(), &[Rgba::rgb(100, 25, 128)]);

    let stack = Layers::new(vec![Layer::new(arc(Fill(Rgba::rgb(0, 0, 90)))), Layer::new(arc(Dot))]);
    let f = render(&stack, &ctx(3, 1, 60, 0, 1));
    assert_eq!(f.get(0, 0), Some(Rgba::rgb(0, 0, 90)));
    assert_eq!(f.get(2, 0), Some(Rgba::rgb(0, 0, 90)));
    // Translucent pixels drawn offscreen come out darker than drawn directly (the core's
    // `over` onto transparent black premultiplies, `composite` treats layers as straight alpha):
    // only check that the dot shows.
    assert_ne!(f.get(1, 0), Some(Rgba::rgb(0, 0, 90)));
}

fn sample_playlist(looping: bool) -> Playlist {
    // At 10 fps: 10 ticks (last 3 a crossfade), 20 ticks, 5 ticks (last 2 a wipe).
    let entries = vec![
        PlaylistEntry {
            scene: arc(Probe),
            duration: 1.0,
            transition: Some(Transition { duration: 0.3, ..Transition::new(TransitionKind::Crossfade) }),
        },
        PlaylistEntry { scene: arc(Probe), duration: 2.0, transition: None },
        PlaylistEntry {
            scene: arc(Probe),
            duration: 0.5,
            transition: Some(Transition {
                duration: 0.2,
                ..Transition::new(TransitionKind::Wipe(Direction::Right))
            }),
        },
    ];
    Playlist::new(entries, FrameRate::whole(10).unwrap(), looping).unwrap()
}

#[test]
fn playlist_entry_at_across_boundaries_and_loops() {
    let p = sample_playlist(true);
    assert_eq!(p.total_ticks(), 35);
    let cases = [
        (0, (0, 0)),
        (6, (0, 6)),
        (7, (0, 7)), // transition into entry 1 starts: entry 1's local tick 0
        (9, (0, 9)),
        (10, (1, 3)), // entry 1 already ran 3 ticks during the crossfade
        (29, (1, 22)),
        (30, (2, 0)), // no transition into entry 2
        (34, (2, 4)),
        (35, (0, 2)), // second pass: entry 0 ran 2 ticks during the wipe
        (35 + 10, (1, 3)),
        (35 * 1000 + 31, (2, 1)),
    ];
    for (tick, want) in cases {
        assert_eq!(p.entry_at(tick), want, "tick {tick}");
    }
    let pos = p.position(8);
    let t = pos.transition.unwrap();
    assert_eq!((t.next_entry, t.next_local_tick, t.step, t.steps), (1, 1, 1, 3));
    assert_eq!(t.progress, 0.5);
    let t = p.position(34).transition.unwrap();
    assert_eq!((t.next_entry, t.next_local_tick, t.next_loop_index, t.progress), (0, 1, 1, 2.0 / 3.0));
    assert!(p.position(20).transition.is_none());
    assert_eq!(p.position(70).loop_index, 2);

    let once = sample_playlist(false);
    assert_eq!(once.entry_at(34), (2, 4));
    assert!(once.position(34).transition.is_none(), "the last transition is ignored when not looping");
    assert_eq!(once.entry_at(1000), (2, 970), "the last entry holds and keeps running");
}

#[test]
fn playlist_children_get_local_ticks_and_per_pass_seeds() {
    let p = sample_playlist(true);
    let seed = 7;
    let probe = |tick: u64, entry: usize, pass: u64| {
        render(&Probe, &ctx(4, 2, 10, Playlist::entry_seed(seed, entry, pass), tick))
    };
    // Outside transitions the playlist's frame is the child's frame at its local tick.
    for (tick, entry, local, pass) in
        [(0, 0, 0, 0), (5, 0, 5, 0), (20, 1, 13, 0), (30, 2, 0, 0), (36, 0, 3, 1)]
    {
        let got = render(&p, &ctx(4, 2, 10, seed, tick));
        assert_eq!(got, probe(local, entry, pass), "tick {tick}");
    }
    // Each pass gets a different seed for the same entry.
    assert_ne!(Playlist::entry_seed(seed, 0, 0), Playlist::entry_seed(seed, 0, 1));
    assert_ne!(render(&p, &ctx(4, 2, 10, seed, 5)), render(&p, &ctx(4, 2, 10, seed, 40)));
    // Inside the crossfade (tick 8: progress 1/2) the frame mixes entry 0 at 8 and entry 1 at 1.
    let got = render(&p, &ctx(4, 2, 10, seed, 8));
    let (a, b) = (probe(8, 0, 0), probe(1, 1, 0));
    let mut want = Frame::new(a.size());
    Transition { duration: 0.3, ..Transition::new(TransitionKind::Crossfade) }.apply(
        0.5,
        0,
        a.view(),
        b.view(),
        want.pixels_mut(),
    );
    assert_eq!(got, want);
}

#[test]
fn playlist_rejects_empty_and_too_long_transitions() {
    let rate = FrameRate::whole(10).unwrap();
    assert_eq!(Playlist::new(vec![], rate, true).unwrap_err(), PlaylistError::Empty);
    let e = PlaylistEntry {
        scene: arc(Probe),
        duration: 1.0,
        transition: Some(Transition::new(TransitionKind::Crossfade)),
    };
    assert!(matches!(
        Playlist::new(vec![e.clone(), e], rate, true),
        Err(PlaylistError::TransitionTooLong { entry: 0, transition_ticks: 10, entry_ticks: 10 })
    ));
}

fn test_frames(w: u32, h: u32) -> (Frame, Frame) {
    let size = Size::new(w, h).unwrap();
    let n = (w * h) as usize;
    let a = (0..n).map(|i| Rgba::new(i as u8, 10, 20, 255)).collect();
    let b = (0..n).map(|i| Rgba::new(200, i as u8, 30, 128)).collect();
    (Frame::from_pixels(size, a).unwrap(), Frame::from_pixels(size, b).unwrap())
}

fn all_kinds() -> Vec<TransitionKind> {
    let mut kinds = vec![TransitionKind::Crossfade];
    for d in Direction::ALL {
        kinds.push(TransitionKind::Wipe(d));
        kinds.push(TransitionKind::Slide(d));
    }
    kinds.push(TransitionKind::Dissolve { block: 1 });
    kinds.push(TransitionKind::Dissolve { block: 3 });
    kinds
}

#[test]
fn every_transition_is_exact_at_both_ends() {
    for (w, h) in [(1, 1), (5, 3), (16, 9)] {
        let (a, b) = test_frames(w, h);
        let mut out = Frame::new(a.size());
        for kind in all_kinds() {
            for easing in Easing::ALL {
                let t = Transition { kind, duration: 1.0, easing };
                t.apply(0.0, 42, a.view(), b.view(), out.pixels_mut());
                assert_eq!(out, a, "{kind:?} {easing:?} at 0");
                t.apply(1.0, 42, a.view(), b.view(), out.pixels_mut());
                assert_eq!(out, b, "{kind:?} {easing:?} at 1");
            }
        }
    }
}

#[test]
fn wipe_and_slide_halfway_as_pictures() {
    // One row of 4 pixels: old = a0..a3, new = b0..b3.
    let (a, b) = test_frames(4, 1);
    let (pa, pb) = (a.pixels(), b.pixels());
    let mut out = Frame::new(a.size());
    let mut at_half = |kind: TransitionKind| {
        kind.apply(0.5, 0, a.view(), b.view(), out.pixels_mut());
        out.pixels().to_vec()
    };
    assert_eq!(at_half(TransitionKind::Wipe(Direction::Left)), [pa[0], pa[1], pb[2], pb[3]]);
    assert_eq!(at_half(TransitionKind::Wipe(Direction::Right)), [pb[0], pb[1], pa[2], pa[3]]);
    assert_eq!(at_half(TransitionKind::Slide(Direction::Left)), [pa[2], pa[3], pb[0], pb[1]]);
    assert_eq!(at_half(TransitionKind::Slide(Direction::Right)), [pb[2], pb[3], pa[0], pa[1]]);
    // One column of 4 pixels.
    let (a, b) = test_frames(1, 4);
    let (pa, pb) = (a.pixels(), b.pixels());
    let mut out = Frame::new(a.size());
    let mut at_half = |kind: TransitionKind| {
        kind.apply(0.5, 0, a.view(), b.view(), out.pixels_mut());
        out.pixels().to_vec()
    };
    assert_eq!(at_half(TransitionKind::Wipe(Direction::Up)), [pa[0], pa[1], pb[2], pb[3]]);
    assert_eq!(at_half(TransitionKind::Wipe(Direction::Down)), [pb[0], pb[1], pa[2], pa[3]]);
    assert_eq!(at_half(TransitionKind::Slide(Direction::Up)), [pa[2], pa[3], pb[0], pb[1]]);
    assert_eq!(at_half(TransitionKind::Slide(Direction::Down)), [pb[2], pb[3], pa[0], pa[1]]);
}

#[test]
fn dissolve_is_seeded_and_monotonic() {
    let (a, b) = test_frames(32, 16);
    let run = |seed: u64, p: f64, block: u32| {
        let mut out = Frame::new(a.size());
        TransitionKind::Dissolve { block }.apply(p, seed, a.view(), b.view(), out.pixels_mut());
        out
    };
    assert_eq!(run(1, 0.4, 1), run(1, 0.4, 1));
    assert_ne!(run(1, 0.4, 1), run(2, 0.4, 1));
    let switched = |f: &Frame| f.pixels().iter().zip(b.pixels()).filter(|(x, y)| x == y).count();
    let mut prev = 0;
    for step in 0..=10 {
        let f = run(9, f64::from(step) / 10.0, 1);
        let n = switched(&f);
        assert!(n >= prev, "dissolve went backwards at {step}");
        // Every pixel is from one of the two frames.
        assert!(f.pixels().iter().zip(a.pixels()).zip(b.pixels()).all(|((o, x), y)| o == x || o == y));
        prev = n;
    }
    let half = switched(&run(9, 0.5, 1));
    assert!((150..=362).contains(&half), "about half of 512 pixels switch: {half}");
    // Blocks switch together: 4×4 squares are uniform.
    let f = run(3, 0.5, 4);
    for by in 0..4u32 {
        for bx in 0..8u32 {
            let first = f.get(bx * 4, by * 4) == b.get(bx * 4, by * 4);
            for y in by * 4..by * 4 + 4 {
                for x in bx * 4..bx * 4 + 4 {
                    assert_eq!(f.get(x, y) == b.get(x, y), first, "block {bx},{by}");
                }
            }
        }
    }
}

#[test]
fn easing_endpoints_and_monotonic() {
    for e in Easing::ALL {
        assert_eq!(e.apply(0.0), 0.0, "{e:?}");
        assert_eq!(e.apply(1.0), 1.0, "{e:?}");
        assert_eq!(e.apply(-0.5), 0.0);
        assert_eq!(e.apply(1.5), 1.0);
        let mut prev = 0.0;
        for i in 0..=1000 {
            let v = e.apply(f64::from(i) / 1000.0);
            assert!(v >= prev && (0.0..=1.0).contains(&v), "{e:?} at {i}");
            prev = v;
        }
        assert_eq!(Easing::from_name(e.name()), Some(e));
    }
    assert!(Easing::QuadIn.apply(0.5) < 0.5 && Easing::QuadOut.apply(0.5) > 0.5);
    assert!((Easing::SineInOut.apply(0.5) - 0.5).abs() < 1e-12);
}

fn nested_scene() -> Playlist {
    let stack = Layers::new(vec![
        Layer::new(arc(Probe)),
        Layer::new(arc(Dot)).with_blend(BlendMode::Screen).with_opacity(0.7),
        Layer::new(arc(Fill(Rgba::new(0, 80, 0, 90)))).with_blend(BlendMode::Add),
    ]);
    let t = |kind| Some(Transition { kind, duration: 0.5, easing: Easing::SineInOut });
    let entries = vec![
        PlaylistEntry {
            scene: arc(stack),
            duration: 1.0,
            transition: t(TransitionKind::Dissolve { block: 2 }),
        },
        PlaylistEntry {
            scene: arc(Probe),
            duration: 1.5,
            transition: t(TransitionKind::Slide(Direction::Up)),
        },
        PlaylistEntry { scene: arc(Dot), duration: 1.0, transition: t(TransitionKind::Crossfade) },
    ];
    Playlist::new(entries, FrameRate::whole(10).unwrap(), true).unwrap()
}

#[test]
fn display_list_and_direct_paths_are_identical() {
    let p = nested_scene();
    let (mut list, mut direct) = (Renderer::new(DrawMode::DisplayList), Renderer::new(DrawMode::Direct));
    let (mut fa, mut fb) = (Frame::new(Size::new(1, 1).unwrap()), Frame::new(Size::new(1, 1).unwrap()));
    for tick in 0..80 {
        let cx = ctx(7, 5, 10, 99, tick);
        list.render(&p, &cx, &mut fa);
        direct.render(&p, &cx, &mut fb);
        assert_eq!(frame_hash(fa.view()), frame_hash(fb.view()), "tick {tick}");
    }
}

#[test]
fn shuffled_tick_order_matches_sequential() {
    let p = nested_scene();
    let mut r = Renderer::default();
    let sequential: Vec<u128> =
        (0..80).map(|t| frame_hash(r.render_new(&p, &ctx(7, 5, 10, 5, t)).view())).collect();
    // A fixed permutation (multiply by a unit mod 80), rendered with one reused frame.
    let mut frame = Frame::new(Size::new(7, 5).unwrap());
    let mut r = Renderer::default();
    for i in 0..80u64 {
        let t = (i * 37 + 11) % 80;
        r.render(&p, &ctx(7, 5, 10, 5, t), &mut frame);
        assert_eq!(frame_hash(frame.view()), sequential[t as usize], "tick {t}");
    }
}
