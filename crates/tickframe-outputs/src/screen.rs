//! Small screens: drive any embedded-graphics [`DrawTarget`] from frames, sending only the tiles
//! that changed.

use embedded_graphics::pixelcolor::raw::RawData;
use embedded_graphics::pixelcolor::{BinaryColor, PixelColor, Rgb565, Rgb888};
use embedded_graphics::prelude::{DrawTarget, Point, Size as EgSize};
use embedded_graphics::primitives::Rectangle;
use tickframe_core::convert::MonoMode;
use tickframe_core::{FrameRef, Rgba, Size};

/// What one frame cost on the bus.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScreenReport {
    /// Rectangles drawn with `fill_contiguous`.
    pub rects: usize,
    /// Pixels sent.
    pub pixels: usize,
    /// Pixel data bytes sent: per rectangle `⌈width·height·bits_per_pixel / 8⌉` (bus command
    /// overhead not included).
    pub bytes: usize,
    /// Pixel data bytes of a full frame, for comparison.
    pub full_frame_bytes: usize,
}

/// A frame of the wrong size, or the display's own error.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScreenError<E: std::fmt::Debug> {
    /// The frame's size is not the screen's.
    #[error("frame is {got}, the screen is {expected}")]
    Size {
        /// The screen's size.
        expected: Size,
        /// The frame's size.
        got: Size,
    },
    /// The display failed (bus error); the next frame is redrawn in full.
    #[error("display error: {0:?}")]
    Display(E),
}

/// Drives a [`DrawTarget`] from frames, redrawing only the tiles whose converted colours
/// changed since the last frame, merged into one rectangle per horizontal run of changed tiles,
/// each sent with [`DrawTarget::fill_contiguous`].
///
/// The first frame (and the one after a display error or [`DirtyScreen::invalidate`]) is sent
/// whole. Tile size: 8×8 by default, matching SSD1306 pages; use wider tiles for displays with
/// a costly "set window" command.
///
/// Allocates nothing per frame.
pub struct DirtyScreen<D: DrawTarget, F> {
    target: D,
    convert: F,
    size: Size,
    tile: (u32, u32),
    current: Vec<D::Color>,
    previous: Vec<D::Color>,
    valid: bool,
    totals: ScreenReport,
    frames: u64,
}

impl<D, F> DirtyScreen<D, F>
where
    D: DrawTarget,
    D::Error: std::fmt::Debug,
    F: FnMut(Rgba, u32, u32) -> D::Color,
{
    /// An adapter for a `size` screen; `convert(pixel, x, y)` turns a frame pixel into the
    /// display's colour (see [`mono`], [`rgb565`], [`rgb888`]). The target is not drawn to
    /// until the first frame.
    pub fn new(target: D, size: Size, mut convert: F) -> DirtyScreen<D, F> {
        let blank = vec![convert(Rgba::BLACK, 0, 0); size.area()];
        DirtyScreen {
            target,
            convert,
            size,
            tile: (8, 8),
            current: blank.clone(),
            previous: blank,
            valid: false,
            totals: ScreenReport::default(),
            frames: 0,
        }
    }

    /// Sets the tile size in pixels (default 8×8); at least 1×1.
    pub fn with_tile(mut self, width: u32, height: u32) -> DirtyScreen<D, F> {
        self.tile = (width.max(1), height.max(1));
        self
    }

    /// Forces the next frame to be sent whole (e.g. after the display was reset).
    pub fn invalidate(&mut self) {
        self.valid = false;
    }

    /// The display.
    pub fn target(&self) -> &D {
        &self.target
    }

    /// The display, writable.
    pub fn target_mut(&mut self) -> &mut D {
        &mut self.target
    }

    /// Gives the display back.
    pub fn into_target(self) -> D {
        self.target
    }

    /// Sums over all frames shown so far (`full_frame_bytes` summed too), and the frame count.
    pub fn totals(&self) -> (ScreenReport, u64) {
        (self.totals, self.frames)
    }

    /// Shows one frame, sending only what changed.
    ///
    /// # Errors
    /// A frame of the wrong size, or the display's error (then the next frame is sent whole).
    pub fn show(&mut self, frame: FrameRef<'_>) -> Result<ScreenReport, ScreenError<D::Error>> {
        if frame.size() != self.size {
            return Err(ScreenError::Size { expected: self.size, got: frame.size() });
        }
        let (w, h) = (self.size.width(), self.size.height());
        for (i, (px, out)) in frame.pixels().iter().zip(self.current.iter_mut()).enumerate() {
            *out = (self.convert)(*px, i as u32 % w, i as u32 / w);
        }
        let bpp = <<D::Color as PixelColor>::Raw as RawData>::BITS_PER_PIXEL;
        let mut report = ScreenReport {
            full_frame_bytes: (w as usize * h as usize * bpp).div_ceil(8),
            ..Default::default()
        };
        let (tw, th) = self.tile;
        let stride = w as usize;
        let mut ty = 0;
        while ty < h {
            let y1 = (ty + th).min(h);
            let mut tx = 0;
            let mut run_start: Option<u32> = None;
            loop {
                let at_end = tx >= w;
                let dirty = !at_end && {
                    let x1 = (tx + tw).min(w) as usize;
                    !self.valid
                        || (ty..y1).any(|y| {
                            let r = y as usize * stride;
                            self.current[r + tx as usize..r + x1] != self.previous[r + tx as usize..r + x1]
                        })
                };
                match (dirty, run_start) {
                    (true, None) => run_start = Some(tx),
                    (false, Some(x0)) => {
                        let x1 = tx.min(w);
                        let rect =
                            Rectangle::new(Point::new(x0 as i32, ty as i32), EgSize::new(x1 - x0, y1 - ty));
                        let cur = &self.current;
                        let colors = (ty..y1).flat_map(|y| {
                            cur[y as usize * stride + x0 as usize..y as usize * stride + x1 as usize]
                                .iter()
                                .copied()
                        });
                        if let Err(e) = self.target.fill_contiguous(&rect, colors) {
                            self.valid = false;
                            return Err(ScreenError::Display(e));
                        }
                        let n = ((x1 - x0) * (y1 - ty)) as usize;
                        report.rects += 1;
                        report.pixels += n;
                        report.bytes += (n * bpp).div_ceil(8);
                        run_start = None;
                    }
                    _ => {}
                }
                if at_end {
                    break;
                }
                tx += tw;
            }
            ty += th;
        }
        std::mem::swap(&mut self.current, &mut self.previous);
        self.valid = true;
        self.frames += 1;
        self.totals.rects += report.rects;
        self.totals.pixels += report.pixels;
        self.totals.bytes += report.bytes;
        self.totals.full_frame_bytes += report.full_frame_bytes;
        Ok(report)
    }
}

const BAYER8: [[u8; 8]; 8] = [
    [0, 32, 8, 40, 2, 34, 10, 42],
    [48, 16, 56, 24, 50, 18, 58, 26],
    [12, 44, 4, 36, 14, 46, 6, 38],
    [60, 28, 52, 20, 62, 30, 54, 22],
    [3, 35, 11, 43, 1, 33, 9, 41],
    [51, 19, 59, 27, 49, 17, 57, 25],
    [15, 47, 7, 39, 13, 45, 5, 37],
    [63, 31, 55, 23, 61, 29, 53, 21],
];

/// A converter to monochrome, lit exactly as `tickframe_core::convert::to_mono` decides
/// (threshold on luma, or 8×8 Bayer dithering).
pub fn mono(mode: MonoMode) -> impl FnMut(Rgba, u32, u32) -> BinaryColor + Clone {
    move |px: Rgba, x: u32, y: u32| {
        let threshold = match mode {
            MonoMode::Threshold(t) => t,
            MonoMode::Bayer8 => BAYER8[y as usize & 7][x as usize & 7] * 4 + 2,
        };
        if px.luma() >= threshold { BinaryColor::On } else { BinaryColor::Off }
    }
}

/// A converter to RGB565, rounded as `tickframe_core::convert::rgb565`.
pub fn rgb565(px: Rgba, _x: u32, _y: u32) -> Rgb565 {
    use embedded_graphics::pixelcolor::raw::RawU16;
    Rgb565::from(RawU16::new(tickframe_core::convert::rgb565(px.r, px.g, px.b)))
}

/// A converter to RGB888 (alpha dropped).
pub fn rgb888(px: Rgba, _x: u32, _y: u32) -> Rgb888 {
    Rgb888::new(px.r, px.g, px.b)
}
