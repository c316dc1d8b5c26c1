//! The RGBA8 pixel and integer colour arithmetic.

use bytemuck::{Pod, Zeroable};

/// One straight-alpha (not premultiplied) RGBA pixel, 8 bits per channel.
///
/// `#[repr(C)]` over four bytes, so a `&[Rgba]` can be viewed as `&[u8]` in R, G, B, A order
/// (see [`crate::FrameRef::as_bytes`]).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Pod, Zeroable)]
pub struct Rgba {
    /// Red, 0..=255.
    pub r: u8,
    /// Green, 0..=255.
    pub g: u8,
    /// Blue, 0..=255.
    pub b: u8,
    /// Alpha, 0 (transparent) ..= 255 (opaque).
    pub a: u8,
}

impl Rgba {
    /// Opaque black.
    pub const BLACK: Rgba = Rgba::rgb(0, 0, 0);
    /// Opaque white.
    pub const WHITE: Rgba = Rgba::rgb(255, 255, 255);
    /// Fully transparent black.
    pub const TRANSPARENT: Rgba = Rgba::new(0, 0, 0, 0);

    /// A pixel from its four channels.
    pub const fn new(r: u8, g: u8, b: u8, a: u8) -> Rgba {
        Rgba { r, g, b, a }
    }

    /// An opaque pixel.
    pub const fn rgb(r: u8, g: u8, b: u8) -> Rgba {
        Rgba { r, g, b, a: 255 }
    }

    /// The same colour with another alpha.
    #[must_use]
    pub const fn with_alpha(self, a: u8) -> Rgba {
        Rgba { a, ..self }
    }

    /// Parses `#rrggbb`, `#rrggbbaa`, `rrggbb` or `rrggbbaa` (hex digits, either case).
    ///
    /// # Errors
    /// `None` when the text is not one of those forms.
    pub fn parse_hex(text: &str) -> Option<Rgba> {
        let hex = text.strip_prefix('#').unwrap_or(text);
        if !(hex.len() == 6 || hex.len() == 8) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        let a = if hex.len() == 8 { byte(6)? } else { 255 };
        Some(Rgba::new(byte(0)?, byte(2)?, byte(4)?, a))
    }

    /// Integer luma (BT.601 weights 77/150/29 of 256), 0..=255. Alpha is ignored.
    #[inline]
    pub const fn luma(self) -> u8 {
        ((77 * self.r as u32 + 150 * self.g as u32 + 29 * self.b as u32 + 128) >> 8) as u8
    }

    /// Draws `self` over `dst` with source-over compositing of straight (not premultiplied)
    /// alpha, scaled by `opacity` (0..=255).
    ///
    /// Exact integer arithmetic, so the result is the same on every machine. With `a` the
    /// effective source alpha: onto an opaque destination `out = src·a + dst·(1−a)` (each product
    /// rounded by [`mul255`]); onto a transparent one the source colour is kept with alpha `a`;
    /// otherwise `out.a = a + dst.a·(1−a)` and `out = (src·a + dst·dst.a·(1−a)) / out.a`, rounded
    /// to nearest.
    #[inline]
    #[must_use]
    pub fn over(self, dst: Rgba, opacity: u8) -> Rgba {
        let a = mul255(self.a as u32, opacity as u32);
        if a == 255 {
            return self.with_alpha(255);
        }
        if a == 0 {
            return dst;
        }
        let inv = 255 - a;
        if dst.a == 255 {
            return Rgba {
                r: (mul255(self.r as u32, a) + mul255(dst.r as u32, inv)) as u8,
                g: (mul255(self.g as u32, a) + mul255(dst.g as u32, inv)) as u8,
                b: (mul255(self.b as u32, a) + mul255(dst.b as u32, inv)) as u8,
                a: 255,
            };
        }
        if dst.a == 0 {
            return self.with_alpha(a as u8);
        }
        let da = dst.a as u32;
        // Alpha scaled by 255: a·255 + da·(255 − a), in 1..=65025.
        let den = a * 255 + da * inv;
        let mix = |s: u8, d: u8| ((s as u32 * a * 255 + d as u32 * da * inv + den / 2) / den) as u8;
        Rgba {
            r: mix(self.r, dst.r),
            g: mix(self.g, dst.g),
            b: mix(self.b, dst.b),
            a: ((den + 127) / 255) as u8,
        }
    }

    /// Linear interpolation between `self` (t = 0) and `other` (t = 255), channel by channel,
    /// rounded to nearest.
    #[inline]
    #[must_use]
    pub fn lerp(self, other: Rgba, t: u8) -> Rgba {
        let t = t as u32;
        let inv = 255 - t;
        let mix = |a: u8, b: u8| (mul255(a as u32, inv) + mul255(b as u32, t)) as u8;
        Rgba {
            r: mix(self.r, other.r),
            g: mix(self.g, other.g),
            b: mix(self.b, other.b),
            a: mix(self.a, other.a),
        }
    }
}

/// `a·b/255` rounded to nearest, for `a, b` in 0..=255. Exact for every input pair.
#[inline]
pub const fn mul255(a: u32, b: u32) -> u32 {
    let t = a * b + 128;
    (t + (t >> 8)) >> 8
}

impl From<embedded_graphics::pixelcolor::Rgb888> for Rgba {
    fn from(c: embedded_graphics::pixelcolor::Rgb888) -> Rgba {
        use embedded_graphics::pixelcolor::RgbColor;
        Rgba::rgb(c.r(), c.g(), c.b())
    }
}

impl From<Rgba> for embedded_graphics::pixelcolor::Rgb888 {
    fn from(c: Rgba) -> Self {
        embedded_graphics::pixelcolor::Rgb888::new(c.r, c.g, c.b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mul255_is_exact_rounding() {
        for a in 0..=255u32 {
            for b in 0..=255u32 {
                let exact = ((a * b) as f64 / 255.0).round() as u32;
                assert_eq!(mul255(a, b), exact, "{a}*{b}");
            }
        }
    }

    #[test]
    fn over_extremes() {
        let red = Rgba::rgb(255, 0, 0);
        let blue = Rgba::rgb(0, 0, 255);
        assert_eq!(red.over(blue, 255), red);
        assert_eq!(red.over(blue, 0), blue);
        assert_eq!(red.with_alpha(0).over(blue, 255), blue);
        assert_eq!(red.over(blue, 128), Rgba::rgb(128, 0, 127));
    }

    #[test]
    fn over_keeps_straight_alpha_on_transparent_and_translucent_destinations() {
        let dot = Rgba::new(250, 100, 0, 200);
        // Onto transparent: the colour stays, only alpha is set (no premultiplication).
        assert_eq!(dot.over(Rgba::TRANSPARENT, 255), dot);
        // Then composited onto opaque black it matches drawing onto black directly.
        let black = Rgba::BLACK;
        assert_eq!(dot.over(Rgba::TRANSPARENT, 255).over(black, 255), dot.over(black, 255));
        // Translucent onto translucent: alpha adds up, colour is the alpha-weighted mean.
        let out = Rgba::new(200, 0, 0, 128).over(Rgba::new(0, 0, 200, 128), 255);
        assert_eq!(out.a, 192);
        assert_eq!((out.r, out.b), (134, 66)); // 200·(128·255)/48896 and 200·(128·127)/48896, rounded
    }

    #[test]
    fn parse_hex_forms() {
        assert_eq!(Rgba::parse_hex("#ff8000"), Some(Rgba::rgb(255, 128, 0)));
        assert_eq!(Rgba::parse_hex("FF800080"), Some(Rgba::new(255, 128, 0, 128)));
        assert_eq!(Rgba::parse_hex("#ff80"), None);
        assert_eq!(Rgba::parse_hex("#gg0000"), None);
    }
}
