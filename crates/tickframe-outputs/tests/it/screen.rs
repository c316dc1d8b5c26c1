//! Small screens: the dirty-region adapter leaves the display identical to the frame and sends
//! far less than full frames.

use std::path::Path;

use embedded_graphics::mock_display::MockDisplay;
use embedded_graphics::pixelcolor::{BinaryColor, Rgb565};
use embedded_graphics::prelude::*;
use tickframe_core::convert::{MonoMode, mono_len, to_mono};
use tickframe_core::{Frame, Rect, RenderContext, Renderer, Rgba, Size};
use tickframe_outputs::{DirtyScreen, ScreenReport, mono, rgb565};
use tickframe_scenes::{Overrides, load_scene_file};

/// An in-memory display of any size that records every pixel drawn.
pub struct MemoryDisplay<C> {
    pub size: Size,
    pub pixels: Vec<Option<C>>,
    pub drawn: usize,
}

impl<C: PixelColor> MemoryDisplay<C> {
    pub fn new(size: Size) -> Self {
        MemoryDisplay { size, pixels: vec![None; size.area()], drawn: 0 }
    }
}

impl<C: PixelColor> OriginDimensions for MemoryDisplay<C> {
    fn size(&self) -> embedded_graphics::prelude::Size {
        embedded_graphics::prelude::Size::new(self.size.width(), self.size.height())
    }
}

impl<C: PixelColor> DrawTarget for MemoryDisplay<C> {
    type Color = C;
    type Error = core::convert::Infallible;
    fn draw_iter<I: IntoIterator<Item = Pixel<C>>>(&mut self, pixels: I) -> Result<(), Self::Error> {
        for Pixel(p, c) in pixels {
            assert!(
                p.x >= 0 && p.y >= 0 && (p.x as u32) < self.size.width() && (p.y as u32) < self.size.height(),
                "{p:?} outside"
            );
            self.pixels[p.y as usize * self.size.width() as usize + p.x as usize] = Some(c);
            self.drawn += 1;
        }
        Ok(())
    }
}

#[test]
fn mock_display_matches_a_picture_and_only_changes_are_redrawn() {
    let size = Size::new(16, 8).unwrap();
    let mut screen =
        DirtyScreen::new(MockDisplay::<BinaryColor>::new(), size, mono(MonoMode::Threshold(128)))
            .with_tile(8, 8);
    screen.target_mut().set_allow_overdraw(true);
    let mut f = Frame::new(size);
    f.view_mut().fill(Rgba::BLACK);
    for (x, y) in [(0, 0), (1, 1), (2, 2)] {
        f.view_mut().set(x, y, Rgba::WHITE);
    }
    let r = screen.show(f.view()).unwrap();
    assert_eq!((r.rects, r.pixels, r.bytes, r.full_frame_bytes), (1, 128, 16, 16));
    screen.target().assert_pattern(&[
        "#...............",
        ".#..............",
        "..#.............",
        "................",
        "................",
        "................",
        "................",
        "................",
    ]);
    f.view_mut().set(12, 7, Rgba::WHITE);
    let r = screen.show(f.view()).unwrap();
    assert_eq!((r.rects, r.pixels), (1, 64), "only the right-hand tile");
    assert_eq!(screen.target().get_pixel(Point::new(12, 7)), Some(BinaryColor::On));
    let r = screen.show(f.view()).unwrap();
    assert_eq!(
        r,
        ScreenReport { full_frame_bytes: 16, ..Default::default() },
        "nothing changed, nothing sent"
    );
}

#[test]
fn rgb565_screen_ends_identical_to_frames() {
    let size = Size::new(40, 30).unwrap();
    let mut screen = DirtyScreen::new(MemoryDisplay::<Rgb565>::new(size), size, rgb565).with_tile(16, 4);
    let mut f = Frame::new(size);
    for tick in 0..10u32 {
        f.view_mut().set(
            (tick * 3 % 40) as i32,
            (tick * 7 % 30) as i32,
            Rgba::rgb(tick as u8 * 20, 100, 255 - tick as u8),
        );
        screen.show(f.view()).unwrap();
        let d = screen.target();
        for (i, px) in f.pixels().iter().enumerate() {
            assert_eq!(d.pixels[i], Some(rgb565(*px, 0, 0)), "pixel {i} at tick {tick}");
        }
    }
}

/// The `oled` example (128×64 monochrome) through the adapter: the display always equals
/// `to_mono` of the frame, and the bytes sent are reported against full frames.
#[test]
fn oled_example_bytes_sent_against_full_frames() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/oled.toml");
    let file = load_scene_file(&path, &Overrides::default()).unwrap();
    let size = file.size;
    assert_eq!((size.width(), size.height()), (128, 64));
    let mut screen =
        DirtyScreen::new(MemoryDisplay::<BinaryColor>::new(size), size, mono(MonoMode::Threshold(128)));
    let mut renderer = Renderer::default();
    let mut frame = Frame::new(size);
    let mut packed = vec![0u8; mono_len(frame.view())];
    // The whole playlist loop, every tick (60 fps), plus the first tick of the next pass (the
    // transition back to the first entry).
    let playlist = file.root_playlist.as_ref().expect("oled.toml is a playlist");
    assert!(playlist.is_looping());
    let loop_ticks = playlist.total_ticks();
    assert!(loop_ticks >= 60 * 40, "the loop is {loop_ticks} ticks");
    let ticks = 0..loop_ticks + 1;
    let n = ticks.end - ticks.start;
    for tick in ticks {
        let ctx = RenderContext::new(size, file.rate, file.seed, tick);
        renderer.render(file.root.as_ref(), &ctx, &mut frame);
        screen.show(frame.view()).unwrap();
        if tick % 97 == 0 {
            to_mono(frame.view(), MonoMode::Threshold(128), &mut packed);
            let d = screen.target();
            for y in 0..64usize {
                for x in 0..128usize {
                    let lit = packed[y * 16 + x / 8] & (0x80 >> (x % 8)) != 0;
                    assert_eq!(
                        d.pixels[y * 128 + x],
                        Some(BinaryColor::from(lit)),
                        "({x}, {y}) at tick {tick}"
                    );
                }
            }
        }
    }
    let (totals, frames) = screen.totals();
    assert_eq!(frames, n);
    println!(
        "oled 128x64 mono, {n} frames (ticks 0..={loop_ticks}, the whole loop and the first tick of the next): {} bytes sent vs {} full-frame bytes ({:.1}%), {:.1} rects/frame",
        totals.bytes,
        totals.full_frame_bytes,
        100.0 * totals.bytes as f64 / totals.full_frame_bytes as f64,
        totals.rects as f64 / n as f64
    );
    assert!(totals.bytes < totals.full_frame_bytes, "dirty tiles must beat full frames");
    let _ = Rect::new(0, 0, 1, 1);
}
