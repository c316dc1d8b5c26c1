//! The integration tests of tickframe-scenes (one test binary, one module per area).

mod alloc;
mod assets;
mod common;
mod compose;
mod determinism;
mod golden;
mod procedural;
mod scene_files;
