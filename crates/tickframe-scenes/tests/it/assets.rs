//! Integration tests: assets.
