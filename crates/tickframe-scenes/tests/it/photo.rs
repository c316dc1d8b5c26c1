//! Integration tests: photo slideshows and overlays.
