//! The audio spectrum visualizer.

use crate::registry::SceneInfo;

/// The audio built-in scenes.
pub const SCENES: &[SceneInfo] = &[];
