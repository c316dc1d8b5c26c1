//! The integration tests of tickframe-scenes (one test binary, one module per area).

mod assets;
mod compose;
mod procedural;
mod scene_files;
