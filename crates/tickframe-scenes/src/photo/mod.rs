//! Photo slideshows and overlays (clock, caption).

use crate::registry::SceneInfo;

/// The photo and overlay built-in scenes.
pub const SCENES: &[SceneInfo] = &[];
