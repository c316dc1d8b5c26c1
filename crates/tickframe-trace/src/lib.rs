//! Deterministic traces (issue 4): exports with a hashed index, verification, replay support,
//! diff, retention (prune), shard merging and FSEQ export.
//!
//! A **trace** is a folder holding:
//! - `index.json` ([`TraceIndex`]): what was rendered (scene hash, seed, size, rate, ticks) and one
//!   record per frame with its XXH3-128 hash; written **last**, atomically. A folder without a
//!   complete `index.json` is not a trace.
//! - `scene.toml`: a copy of the scene file, so the trace can be re-rendered.
//! - `trace.gif`, `trace.apng`, `frames.tfs` (the frame store, see [`store`]) and optionally
//!   `trace.fseq` ([`fseq`]).
//!
//! # Determinism
//! Every file and every hash is a pure function of (scene file text, seed, size, rate, tick
//! range): the worker count, the build profile and the machine do not change a byte, except the
//! per-frame render times and the tickframe version recorded in the index, which the digest does
//! not cover. See `docs/traces.md` and `docs/formats.md`.
//!
//! The parallel renderer here ([`pool`]) is small and internal on purpose; it can move onto the
//! engine crate's worker pool once that exists.

mod error;
mod export;
pub mod fseq;
mod gifenc;
mod index;
mod merge;
pub mod pool;
mod prune;
pub mod quant;
pub mod store;
mod timing;
mod verify;

pub use error::TraceError;
pub use export::{ExportOptions, ExportSummary, Formats, export_scene};
pub use index::{
    FORMAT_VERSION, FileInfo, FrameRecord, INDEX_FILE, Rate, SceneInfo, TraceClock, TraceIndex, digest_of,
    hex128, parse_hex128, read_index,
};
pub use merge::merge_traces;
pub use prune::{PruneAction, PrunePolicy, TraceEntry, parse_age, prune};
pub use timing::{apng_delays, gif_centis_at};
pub use verify::{
    Mismatch, VerifyOptions, VerifyReport, diff_traces, load_trace_scene, verify, write_diff_png,
};

/// The file names inside a trace folder.
pub mod names {
    /// The index (written last).
    pub const INDEX: &str = "index.json";
    /// The copy of the scene file.
    pub const SCENE: &str = "scene.toml";
    /// The looping GIF.
    pub const GIF: &str = "trace.gif";
    /// The lossless animated PNG.
    pub const APNG: &str = "trace.apng";
    /// The frame store.
    pub const STORE: &str = "frames.tfs";
    /// The FSEQ v2 sequence (only with `--format fseq`).
    pub const FSEQ: &str = "trace.fseq";
}

/// XXH3-128 of RGBA bytes: the per-frame hash of traces (same as `tickframe_core::frame_hash`).
pub fn hash_rgba(bytes: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128(bytes)
}
