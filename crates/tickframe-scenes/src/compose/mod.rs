//! Composition: layers, playlists, transitions and easing.
