//! The audio visualizer: the `visualizer` scene and what it is made of.
//!
//! - [`decode`]: an audio file (WAV, FLAC, MP3, Ogg Vorbis, through symphonia) to mono samples,
//!   once, while building;
//! - [`fft`]: a deterministic real FFT (radix-2, twiddles from `libm`);
//! - [`analysis`]: Hann window, log-spaced bands, gain, attack/decay smoothing and peak markers,
//!   each row a function of a fixed window of past audio, cached per ~10 ms hop in a table;
//! - [`live`]: live input (`source = "live"`: a lock-free sample ring, the same analysis on a
//!   thread, per-tick latching; capture through cpal with the `live-audio` feature) and
//!   replaying a frame log's bands (`source = "log"`);
//! - [`visualizer`]: the scene, which looks up the row under each tick and draws it;
//! - [`playback`]: the clip cut at tick boundaries for `play --play-audio` (the device part
//!   behind the `audio-out` feature);
//! - [`wav`]: a 16-bit WAV writer and the synthesised demo clip, for tests and examples.
//!
//! See `docs/visualizer.md` for the parameters, timing and determinism.

pub mod analysis;
pub mod decode;
pub mod fft;
pub mod live;
pub mod playback;
pub mod visualizer;
pub mod wav;

pub use analysis::{AnalysisSettings, DirectScratch, Gain, Spectrogram, StreamAnalysis};
pub use decode::{Clip, DecodeError, decode_file};
pub use fft::{FftScratch, RealFft};
pub use live::{BandFeed, BandRow, LiveInput, LoggedBands};
pub use playback::{PlaybackDevice, TickedAudio};
pub use visualizer::{ColorBy, Layout, Look, Mode, Style, Visualizer};

use crate::registry::SceneInfo;

/// The audio built-in scenes.
pub const SCENES: &[SceneInfo] = &[visualizer::INFO];
