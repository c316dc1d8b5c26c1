//! Scene files (TOML): loading, validation and error locations.
//!
//! A scene file describes the display (`[display]` width, height, fps), the seed, and one root
//! node: a built-in scene, a stack of layers, or a playlist, nested freely. Every error names the
//! file, line and column and says what was expected; `docs/scene-files.md` describes the format.

mod loader;
mod outputs;
mod toml_tree;

pub use loader::{
    DisplayColor, MonoDisplay, Overrides, SceneFile, SceneFileError, demo_scene, load_scene_file,
    parse_scene_str,
};
pub use outputs::SceneOutput;
