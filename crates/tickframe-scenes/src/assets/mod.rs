//! Scenes drawn from assets and fonts: spritesheets, still images, text.

use crate::registry::SceneInfo;

/// The asset-based built-in scenes.
pub const SCENES: &[SceneInfo] = &[];
