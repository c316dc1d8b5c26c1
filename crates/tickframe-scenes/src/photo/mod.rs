//! Photo slideshows and overlays (clock, caption).
//!
//! | scene | shows |
//! | --- | --- |
//! | `slideshow` | photos from a folder with transitions (twelve kinds), an optional caption (file name or EXIF date); decoding and scaling run ahead on background threads into a byte-bounded cache |
//! | `clock` | the time of day (24 h or 12 h, seconds optional, date optional) counted from a start time given in the scene, never the wall clock |
//!
//! `docs/slideshow.md` describes both, with the transition syntax.

pub(crate) mod cache;
pub(crate) mod clock;
mod jpeg_check;
mod prepare;
mod schedule;
mod slideshow;
mod source;

pub use cache::CacheStats;
pub use clock::{ClockStart, ClockStartError, InstantError, UtcOffset};
pub use prepare::{
    Background, FitMode, PhotoError, PhotoScratch, PrepareOptions, ResizeFilter, prepare_photo,
    prepare_photo_bytes, prepare_photo_bytes_with, prepare_verified_photo_bytes_with,
};
pub use slideshow::{PhotoAddition, PhotoRescan, Slideshow};

use tickframe_core::{Font, fonts};

use crate::registry::SceneInfo;

/// The photo and overlay built-in scenes.
pub const SCENES: &[SceneInfo] = &[slideshow::INFO, clock::INFO];

/// The bundled fonts by name.
const FONT_NAMES: &[&str] = &["4x6", "5x7", "5x8", "6x10", "6x13", "7x13", "8x13", "9x15", "10x20"];

fn font_named(name: &str) -> &'static Font {
    match name {
        "4x6" => &fonts::FONT_4X6,
        "5x7" => &fonts::FONT_5X7,
        "5x8" => &fonts::FONT_5X8,
        "6x10" => &fonts::FONT_6X10,
        "6x13" => &fonts::FONT_6X13,
        "7x13" => &fonts::FONT_7X13,
        "8x13" => &fonts::FONT_8X13,
        "9x15" => &fonts::FONT_9X15,
        _ => &fonts::FONT_10X20,
    }
}

/// The nine anchor positions, as written in scene files.
const ANCHORS: &[&str] =
    &["top-left", "top", "top-right", "left", "center", "right", "bottom-left", "bottom", "bottom-right"];

/// The top-left corner of a `w × h` box placed at `anchor` on a `width × height` display,
/// `margin` px from the edges it is anchored to. Centring rounds toward the top-left.
fn anchored(anchor: &str, width: u32, height: u32, w: u32, h: u32, margin: u32) -> (i32, i32) {
    let (width, height, w, h, m) =
        (i64::from(width), i64::from(height), i64::from(w), i64::from(h), i64::from(margin));
    let x = if anchor.ends_with("left") {
        m
    } else if anchor.ends_with("right") {
        width - w - m
    } else {
        (width - w).div_euclid(2)
    };
    let y = if anchor.starts_with("top") {
        m
    } else if anchor.starts_with("bottom") {
        height - h - m
    } else {
        (height - h).div_euclid(2)
    };
    (x.clamp(-(1 << 30), 1 << 30) as i32, y.clamp(-(1 << 30), 1 << 30) as i32)
}
