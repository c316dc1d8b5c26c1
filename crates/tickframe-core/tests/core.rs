//! Integration tests of tickframe-core: drawing paths, embedded-graphics, checkpoints.

use std::sync::Arc;

use embedded_graphics::mono_font::MonoTextStyle;
use embedded_graphics::pixelcolor::Rgb888;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{Circle, PrimitiveStyle, Triangle};
use embedded_graphics::text::Text;
use tickframe_core::{
    BlendMode, Canvas, CheckpointError, Checkpointed, DrawMode, Frame, FrameRate, Rect, RenderContext,
    Renderer, Rgba, Rng, Scene, Simulation, Size, composite, fonts, frame_hash,
};

fn ctx(w: u32, h: u32, tick: u64) -> RenderContext {
    RenderContext::new(Size::new(w, h).unwrap(), FrameRate::whole(60).unwrap(), 11, tick)
}

/// A scene issuing a random mix of every canvas command, including offscreen layers.
struct Everything {
    sprite: Arc<Frame>,
}

impl Scene for Everything {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        let mut rng = ctx.rng(0);
        let (w, h) = (ctx.width() as i32, ctx.height() as i32);
        let color = |rng: &mut Rng| {
            Rgba::new(rng.below(256) as u8, rng.below(256) as u8, rng.below(256) as u8, rng.below(256) as u8)
        };
        canvas.clear(Rgba::rgb(10, 20, 30));
        for _ in 0..200 {
            let (x, y) = (rng.below(w as u32 + 20) as i32 - 10, rng.below(h as u32 + 20) as i32 - 10);
            let c = color(&mut rng);
            match rng.below(8) {
                0 => canvas.fill_rect(Rect::new(x, y, rng.below(30), rng.below(30)), c),
                1 => canvas.plot(x, y, c),
                2 => canvas.blend_pixel(x, y, c),
                3 => canvas.line(
                    (x, y),
                    (rng.below(w as u32) as i32, rng.below(h as u32) as i32),
                    1 + rng.below(3),
                    c,
                ),
                4 => canvas.circle((x, y), rng.below(20), Some(c), Some((color(&mut rng), 1))),
                5 => canvas.blit(
                    &self.sprite,
                    Rect::new(0, 0, 4, 4),
                    Rect::new(x, y, 4 + rng.below(9), 4 + rng.below(9)),
                    rng.below(256) as u8,
                ),
                6 => {
                    canvas.text("Hi! 42", x, y, &fonts::FONT_6X10, c);
                }
                _ => {
                    let _ = Circle::new(Point::new(x, y), 9)
                        .into_styled(PrimitiveStyle::with_fill(Rgb888::new(c.r, c.g, c.b)))
                        .draw(canvas);
                }
            }
            if rng.below(50) == 0 {
                let layer = canvas.render_offscreen(|c| {
                    c.fill_rect(Rect::new(2, 2, 20, 10), Rgba::new(255, 0, 0, 200));
                    c.text("layer", 3, 3, &fonts::FONT_5X8, Rgba::WHITE);
                });
                composite(canvas.pixels_mut(), layer.pixels(), BlendMode::Screen, 180);
                canvas.recycle(layer);
            }
        }
    }
}

fn sprite() -> Arc<Frame> {
    let mut f = Frame::new(Size::new(4, 4).unwrap());
    for (i, p) in f.pixels_mut().iter_mut().enumerate() {
        *p = Rgba::new((i * 16) as u8, 255 - (i * 16) as u8, 128, if i % 3 == 0 { 0 } else { 255 });
    }
    Arc::new(f)
}

#[test]
fn display_list_and_direct_drawing_give_identical_pixels() {
    let scene = Everything { sprite: sprite() };
    let mut list = Renderer::new(DrawMode::DisplayList);
    let mut direct = Renderer::new(DrawMode::Direct);
    for tick in 0..40 {
        let c = ctx(64, 48, tick);
        let a = list.render_new(&scene, &c);
        let b = direct.render_new(&scene, &c);
        assert_eq!(frame_hash(a.view()), frame_hash(b.view()), "tick {tick}");
    }
    // And the scene actually draws something different per tick.
    let a = list.render_new(&scene, &ctx(64, 48, 1));
    let b = list.render_new(&scene, &ctx(64, 48, 2));
    assert_ne!(frame_hash(a.view()), frame_hash(b.view()));
}

#[test]
fn embedded_graphics_draws_into_frames() {
    let mut f = Frame::new(Size::new(16, 16).unwrap());
    Triangle::new(Point::new(0, 0), Point::new(15, 0), Point::new(0, 15))
        .into_styled(PrimitiveStyle::with_fill(Rgb888::new(255, 0, 0)))
        .draw(&mut f)
        .unwrap();
    Text::new("A", Point::new(8, 14), MonoTextStyle::new(&fonts::FONT_5X7, Rgb888::WHITE))
        .draw(&mut f)
        .unwrap();
    assert_eq!(f.get(1, 1), Some(Rgba::rgb(255, 0, 0)));
    assert_eq!(f.get(15, 15), Some(Rgba::BLACK));
    assert!(f.pixels().contains(&Rgba::WHITE), "text drawn");
}

#[test]
fn text_glyphs_render_like_embedded_graphics_text() {
    let scene_text = "tickframe 0123";
    struct T(&'static str);
    impl Scene for T {
        fn render(&self, _ctx: &RenderContext, canvas: &mut Canvas<'_>) {
            canvas.text(self.0, 1, 2, &fonts::FONT_6X10, Rgba::rgb(0, 255, 0));
        }
    }
    let ours = Renderer::default().render_new(&T(scene_text), &ctx(100, 14, 0));
    let mut reference = Frame::new(Size::new(100, 14).unwrap());
    Text::with_baseline(
        scene_text,
        Point::new(1, 2),
        MonoTextStyle::new(&fonts::FONT_6X10, Rgb888::new(0, 255, 0)),
        embedded_graphics::text::Baseline::Top,
    )
    .draw(&mut reference)
    .unwrap();
    assert_eq!(ours.pixels(), reference.pixels());
}

/// A toy simulation: a counter mixed with random numbers, so any step error shows.
struct Walk;

impl Simulation for Walk {
    type State = Vec<u64>;
    fn new_state(&self, _ctx: &RenderContext) -> Vec<u64> {
        vec![0; 8]
    }
    fn reset(&self, s: &mut Vec<u64>, ctx: &RenderContext) {
        for (i, v) in s.iter_mut().enumerate() {
            *v = ctx.rng(i as u64).next_u64();
        }
    }
    fn step(&self, s: &mut Vec<u64>, ctx: &RenderContext) {
        let mut rng = ctx.rng(99);
        for v in s.iter_mut() {
            *v = v.rotate_left(7) ^ rng.next_u64();
        }
    }
    fn draw(&self, s: &Vec<u64>, _ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        for (i, v) in s.iter().enumerate() {
            let b = v.to_le_bytes();
            canvas.plot(i as i32, 0, Rgba::new(b[0], b[1], b[2], 255));
            canvas.plot(i as i32, 1, Rgba::new(b[3], b[4], b[5], 255));
        }
    }
    fn encode(&self, s: &Vec<u64>, out: &mut Vec<u8>) {
        for v in s {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    fn decode(&self, bytes: &[u8], s: &mut Vec<u64>, _ctx: &RenderContext) -> Result<(), CheckpointError> {
        if bytes.len() != 64 {
            return Err(CheckpointError::Malformed(format!("{} bytes", bytes.len())));
        }
        for (v, c) in s.iter_mut().zip(bytes.chunks_exact(8)) {
            *v = u64::from_le_bytes(c.try_into().unwrap());
        }
        Ok(())
    }
}

fn walk_hashes(scene: &Checkpointed<Walk>, ticks: &[u64]) -> Vec<u128> {
    let mut r = Renderer::default();
    ticks.iter().map(|&t| frame_hash(r.render_new(scene, &ctx(8, 2, t)).view())).collect()
}

#[test]
fn checkpointed_scene_is_the_same_in_any_order_and_recovers_from_corruption() {
    let ticks: Vec<u64> = (0..300).collect();
    let sequential = walk_hashes(&Checkpointed::new(Walk, 16, 4), &ticks);
    // Random jumps, on a fresh scene with a tiny store (constant eviction).
    let jumpy = Checkpointed::new(Walk, 7, 3);
    let mut order = ticks.clone();
    let mut rng = Rng::new(5, 0, 0);
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u32 + 1) as usize);
    }
    let got = walk_hashes(&jumpy, &order);
    for (t, h) in order.iter().zip(got) {
        assert_eq!(h, sequential[*t as usize], "tick {t}");
    }
    let stats = jumpy.stats();
    assert!(stats.evicted > 0 && stats.held <= 3, "{stats:?}");
    assert!(stats.restored > 0, "{stats:?}");
    // Corrupt every stored checkpoint: loads detect it, recompute, and the bytes stay right.
    let fresh = Checkpointed::new(Walk, 10, 64);
    walk_hashes(&fresh, &[250]);
    fresh.corrupt_store_for_tests();
    // Tick 255 continues from the state in hand (250); tick 120 must load checkpoint 120,
    // finds it corrupt, and recomputes from tick 0.
    assert_eq!(walk_hashes(&fresh, &[255, 120]), vec![sequential[255], sequential[120]]);
    assert!(fresh.stats().corrupt > 0, "{:?}", fresh.stats());
}

#[test]
fn checkpointed_scene_agrees_across_threads() {
    let ticks: Vec<u64> = (0..200).collect();
    let sequential = walk_hashes(&Checkpointed::new(Walk, 10, 8), &ticks);
    let shared = Arc::new(Checkpointed::new(Walk, 10, 8));
    std::thread::scope(|s| {
        for k in 0..3u64 {
            let shared = Arc::clone(&shared);
            let sequential = &sequential;
            s.spawn(move || {
                let mine: Vec<u64> = (0..200).rev().filter(|t| t % 3 == k).collect();
                for (t, h) in mine.iter().zip(walk_hashes(&shared, &mine)) {
                    assert_eq!(h, sequential[*t as usize], "tick {t}");
                }
            });
        }
    });
}
