//! Procedural scenes: pixels computed from (seed, tick).

use crate::registry::SceneInfo;

/// The procedural built-in scenes.
pub const SCENES: &[SceneInfo] = &[];
