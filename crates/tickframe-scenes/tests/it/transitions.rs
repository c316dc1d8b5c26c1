//! Integration tests: the slideshow transitions (beyond crossfade, wipe, slide, dissolve).
