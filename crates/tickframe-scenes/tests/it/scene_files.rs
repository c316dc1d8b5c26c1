//! Integration tests: scene_files.
