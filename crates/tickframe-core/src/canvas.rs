//! Drawing: a [`Canvas`] that either draws directly or records a display list and flushes it in
//! one pass, with identical pixels either way; plus embedded-graphics `DrawTarget` impls.

use std::sync::Arc;

use embedded_graphics::mono_font::{MonoFont, MonoTextStyle};
use embedded_graphics::pixelcolor::Rgb888;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{Circle, Line, PrimitiveStyleBuilder, Rectangle};
use embedded_graphics::text::{Baseline, Text};

use crate::{Frame, FrameMut, Rect, Rgba, Size};

/// Which drawing path a [`Canvas`] takes. Both give identical pixels (tested for every built-in
/// scene); the display list is the default.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum DrawMode {
    /// Record draw commands into a reused display list and apply them in one pass at flush.
    #[default]
    DisplayList,
    /// Apply every draw command as soon as it is issued (the fallback path).
    Direct,
}

/// A bundled bitmap font (from embedded-graphics; never a system font lookup).
pub type Font = MonoFont<'static>;

/// One recorded draw command. Holds no borrowed data, so a list can be reused across frames.
#[derive(Clone, Debug)]
enum Command {
    Clear(Rgba),
    FillRect { rect: Rect, color: Rgba },
    Plot { x: i32, y: i32, color: Rgba },
    BlendPlot { x: i32, y: i32, color: Rgba },
    Line { from: (i32, i32), to: (i32, i32), width: u32, color: Rgba },
    Circle { center: (i32, i32), diameter: u32, fill: Option<Rgba>, stroke: Option<(Rgba, u32)> },
    Blit { image: Arc<Frame>, src: Rect, dst: Rect, opacity: u8 },
    Glyph { font: &'static Font, ch: char, x: i32, y: i32, color: Rgba },
}

/// A reusable list of draw commands. Its capacity is kept between frames, so recording
/// allocates nothing in steady state.
#[derive(Debug, Default)]
pub struct DisplayList {
    commands: Vec<Command>,
    /// Draw commands issued through canvases using this list, on either path, ever.
    issued: u64,
}

impl DisplayList {
    /// Draw commands issued through canvases using this list since it was made, on either path
    /// (recorded or applied at once); `pixels_mut` writes are not commands.
    pub fn issued(&self) -> u64 {
        self.issued
    }

    /// Commands waiting to be flushed.
    pub fn len(&self) -> usize {
        self.commands.len()
    }

    /// Whether no command is waiting.
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }
}

/// Scratch frames for layers and transitions, reused between frames.
#[derive(Debug, Default)]
pub struct FramePool {
    free: Vec<Frame>,
}

impl FramePool {
    fn take(&mut self, size: Size) -> Frame {
        match self.free.pop() {
            Some(mut f) => {
                f.resize(size);
                f
            }
            None => Frame::new(size),
        }
    }

    fn give(&mut self, frame: Frame) {
        self.free.push(frame);
    }
}

/// Where a scene draws. Coordinates are pixels from the top-left corner; anything outside the
/// frame is clipped. Colours with alpha below 255 blend source-over (see [`Rgba::over`]), except
/// in [`Canvas::plot`] and [`Canvas::clear`], which replace.
#[derive(Debug)]
pub struct Canvas<'a> {
    frame: FrameMut<'a>,
    list: &'a mut DisplayList,
    pool: &'a mut FramePool,
    mode: DrawMode,
}

impl<'a> Canvas<'a> {
    /// A canvas over `frame`, recording into `list` (when `mode` says so) and taking scratch
    /// frames from `pool`. Usually made by [`crate::Renderer`].
    pub fn new(
        frame: FrameMut<'a>,
        list: &'a mut DisplayList,
        pool: &'a mut FramePool,
        mode: DrawMode,
    ) -> Canvas<'a> {
        Canvas { frame, list, pool, mode }
    }

    /// The frame size.
    pub fn size(&self) -> Size {
        self.frame.size()
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.frame.width()
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.frame.height()
    }

    /// The drawing path in use.
    pub fn mode(&self) -> DrawMode {
        self.mode
    }

    #[inline]
    fn push(&mut self, cmd: Command) {
        self.list.issued += 1;
        match self.mode {
            DrawMode::Direct => apply(&cmd, &mut self.frame),
            DrawMode::DisplayList => self.list.commands.push(cmd),
        }
    }

    /// Makes room for `additional` more commands on the display-list path (nothing on the direct
    /// path), so a scene whose command count varies from frame to frame (scrolling text) can
    /// size the list for its worst case once, instead of growing it the first time a frame
    /// needs more. Allocates only when the list is too small.
    pub fn reserve(&mut self, additional: usize) {
        if self.mode == DrawMode::DisplayList {
            self.list.commands.reserve(additional);
        }
    }

    /// Applies every recorded command to the frame, in order. Does nothing on the direct path.
    pub fn flush(&mut self) {
        for cmd in self.list.commands.drain(..) {
            apply(&cmd, &mut self.frame);
        }
    }

    /// The pixels, for scenes that compute every pixel themselves (shaders, fractals). Flushes
    /// recorded commands first, so ordering is the same on both paths.
    pub fn pixels_mut(&mut self) -> &mut [crate::Rgba] {
        self.flush();
        self.frame.pixels_mut()
    }

    /// The frame as a writable view (flushes first).
    pub fn frame_mut(&mut self) -> FrameMut<'_> {
        self.flush();
        self.frame.reborrow()
    }

    /// Replaces every pixel with `color`.
    pub fn clear(&mut self, color: Rgba) {
        self.push(Command::Clear(color));
    }

    /// Fills a rectangle (blends when `color.a < 255`).
    pub fn fill_rect(&mut self, rect: Rect, color: Rgba) {
        self.push(Command::FillRect { rect, color });
    }

    /// Replaces one pixel (no blending); ignored outside the frame.
    #[inline]
    pub fn plot(&mut self, x: i32, y: i32, color: Rgba) {
        self.push(Command::Plot { x, y, color });
    }

    /// Blends one pixel source-over; ignored outside the frame.
    #[inline]
    pub fn blend_pixel(&mut self, x: i32, y: i32, color: Rgba) {
        self.push(Command::BlendPlot { x, y, color });
    }

    /// A straight line from `from` to `to`, inclusive, `width` pixels thick.
    pub fn line(&mut self, from: (i32, i32), to: (i32, i32), width: u32, color: Rgba) {
        self.push(Command::Line { from, to, width, color });
    }

    /// A circle of `diameter` pixels whose bounding box starts at `top_left`, filled and/or
    /// stroked (`(colour, width)`).
    pub fn circle(
        &mut self,
        top_left: (i32, i32),
        diameter: u32,
        fill: Option<Rgba>,
        stroke: Option<(Rgba, u32)>,
    ) {
        self.push(Command::Circle { center: top_left, diameter, fill, stroke });
    }

    /// Copies `src` (a rectangle of `image`) onto `dst` of the frame, scaled nearest-neighbour
    /// to `dst`'s size, blended source-over with `opacity` (0..=255). `image` is shared, never
    /// copied.
    pub fn blit(&mut self, image: &Arc<Frame>, src: Rect, dst: Rect, opacity: u8) {
        self.push(Command::Blit { image: Arc::clone(image), src, dst, opacity });
    }

    /// Draws `text` in a bundled `font`, its top-left corner at `(x, y)`. Returns the x just
    /// after the last glyph.
    pub fn text(&mut self, text: &str, x: i32, y: i32, font: &'static Font, color: Rgba) -> i32 {
        let advance = (font.character_size.width + font.character_spacing) as i32;
        let mut cx = x;
        let w = self.width() as i32;
        for ch in text.chars() {
            if cx >= w {
                break;
            }
            if cx + advance > 0 {
                self.push(Command::Glyph { font, ch, x: cx, y, color });
            }
            cx += advance;
        }
        cx
    }

    /// Renders `draw` into a scratch frame of this canvas's size, cleared to transparent black,
    /// and returns it. Hand it back with [`Canvas::recycle`] so the next frame reuses it.
    pub fn render_offscreen(&mut self, draw: impl FnOnce(&mut Canvas<'_>)) -> Frame {
        self.flush();
        let mut scratch = self.pool.take(self.size());
        scratch.fill(Rgba::TRANSPARENT);
        {
            let mut sub = Canvas {
                frame: scratch.view_mut(),
                list: &mut *self.list,
                pool: &mut *self.pool,
                mode: self.mode,
            };
            draw(&mut sub);
            sub.flush();
        }
        scratch
    }

    /// Returns a scratch frame from [`Canvas::render_offscreen`] for reuse.
    pub fn recycle(&mut self, frame: Frame) {
        self.pool.give(frame);
    }
}

/// Text width in pixels for `chars` glyphs of `font` (no trailing spacing).
pub fn text_width(text: &str, font: &Font) -> u32 {
    let n = text.chars().count() as u32;
    if n == 0 { 0 } else { n * (font.character_size.width + font.character_spacing) - font.character_spacing }
}

/// An embedded-graphics target that blends every pixel with a fixed alpha.
struct Blend<'f, 'a> {
    frame: &'f mut FrameMut<'a>,
    alpha: u8,
}

impl OriginDimensions for Blend<'_, '_> {
    fn size(&self) -> embedded_graphics::geometry::Size {
        embedded_graphics::geometry::Size::new(self.frame.width(), self.frame.height())
    }
}

impl DrawTarget for Blend<'_, '_> {
    type Color = Rgb888;
    type Error = core::convert::Infallible;

    fn draw_iter<I: IntoIterator<Item = Pixel<Rgb888>>>(&mut self, pixels: I) -> Result<(), Self::Error> {
        let (w, h) = (self.frame.width() as i32, self.frame.height() as i32);
        let stride = w as usize;
        let alpha = self.alpha;
        let px = self.frame.pixels_mut();
        for Pixel(p, c) in pixels {
            if p.x >= 0 && p.y >= 0 && p.x < w && p.y < h {
                let i = p.y as usize * stride + p.x as usize;
                px[i] = Rgba::from(c).with_alpha(alpha).over(px[i], 255);
            }
        }
        Ok(())
    }
}

fn apply(cmd: &Command, frame: &mut FrameMut<'_>) {
    let (w, h) = (frame.width(), frame.height());
    match *cmd {
        Command::Clear(c) => frame.fill(c),
        Command::FillRect { rect, color } => {
            if let Some((x0, y0, x1, y1)) = rect.clip(w, h) {
                let stride = w as usize;
                let px = frame.pixels_mut();
                for y in y0..y1 {
                    let row = &mut px[y * stride + x0..y * stride + x1];
                    if color.a == 255 {
                        row.fill(color);
                    } else {
                        for p in row {
                            *p = color.over(*p, 255);
                        }
                    }
                }
            }
        }
        Command::Plot { x, y, color } => frame.set(x, y, color),
        Command::BlendPlot { x, y, color } => {
            if x >= 0 && y >= 0 && (x as u32) < w && (y as u32) < h {
                let i = y as usize * w as usize + x as usize;
                let px = frame.pixels_mut();
                px[i] = color.over(px[i], 255);
            }
        }
        Command::Line { from, to, width, color } => {
            let style = PrimitiveStyleBuilder::new().stroke_color(color.into()).stroke_width(width).build();
            let _ = Line::new(Point::new(from.0, from.1), Point::new(to.0, to.1))
                .into_styled(style)
                .draw(&mut Blend { frame, alpha: color.a });
        }
        Command::Circle { center, diameter, fill, stroke } => {
            let circle = Circle::new(Point::new(center.0, center.1), diameter);
            if let Some(f) = fill {
                let style = PrimitiveStyleBuilder::new().fill_color(f.into()).build();
                let _ = circle.into_styled(style).draw(&mut Blend { frame, alpha: f.a });
            }
            if let Some((s, sw)) = stroke {
                let style = PrimitiveStyleBuilder::new().stroke_color(s.into()).stroke_width(sw).build();
                let _ = circle.into_styled(style).draw(&mut Blend { frame, alpha: s.a });
            }
        }
        Command::Blit { ref image, src, dst, opacity } => blit(frame, image, src, dst, opacity),
        Command::Glyph { font, ch, x, y, color } => {
            let mut buf = [0u8; 4];
            let s = ch.encode_utf8(&mut buf);
            let style = MonoTextStyle::new(font, Rgb888::from(color));
            let _ = Text::with_baseline(s, Point::new(x, y), style, Baseline::Top)
                .draw(&mut Blend { frame, alpha: color.a });
        }
    }
}

fn blit(frame: &mut FrameMut<'_>, image: &Frame, src: Rect, dst: Rect, opacity: u8) {
    // Source pixels outside the image are skipped, so a sprite at an image edge keeps its scale.
    let Some((sx0, sy0, sx1, sy1)) = src.clip(image.width(), image.height()) else { return };
    let Some((dx0, dy0, dx1, dy1)) = dst.clip(frame.width(), frame.height()) else { return };
    let (sw, sh) = (u64::from(src.width), u64::from(src.height));
    let (dw, dh) = (u64::from(dst.width), u64::from(dst.height));
    let stride = frame.width() as usize;
    let iw = image.width() as usize;
    let ipx = image.pixels();
    let px = frame.pixels_mut();
    for dy in dy0..dy1 {
        // Nearest neighbour: destination pixel centre mapped into the source, in integers.
        let oy = (dy as i64 - i64::from(dst.y)) as u64;
        let sy = i64::from(src.y) + ((oy * 2 + 1) * sh / (dh * 2)) as i64;
        if sy < sy0 as i64 || sy >= sy1 as i64 {
            continue;
        }
        let srow = &ipx[sy as usize * iw..(sy as usize + 1) * iw];
        let drow = &mut px[dy * stride..(dy + 1) * stride];
        for (dx, d) in drow.iter_mut().enumerate().take(dx1).skip(dx0) {
            let ox = (dx as i64 - i64::from(dst.x)) as u64;
            let sx = i64::from(src.x) + ((ox * 2 + 1) * sw / (dw * 2)) as i64;
            if sx < sx0 as i64 || sx >= sx1 as i64 {
                continue;
            }
            *d = srow[sx as usize].over(*d, opacity);
        }
    }
}

/// Pixels drawn through embedded-graphics replace (Rgb888 has no alpha).
impl DrawTarget for Canvas<'_> {
    type Color = Rgb888;
    type Error = core::convert::Infallible;

    fn draw_iter<I: IntoIterator<Item = Pixel<Rgb888>>>(&mut self, pixels: I) -> Result<(), Self::Error> {
        for Pixel(p, c) in pixels {
            self.plot(p.x, p.y, c.into());
        }
        Ok(())
    }

    fn fill_solid(&mut self, area: &Rectangle, color: Rgb888) -> Result<(), Self::Error> {
        let r = Rect::new(area.top_left.x, area.top_left.y, area.size.width, area.size.height);
        self.fill_rect(r, color.into());
        Ok(())
    }

    fn clear(&mut self, color: Rgb888) -> Result<(), Self::Error> {
        Canvas::clear(self, color.into());
        Ok(())
    }
}

impl OriginDimensions for Canvas<'_> {
    fn size(&self) -> embedded_graphics::geometry::Size {
        embedded_graphics::geometry::Size::new(self.width(), self.height())
    }
}

impl DrawTarget for FrameMut<'_> {
    type Color = Rgb888;
    type Error = core::convert::Infallible;

    fn draw_iter<I: IntoIterator<Item = Pixel<Rgb888>>>(&mut self, pixels: I) -> Result<(), Self::Error> {
        for Pixel(p, c) in pixels {
            self.set(p.x, p.y, c.into());
        }
        Ok(())
    }

    fn fill_solid(&mut self, area: &Rectangle, color: Rgb888) -> Result<(), Self::Error> {
        let r = Rect::new(area.top_left.x, area.top_left.y, area.size.width, area.size.height);
        apply(&Command::FillRect { rect: r, color: color.into() }, self);
        Ok(())
    }
}

impl OriginDimensions for FrameMut<'_> {
    fn size(&self) -> embedded_graphics::geometry::Size {
        embedded_graphics::geometry::Size::new(self.width(), self.height())
    }
}

impl DrawTarget for Frame {
    type Color = Rgb888;
    type Error = core::convert::Infallible;

    fn draw_iter<I: IntoIterator<Item = Pixel<Rgb888>>>(&mut self, pixels: I) -> Result<(), Self::Error> {
        self.view_mut().draw_iter(pixels)
    }

    fn fill_solid(&mut self, area: &Rectangle, color: Rgb888) -> Result<(), Self::Error> {
        self.view_mut().fill_solid(area, color)
    }
}

impl OriginDimensions for Frame {
    fn size(&self) -> embedded_graphics::geometry::Size {
        embedded_graphics::geometry::Size::new(self.width(), self.height())
    }
}
