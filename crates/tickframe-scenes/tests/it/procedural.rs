//! Integration tests: procedural.
