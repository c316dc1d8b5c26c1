//! Scene files (TOML): loading, validation and error locations.
