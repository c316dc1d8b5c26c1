//! Pixel-format conversions for displays: RGB888, RGB565 and 1-bit monochrome.
//!
//! Every conversion writes into a buffer the caller owns and reuses, and ignores alpha (frames
//! reaching a display are opaque). All are integer-only, so identical on every machine.

use crate::FrameRef;

/// How [`to_mono`] decides whether a pixel is lit.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MonoMode {
    /// Lit when the pixel's luma is at least this value (0..=255; 128 is a sensible default).
    Threshold(u8),
    /// Ordered dithering with the 8×8 Bayer matrix: lit when luma ≥ `4·m(x mod 8, y mod 8) + 2`.
    Bayer8,
}

/// Bytes needed by [`to_rgb888`] for `frame`.
pub fn rgb888_len(frame: FrameRef<'_>) -> usize {
    frame.size().area() * 3
}

/// Writes R, G, B bytes for every pixel, row-major. `out` must be [`rgb888_len`] long.
///
/// # Panics
/// When `out` has the wrong length.
pub fn to_rgb888(frame: FrameRef<'_>, out: &mut [u8]) {
    assert_eq!(out.len(), rgb888_len(frame), "RGB888 buffer length");
    for (px, o) in frame.pixels().iter().zip(out.chunks_exact_mut(3)) {
        o[0] = px.r;
        o[1] = px.g;
        o[2] = px.b;
    }
}

/// One pixel as RGB565: 5 bits red (high), 6 green, 5 blue, each rounded to nearest.
#[inline]
pub const fn rgb565(r: u8, g: u8, b: u8) -> u16 {
    let r5 = (r as u16 * 31 + 127) / 255;
    let g6 = (g as u16 * 63 + 127) / 255;
    let b5 = (b as u16 * 31 + 127) / 255;
    (r5 << 11) | (g6 << 5) | b5
}

/// Writes one RGB565 value a pixel, row-major. `out` must hold `width × height` values.
///
/// # Panics
/// When `out` has the wrong length.
pub fn to_rgb565(frame: FrameRef<'_>, out: &mut [u16]) {
    assert_eq!(out.len(), frame.size().area(), "RGB565 buffer length");
    for (px, o) in frame.pixels().iter().zip(out.iter_mut()) {
        *o = rgb565(px.r, px.g, px.b);
    }
}

/// Bytes needed by [`to_mono`]: `ceil(width / 8) × height`.
pub fn mono_len(frame: FrameRef<'_>) -> usize {
    frame.width().div_ceil(8) as usize * frame.height() as usize
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

/// Packs the frame to 1 bit a pixel: rows of `ceil(width / 8)` bytes, the leftmost pixel in the
/// most significant bit, 1 = lit. Padding bits at the end of a row are 0.
///
/// # Panics
/// When `out` is not [`mono_len`] long.
pub fn to_mono(frame: FrameRef<'_>, mode: MonoMode, out: &mut [u8]) {
    assert_eq!(out.len(), mono_len(frame), "monochrome buffer length");
    out.fill(0);
    let stride = frame.width().div_ceil(8) as usize;
    for y in 0..frame.height() {
        let row = frame.row(y);
        let out_row = &mut out[y as usize * stride..(y as usize + 1) * stride];
        for (x, px) in row.iter().enumerate() {
            if mono_lit(mode, x as u32, y, *px) {
                out_row[x / 8] |= 0x80 >> (x % 8);
            }
        }
    }
}

/// Whether [`to_mono`] lights the pixel `px` at (`x`, `y`).
#[inline]
pub fn mono_lit(mode: MonoMode, x: u32, y: u32, px: crate::Rgba) -> bool {
    let threshold = match mode {
        MonoMode::Threshold(t) => t,
        MonoMode::Bayer8 => BAYER8[y as usize & 7][x as usize & 7] * 4 + 2,
    };
    px.luma() >= threshold
}

/// Turns every pixel of `pixels` (rows of `width`) into opaque white when [`to_mono`] would
/// light it, else opaque black: the frame as a monochrome display will show it.
///
/// # Panics
/// When `width` is 0 or does not divide the pixel count.
pub fn quantize_mono(pixels: &mut [crate::Rgba], width: u32, mode: MonoMode) {
    assert!(width > 0 && pixels.len().is_multiple_of(width as usize), "pixels are rows of `width`");
    for (y, row) in pixels.chunks_exact_mut(width as usize).enumerate() {
        for (x, px) in row.iter_mut().enumerate() {
            *px =
                if mono_lit(mode, x as u32, y as u32, *px) { crate::Rgba::WHITE } else { crate::Rgba::BLACK };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Frame, Rgba, Size};

    #[test]
    fn rgb565_corners() {
        assert_eq!(rgb565(255, 255, 255), 0xffff);
        assert_eq!(rgb565(0, 0, 0), 0);
        assert_eq!(rgb565(255, 0, 0), 0xf800);
        assert_eq!(rgb565(0, 255, 0), 0x07e0);
        assert_eq!(rgb565(0, 0, 255), 0x001f);
    }

    #[test]
    fn mono_threshold_packs_msb_first() {
        let mut f = Frame::new(Size::new(10, 2).unwrap());
        f.pixels_mut()[0] = Rgba::WHITE;
        f.pixels_mut()[9] = Rgba::WHITE;
        f.pixels_mut()[10 + 8] = Rgba::rgb(200, 200, 200);
        let mut out = vec![0xaa; mono_len(f.view())];
        to_mono(f.view(), MonoMode::Threshold(128), &mut out);
        assert_eq!(out, vec![0b1000_0000, 0b0100_0000, 0, 0b1000_0000]);
    }

    #[test]
    fn bayer_dither_density_tracks_grey_level() {
        let size = Size::new(64, 64).unwrap();
        for level in [0u8, 64, 128, 192, 255] {
            let mut f = Frame::new(size);
            f.fill(Rgba::rgb(level, level, level));
            let mut out = vec![0; mono_len(f.view())];
            to_mono(f.view(), MonoMode::Bayer8, &mut out);
            let lit: u32 = out.iter().map(|b| b.count_ones()).sum();
            let expected = u32::from(level) * 4096 / 255;
            assert!(lit.abs_diff(expected) <= 4096 / 64 + 1, "level {level}: {lit} lit, ~{expected}");
        }
    }

    #[test]
    fn quantize_mono_agrees_with_the_packed_form() {
        let size = Size::new(19, 9).unwrap();
        let mut f = Frame::new(size);
        for (i, p) in f.pixels_mut().iter_mut().enumerate() {
            let v = (i * 37 % 256) as u8;
            *p = Rgba::new(v, v.wrapping_mul(3), 255 - v, (i % 200) as u8);
        }
        for mode in [MonoMode::Threshold(128), MonoMode::Threshold(1), MonoMode::Bayer8] {
            let mut packed = vec![0; mono_len(f.view())];
            to_mono(f.view(), mode, &mut packed);
            let mut q = f.clone();
            quantize_mono(q.pixels_mut(), 19, mode);
            for y in 0..9u32 {
                for x in 0..19u32 {
                    let bit = packed[(y * 3 + x / 8) as usize] & (0x80 >> (x % 8)) != 0;
                    let px = q.get(x, y).unwrap();
                    assert_eq!(px, if bit { Rgba::WHITE } else { Rgba::BLACK }, "{mode:?} ({x}, {y})");
                }
            }
        }
    }

    #[test]
    fn rgb888_drops_alpha() {
        let mut f = Frame::new(Size::new(2, 1).unwrap());
        f.pixels_mut()[1] = Rgba::new(1, 2, 3, 4);
        let mut out = vec![0; 6];
        to_rgb888(f.view(), &mut out);
        assert_eq!(out, [0, 0, 0, 1, 2, 3]);
    }
}
