//! Where played frames go. The engine issue replaces this minimal trait with the full output
//! API (presenter threads, reported present times); the outputs keep their behaviour.

mod files;

use std::path::PathBuf;

use tickframe_core::{FrameRate, FrameRef, Size, Tick};

pub use files::{NullOutput, PngDirOutput, RawOutput, encode_png, write_atomically};

/// Facts about a run, given to an output before its first frame.
#[derive(Clone, Debug)]
pub struct RunInfo {
    /// Frame size.
    pub size: Size,
    /// Frame rate.
    pub rate: FrameRate,
    /// The run's seed.
    pub seed: u64,
    /// The scene file's path, or `<demo>`.
    pub scene: String,
    /// Frames that will be played, when known.
    pub frames: Option<u64>,
}

/// A frame sink: `begin`, then `present` per frame, then `finish`.
pub trait Output {
    /// Prepares the output (opens files, sets up the terminal).
    ///
    /// # Errors
    /// When the output cannot be used (e.g. stdout is a terminal for raw frames).
    fn begin(&mut self, info: &RunInfo) -> anyhow::Result<()>;

    /// Presents the frame for `tick`. `Ok(false)` means stop cleanly (the user quit, the pipe
    /// closed).
    ///
    /// # Errors
    /// A write that failed.
    fn present(&mut self, tick: Tick, frame: FrameRef<'_>) -> anyhow::Result<bool>;

    /// Completes the output after the last frame (only then does it look complete).
    ///
    /// # Errors
    /// A write that failed.
    fn finish(&mut self, frames: u64) -> anyhow::Result<()>;

    /// Whether frames are shown at their real pace (a display) or written as fast as possible.
    fn is_realtime(&self) -> bool;
}

/// An output chosen by `--out`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputSpec {
    /// The true-colour half-block terminal preview.
    Terminal,
    /// Numbered PNG files in a folder.
    PngDir(PathBuf),
    /// RGBA frames to stdout.
    Raw,
    /// Rendered and dropped.
    Null,
}

impl OutputSpec {
    /// Parses `terminal`, `png-dir:DIR`, `raw` or `null`.
    ///
    /// # Errors
    /// A message listing the accepted forms.
    pub fn parse(text: &str) -> Result<OutputSpec, String> {
        match text {
            "terminal" => Ok(OutputSpec::Terminal),
            "raw" => Ok(OutputSpec::Raw),
            "null" => Ok(OutputSpec::Null),
            _ => match text.strip_prefix("png-dir:") {
                Some(dir) if !dir.is_empty() => Ok(OutputSpec::PngDir(PathBuf::from(dir))),
                _ => Err(format!(
                    "unknown output `{text}`: expected `terminal`, `png-dir:DIR`, `raw` or `null`"
                )),
            },
        }
    }
}
