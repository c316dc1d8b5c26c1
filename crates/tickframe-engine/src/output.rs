//! The output API: where presented frames go.

use std::time::Instant;

use tickframe_core::{FrameRate, FrameRef, Size, Tick};

use crate::ControlRequest;

/// Facts about a run, given to an output before its first frame.
#[derive(Clone, Debug)]
pub struct RunInfo {
    /// Frame size.
    pub size: Size,
    /// Frame rate.
    pub rate: FrameRate,
    /// The seed of this output's frames: the run's seed plus the output's
    /// [`OutputOptions::seed_offset`] (wrapping).
    pub seed: u64,
    /// The scene file's path, or `<demo>`.
    pub scene: String,
    /// Frames that will be played, when known.
    pub frames: Option<u64>,
}

/// How one output of a run is played (given with it to [`Engine::run_with`](crate::Engine::run_with)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutputOptions {
    /// Added to the run's seed (wrapping: `seed.wrapping_add(seed_offset)`) for this output's
    /// frames; default 0 (the run's seed). Outputs with the same effective seed share one
    /// stream of frames, rendered once; each other seed is a stream of its own (e.g. a
    /// different photo order per monitor).
    pub seed_offset: u64,
}

impl OutputOptions {
    /// The seed this output's frames are rendered with, for a run at `seed`.
    pub fn effective_seed(&self, seed: u64) -> u64 {
        seed.wrapping_add(self.seed_offset)
    }
}

/// A frame sink driven by a presenter thread: `begin`, then `present` per frame, then `finish`.
///
/// Only `begin`, `present`, `finish` and `is_realtime` are required; the provided methods are
/// hooks an output overrides when it can do better (like a `DrawTarget`'s fast paths).
pub trait Output: Send {
    /// Prepares the output (opens files, sets up the terminal).
    ///
    /// # Errors
    /// When the output cannot be used (e.g. stdout is a terminal for raw frames).
    fn begin(&mut self, info: &RunInfo) -> anyhow::Result<()>;

    /// Presents the frame for `tick`. `Ok(false)` means stop cleanly (the user quit, the pipe
    /// closed): the whole run stops, every output. In paced runs a repeated frame is presented again under the new tick.
    ///
    /// # Errors
    /// A write that failed.
    fn present(&mut self, tick: Tick, frame: FrameRef<'_>) -> anyhow::Result<bool>;

    /// Completes the output after the last frame (only then does it look complete). Not
    /// called when the run stopped early (Ctrl-C, `Ok(false)`, an error).
    ///
    /// # Errors
    /// A write that failed.
    fn finish(&mut self, frames: u64) -> anyhow::Result<()>;

    /// Whether frames are shown at their real pace (a display) or written as fast as possible.
    fn is_realtime(&self) -> bool;

    /// The moment the last presented frame really became visible, for outputs that know it
    /// (e.g. a vsync'd window). Default `None`: the presenter uses the moment it called
    /// `present`.
    fn last_present_time(&self) -> Option<Instant> {
        None
    }

    /// A short status line (tick, timings) an output may show. Default: ignored.
    fn set_status(&mut self, _status: &str) {}

    /// XXH3-64 of the bytes the last `present` sent to the device after mapping and colour,
    /// for outputs that transform frames (LED controllers), so device output can be checked
    /// against a trace. Default `None`.
    fn last_device_hash(&self) -> Option<u64> {
        None
    }

    /// Errors that did not stop the output (lost packets, refused connections), counted by
    /// outputs that talk to devices over a network. Default 0.
    fn send_errors(&self) -> u64 {
        0
    }

    /// A request from the user of an interactive output (a key press in a window: pause, next or
    /// previous playlist entry, quit), polled by the presenter once per frame after `present`
    /// (it is called again while it returns `Some`, up to 8 times per frame). The engine applies
    /// it to the whole run through its [`EngineControl`](crate::EngineControl). Default `None`.
    fn poll_control(&mut self) -> Option<ControlRequest> {
        None
    }

    /// The output's name in reports and logs. Default `"output"`.
    fn name(&self) -> &str {
        "output"
    }
}

/// Drops every frame (for measuring and soak runs). Not real-time by itself; the engine paces
/// it when asked.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullOutput;

impl Output for NullOutput {
    fn begin(&mut self, _info: &RunInfo) -> anyhow::Result<()> {
        Ok(())
    }

    fn present(&mut self, _tick: Tick, _frame: FrameRef<'_>) -> anyhow::Result<bool> {
        Ok(true)
    }

    fn finish(&mut self, _frames: u64) -> anyhow::Result<()> {
        Ok(())
    }

    fn is_realtime(&self) -> bool {
        false
    }

    fn name(&self) -> &str {
        "null"
    }
}
