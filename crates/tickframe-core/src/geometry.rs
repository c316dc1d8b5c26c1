//! Sizes and rectangles in pixels.

use std::fmt;

/// The largest width or height tickframe accepts, in pixels.
pub const MAX_DIMENSION: u32 = 16_384;

/// A frame size in pixels: both sides in `1..=`[`MAX_DIMENSION`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Size {
    width: u32,
    height: u32,
}

/// A width or height outside `1..=`[`MAX_DIMENSION`].
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
#[error("frame size {width}x{height} is out of range: each side must be 1..={MAX_DIMENSION} pixels")]
pub struct SizeError {
    /// The width asked for.
    pub width: u32,
    /// The height asked for.
    pub height: u32,
}

impl Size {
    /// A size, checked.
    ///
    /// # Errors
    /// [`SizeError`] when a side is 0 or above [`MAX_DIMENSION`].
    pub const fn new(width: u32, height: u32) -> Result<Size, SizeError> {
        if width == 0 || height == 0 || width > MAX_DIMENSION || height > MAX_DIMENSION {
            Err(SizeError { width, height })
        } else {
            Ok(Size { width, height })
        }
    }

    /// Width in pixels.
    pub const fn width(self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub const fn height(self) -> u32 {
        self.height
    }

    /// Number of pixels, `width × height`.
    pub const fn area(self) -> usize {
        self.width as usize * self.height as usize
    }

    /// Parses `WxH` (also `W×H`), e.g. `256x64`.
    ///
    /// # Errors
    /// A message saying what was expected.
    pub fn parse(text: &str) -> Result<Size, String> {
        let (w, h) = text
            .split_once(['x', 'X', '×'])
            .ok_or_else(|| format!("expected a size like 256x64, found `{text}`"))?;
        let w: u32 = w.trim().parse().map_err(|_| format!("expected a whole width in `{text}`"))?;
        let h: u32 = h.trim().parse().map_err(|_| format!("expected a whole height in `{text}`"))?;
        Size::new(w, h).map_err(|e| e.to_string())
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

/// An axis-aligned rectangle: top-left corner (may be negative) and size (may be empty).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct Rect {
    /// Left edge, in pixels.
    pub x: i32,
    /// Top edge, in pixels.
    pub y: i32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl Rect {
    /// A rectangle from its corner and size.
    pub const fn new(x: i32, y: i32, width: u32, height: u32) -> Rect {
        Rect { x, y, width, height }
    }

    /// The part of `self` inside `0..width × 0..height`, as `(x0, y0, x1, y1)` half-open
    /// pixel bounds; `None` when nothing is inside.
    pub fn clip(self, width: u32, height: u32) -> Option<(usize, usize, usize, usize)> {
        let x0 = i64::from(self.x).max(0);
        let y0 = i64::from(self.y).max(0);
        let x1 = (i64::from(self.x) + i64::from(self.width)).min(i64::from(width));
        let y1 = (i64::from(self.y) + i64::from(self.height)).min(i64::from(height));
        (x0 < x1 && y0 < y1).then_some((x0 as usize, y0 as usize, x1 as usize, y1 as usize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_bounds() {
        assert!(Size::new(0, 5).is_err());
        assert!(Size::new(16_385, 5).is_err());
        assert!(Size::new(16_384, 1).is_ok());
        assert_eq!(Size::parse("256x64").unwrap().area(), 256 * 64);
        assert!(Size::parse("256").is_err());
    }

    #[test]
    fn rect_clip() {
        assert_eq!(Rect::new(-2, -2, 4, 4).clip(10, 10), Some((0, 0, 2, 2)));
        assert_eq!(Rect::new(8, 8, 4, 4).clip(10, 10), Some((8, 8, 10, 10)));
        assert_eq!(Rect::new(10, 0, 4, 4).clip(10, 10), None);
        assert_eq!(Rect::new(0, 0, 0, 4).clip(10, 10), None);
    }
}
