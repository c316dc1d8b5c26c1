//! tickframe's scenes: the built-in scenes, composition (layers, playlists, transitions), and
//! scene files.
//!
//! Every scene here keeps the one rule of [`tickframe_core::Scene`]: a frame is a pure function
//! of (scene description, seed, tick).

pub mod assets;
pub mod audio;
pub mod compose;
pub mod file;
pub mod params;
pub mod photo;
pub mod procedural;
pub mod registry;

pub use compose::{
    Direction, Easing, Layer, Layers, Playlist, PlaylistEntry, PlaylistError, PlaylistPosition, Transition,
    TransitionKind, TransitionPosition,
};
pub use file::{
    DisplayColor, Overrides, SceneFile, SceneFileError, demo_scene, load_scene_file, parse_scene_str,
};
pub use params::{BuildError, Location, Params, Spanned, Value};
pub use registry::{BuildContext, ParamDoc, SceneInfo, build_scene, builtin_scenes, find_scene};
