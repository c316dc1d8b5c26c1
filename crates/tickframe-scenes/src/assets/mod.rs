//! Scenes drawn from assets and fonts: spritesheets, still images, text.
//!
//! Every asset is read, decoded and scaled once, while the scene is built; rendering only blits
//! the prepared, shared [`Frame`](tickframe_core::Frame)s or draws bundled-font glyphs, and
//! allocates nothing.
//!
//! | scene | shows |
//! | --- | --- |
//! | `spritesheet` | an Aseprite JSON export (hash or array form), timed by its frame durations |
//! | `image` | a PNG or JPEG still, scaled to the display (fit, fill or stretch) |
//! | `text` | static or scrolling text in a bundled bitmap font |

mod aseprite;
mod image;
mod spritesheet;
mod text;

use std::io::Cursor;
use std::path::Path;

use ::image::{DynamicImage, ImageDecoder, ImageReader};
use tickframe_core::{Rgba, Timebase};

use crate::params::{BuildError, Location, Params, Value};
use crate::registry::SceneInfo;

/// The asset-based built-in scenes.
pub const SCENES: &[SceneInfo] = &[spritesheet::INFO, image::INFO, text::INFO];

/// Reads and decodes a PNG or JPEG (format from its content, EXIF orientation applied).
fn decode_image(path: &Path, at: Option<Location>, scene: &str) -> Result<DynamicImage, BuildError> {
    let bytes = std::fs::read(path)
        .map_err(|e| BuildError::new(at, format!("{scene}: cannot read image `{}`: {e}", path.display())))?;
    let bad = |e: &dyn std::fmt::Display| {
        BuildError::new(at, format!("{scene}: cannot decode image `{}`: {e}", path.display()))
    };
    let reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| bad(&e))?;
    if reader.format().is_none() {
        return Err(bad(&"not a PNG or JPEG file"));
    }
    let mut decoder = reader.into_decoder().map_err(|e| bad(&e))?;
    let orientation = decoder.orientation().map_err(|e| bad(&e))?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| bad(&e))?;
    img.apply_orientation(orientation);
    Ok(img)
}

/// An optional colour parameter: `None` when absent (still a known parameter, so typos of it
/// are suggested and it is listed among the known ones).
fn opt_color(params: &mut Params, key: &'static str) -> Result<Option<Rgba>, BuildError> {
    if params.keys().contains(&key) {
        params.color(key, Rgba::BLACK).map(Some)
    } else {
        let _ = params.take(key);
        Ok(None)
    }
}

/// The nine anchor positions, as written in scene files.
const ANCHORS: &[&str] =
    &["top-left", "top", "top-right", "left", "center", "right", "bottom-left", "bottom", "bottom-right"];

/// Where a `w × h` box goes on a `width × height` display for `anchor` (one of [`ANCHORS`]):
/// its top-left corner. Centring rounds down (toward the top-left).
fn anchored(anchor: &str, width: u32, height: u32, w: u32, h: u32) -> (i64, i64) {
    let free_x = i64::from(width) - i64::from(w);
    let free_y = i64::from(height) - i64::from(h);
    let x = if anchor.ends_with("left") {
        0
    } else if anchor.ends_with("right") {
        free_x
    } else {
        free_x.div_euclid(2)
    };
    let y = if anchor.starts_with("top") {
        0
    } else if anchor.starts_with("bottom") {
        free_y
    } else {
        free_y.div_euclid(2)
    };
    (x, y)
}

/// How a value was written, for messages.
fn describe(value: &Value) -> String {
    match value {
        Value::Str(s) => format!("the string \"{s}\""),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        other => other.type_name().to_string(),
    }
}

/// A speed multiplier or rate as an integer number of millionths (exact from then on).
fn micros_of(x: f64) -> u128 {
    (x * 1e6).round().max(0.0) as u128
}

/// `floor(seconds(tick) × rate_micros / 10⁶ × scale)`, computed exactly in integers:
/// `tick · den · rate_micros · scale / (num · 10⁶)`, saturating at absurd ticks.
fn scaled_time(timebase: Timebase, tick: u64, rate_micros: u128, scale: u128) -> u128 {
    let rate = timebase.rate();
    u128::from(tick).saturating_mul(u128::from(rate.den())).saturating_mul(rate_micros).saturating_mul(scale)
        / (u128::from(rate.num()) * 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickframe_core::FrameRate;

    #[test]
    fn anchors() {
        assert_eq!(anchored("top-left", 10, 8, 4, 4), (0, 0));
        assert_eq!(anchored("center", 10, 8, 4, 4), (3, 2));
        assert_eq!(anchored("bottom-right", 10, 8, 4, 4), (6, 4));
        assert_eq!(anchored("top", 10, 8, 5, 4), (2, 0));
        assert_eq!(anchored("left", 10, 8, 4, 5), (0, 1));
        assert_eq!(anchored("center", 4, 4, 7, 7), (-2, -2));
    }

    #[test]
    fn exact_scaled_time() {
        let tb = Timebase::new(FrameRate::whole(60).unwrap());
        // 60 px/s at 60 fps: one pixel a tick.
        for t in 0..200 {
            assert_eq!(scaled_time(tb, t, micros_of(60.0), 1), u128::from(t));
        }
        // Milliseconds at speed 1: tick 3 is exactly 50 ms.
        assert_eq!(scaled_time(tb, 3, micros_of(1.0), 1000), 50);
        let ntsc = Timebase::new(FrameRate::new(30000, 1001).unwrap());
        assert_eq!(scaled_time(ntsc, 30_000, micros_of(1.0), 1), 1001);
    }
}
