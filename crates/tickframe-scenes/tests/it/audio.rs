//! Integration tests: the audio visualizer.
