//! Helpers shared by the CLI tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tickframe_core::{Frame, Size};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tickframe"))
}

pub fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).current_dir(repo()).output().expect("run tickframe")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh empty folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tickframe-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn decode_png(path: &Path) -> Frame {
    let img = image::open(path).unwrap_or_else(|e| panic!("decoding {}: {e}", path.display())).to_rgba8();
    let size = Size::new(img.width(), img.height()).unwrap();
    Frame::from_rgba_bytes(size, img.as_raw()).unwrap()
}
