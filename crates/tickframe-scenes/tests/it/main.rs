//! The integration tests of tickframe-scenes (one test binary, one module per area).

mod alloc;
mod assets;
mod audio;
mod common;
mod compose;
mod determinism;
mod golden;
mod live;
mod paints;
mod photo;
mod procedural;
mod scene_files;
mod transitions;
