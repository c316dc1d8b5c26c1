//! `index.json`: what a trace holds, one record per frame, and the digest over all frame hashes.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::TraceError;

/// The index file's name.
pub const INDEX_FILE: &str = "index.json";

/// The index format version written by this library (readers refuse other versions).
pub const FORMAT_VERSION: u32 = 1;

/// Most frames one trace may hold: 2^24 (77 hours at 60 fps). Exports refuse longer ranges
/// and readers refuse indexes claiming more.
pub const MAX_FRAMES: u64 = 1 << 24;

/// A frame rate as a fraction `num / den` frames per second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    /// Frames.
    pub num: u32,
    /// Seconds.
    pub den: u32,
}

/// Where the scene came from and how to find its assets again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SceneInfo {
    /// The copy of the scene file inside the trace folder (`scene.toml`).
    pub file: String,
    /// The scene file's path when the trace was made (absolute when it could be resolved), or
    /// `None` for the built-in demo.
    pub original_path: Option<String>,
    /// The folder relative asset paths were resolved against (the original file's folder,
    /// absolute when it could be resolved). `verify` uses it unless told otherwise.
    pub asset_dir: String,
    /// XXH3-128 of the scene file's bytes, 32 hex digits.
    pub source_hash: String,
}

/// One exported file: its name inside the trace and its size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    /// File name inside the trace folder.
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Frames in the file (GIF: after merging identical frames; FSEQ: at its step time).
    pub frames: u64,
    /// FSEQ only: the step time in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_ms: Option<u32>,
}

/// The exported files (absent ones were not requested).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Files {
    /// `trace.gif`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gif: Option<FileInfo>,
    /// `trace.apng`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apng: Option<FileInfo>,
    /// `frames.tfs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<FileInfo>,
    /// `trace.fseq`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fseq: Option<FileInfo>,
}

/// One rendered frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameRecord {
    /// The tick (absolute frame index of the run).
    pub tick: u64,
    /// Exact start time in seconds, as an unreduced fraction `"tick·den/num"`, e.g. `"1/60"`.
    pub time: String,
    /// XXH3-128 of the frame's raw RGBA bytes, 32 hex digits.
    pub hash: String,
    /// Render time of this frame in microseconds (informative: not covered by the digest).
    pub render_us: u64,
    /// The GIF frame showing this tick (0-based), or `None` when the tick lasts 0 cs in the GIF
    /// (only above 100 fps) or no GIF was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gif_frame: Option<u64>,
    /// The delay, in centiseconds, of the GIF frame this tick starts; 0 when the tick was merged
    /// into the previous GIF frame (identical pixels) or is not shown.
    #[serde(default)]
    pub gif_delay_cs: u32,
    /// `true` when this tick's pixels equal the previous tick's and it was merged into its GIF
    /// frame by lengthening that frame's delay.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gif_merged: bool,
    /// XXH3-128 of the RGBA of the GIF frame showing this tick, as decoded (after colour
    /// reduction; alpha 255).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gif_hash: Option<String>,
    /// The active playlist entry (0-based; the outgoing one during a transition), or `None` when
    /// the root scene is not a playlist.
    pub entry: Option<u32>,
}

/// A clock start given on the command line (`tickframe trace --clock …`), recorded in the index.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TraceClock {
    /// What clock overlays show at tick 0: seconds since 1970-01-01 00:00:00 of the shown
    /// (zone-less) time. This is what `verify` renders with.
    pub start_civil_seconds: i64,
    /// The same instant in seconds since 1970-01-01 00:00:00 UTC.
    pub start_unix_seconds: i64,
    /// The UTC offset it is shown at, `+HH:MM` or `-HH:MM`.
    pub utc_offset: String,
    /// The options that render exactly this start again, e.g. `--clock 1764787200 --utc-offset +01:00`.
    pub replay: String,
}

/// The whole index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceIndex {
    /// Always `"tickframe-trace"`.
    pub format: String,
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The tickframe version that wrote it.
    pub tickframe_version: String,
    /// The scene.
    pub scene: SceneInfo,
    /// The run's seed.
    pub seed: u64,
    /// The start of the scene's clock overlays when `trace --clock` set it (absent otherwise:
    /// the scene file's own start), so `verify` renders the same times of day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<TraceClock>,
    /// Frame width in pixels.
    pub width: u32,
    /// Frame height in pixels.
    pub height: u32,
    /// Frame rate.
    pub rate: Rate,
    /// The first tick recorded.
    pub first_tick: u64,
    /// Number of frames (ticks `first_tick .. first_tick + frame_count`).
    pub frame_count: u64,
    /// Exact duration in seconds, `"frame_count·den/num"` unreduced.
    pub duration: String,
    /// The hash algorithm of every hash here: `"xxh3-128"`.
    pub hash_algorithm: String,
    /// [`digest_of`] over the frame records, 32 hex digits.
    pub digest: String,
    /// GIF frames merged into their predecessor because their pixels were identical.
    pub gif_merged_frames: u64,
    /// The exported files.
    pub files: Files,
    /// One record per frame, in tick order.
    pub frames: Vec<FrameRecord>,
}

/// 32 lowercase hex digits.
pub fn hex128(v: u128) -> String {
    format!("{v:032x}")
}

/// Parses 32 hex digits.
pub fn parse_hex128(s: &str) -> Option<u128> {
    (s.len() == 32).then(|| u128::from_str_radix(s, 16).ok()).flatten()
}

/// The digest of a run: XXH3-128 over, for each frame in tick order, the tick (u64
/// little-endian) followed by its hash (u128 little-endian).
///
/// # Determinism
/// Depends only on ticks and frame hashes, so a merged set of shards has the digest of a single
/// export of the whole range.
pub fn digest_of(frames: impl IntoIterator<Item = (u64, u128)>) -> u128 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for (tick, hash) in frames {
        h.update(&tick.to_le_bytes());
        h.update(&hash.to_le_bytes());
    }
    h.digest128()
}

impl TraceIndex {
    /// The frame hashes as numbers, checking each record.
    ///
    /// # Errors
    /// [`TraceError::Corrupt`] naming the first bad record.
    pub fn hashes(&self) -> Result<Vec<u128>, TraceError> {
        self.frames
            .iter()
            .map(|r| {
                parse_hex128(&r.hash)
                    .ok_or_else(|| TraceError::corrupt(INDEX_FILE, Some(r.tick), "hash is not 32 hex digits"))
            })
            .collect()
    }

    /// Checks that the index is consistent with itself before anything relies on it: format and
    /// version, a valid frame rate and size, `frame_count` equal to the number of records and at
    /// most [`MAX_FRAMES`], ticks contiguous from `first_tick` without overflowing, exact times
    /// and duration, well-formed hashes and digest, GIF frame numbers within the GIF, and the
    /// standard file names.
    ///
    /// Says nothing about whether the hashes are right (see [`TraceIndex::check`] and `verify`).
    ///
    /// # Errors
    /// [`TraceError::BadInput`] (exit 2) naming `index.json` and, where it applies, the first
    /// inconsistent record and its tick.
    pub fn validate(&self) -> Result<(), TraceError> {
        self.inconsistency().map_or(Ok(()), |m| Err(TraceError::BadInput(format!("{INDEX_FILE}: {m}"))))
    }

    /// What [`TraceIndex::validate`] finds wrong, as a message without the file name.
    fn inconsistency(&self) -> Option<String> {
        let r = self.first_inconsistency();
        r.err()
    }

    fn first_inconsistency(&self) -> Result<(), String> {
        let bad = |m: String| m;
        if self.format != "tickframe-trace" || self.format_version != FORMAT_VERSION {
            return Err(bad(format!(
                "not a tickframe trace index of format version {FORMAT_VERSION} (found `{}` version {})",
                self.format, self.format_version
            )));
        }
        if self.hash_algorithm != "xxh3-128" {
            return Err(bad(format!("unknown hash algorithm `{}` (expected xxh3-128)", self.hash_algorithm)));
        }
        if tickframe_core::FrameRate::new(self.rate.num, self.rate.den).is_err() {
            return Err(bad(format!(
                "invalid frame rate {}/{} (both parts non-zero, at most {} fps)",
                self.rate.num,
                self.rate.den,
                tickframe_core::FrameRate::MAX_FPS
            )));
        }
        if tickframe_core::Size::new(self.width, self.height).is_err() {
            return Err(bad(format!(
                "invalid frame size {}x{} (each side 1..={})",
                self.width,
                self.height,
                tickframe_core::MAX_DIMENSION
            )));
        }
        if self.frames.len() as u64 != self.frame_count {
            return Err(bad(format!(
                "frame_count is {} but there are {} frame records",
                self.frame_count,
                self.frames.len()
            )));
        }
        if self.frame_count == 0 || self.frame_count > MAX_FRAMES {
            return Err(bad(format!("frame_count {} is outside 1..={MAX_FRAMES}", self.frame_count)));
        }
        if self.first_tick.checked_add(self.frame_count).is_none() {
            return Err(bad(format!(
                "first_tick {} + frame_count {} overflows the tick counter",
                self.first_tick, self.frame_count
            )));
        }
        let duration =
            format!("{}/{}", u128::from(self.frame_count) * u128::from(self.rate.den), self.rate.num);
        if self.duration != duration {
            return Err(bad(format!("duration {} is not {duration}", self.duration)));
        }
        if parse_hex128(&self.digest).is_none() {
            return Err(bad("digest is not 32 hex digits".into()));
        }
        if parse_hex128(&self.scene.source_hash).is_none() {
            return Err(bad("scene.source_hash is not 32 hex digits".into()));
        }
        for (field, info, name) in [
            ("gif", &self.files.gif, crate::names::GIF),
            ("apng", &self.files.apng, crate::names::APNG),
            ("store", &self.files.store, crate::names::STORE),
            ("fseq", &self.files.fseq, crate::names::FSEQ),
        ] {
            if let Some(f) = info
                && f.name != name
            {
                return Err(bad(format!("files.{field}.name is `{}`, expected `{name}`", f.name)));
            }
        }
        if self.scene.file != crate::names::SCENE {
            return Err(bad(format!(
                "scene.file is `{}`, expected `{}`",
                self.scene.file,
                crate::names::SCENE
            )));
        }
        let gif_frames = self.files.gif.as_ref().map(|g| g.frames);
        let mut last_gif: Option<u64> = None;
        for (i, r) in self.frames.iter().enumerate() {
            let tick = self.first_tick + i as u64;
            let rec = |m: String| bad(format!("record {i} (tick {tick}): {m}"));
            if r.tick != tick {
                return Err(rec(format!(
                    "has tick {}; ticks must run on from first_tick {}",
                    r.tick, self.first_tick
                )));
            }
            let time = format!("{}/{}", u128::from(tick) * u128::from(self.rate.den), self.rate.num);
            if r.time != time {
                return Err(rec(format!("time {} is not {time}", r.time)));
            }
            if parse_hex128(&r.hash).is_none() {
                return Err(rec("hash is not 32 hex digits".into()));
            }
            if let Some(h) = &r.gif_hash
                && parse_hex128(h).is_none()
            {
                return Err(rec("gif_hash is not 32 hex digits".into()));
            }
            if let Some(g) = r.gif_frame {
                match gif_frames {
                    None => return Err(rec("has a gif_frame but the trace has no GIF".into())),
                    Some(n) if g >= n => {
                        return Err(rec(format!("gif_frame {g} is beyond the GIF's {n} frames")));
                    }
                    _ => {}
                }
                if last_gif.is_some_and(|l| g < l || g > l + 1) {
                    return Err(rec(format!("gif_frame {g} does not follow {}", last_gif.unwrap_or(0))));
                }
                if r.gif_hash.is_none() {
                    return Err(rec("has a gif_frame but no gif_hash".into()));
                }
                last_gif = Some(g);
            }
        }
        Ok(())
    }

    /// [`TraceIndex::validate`], then the digest recomputed from the records.
    ///
    /// # Errors
    /// [`TraceError::BadInput`] from `validate`; [`TraceError::Corrupt`] (a failed check) when the
    /// digest does not match the records.
    pub fn check(&self) -> Result<(), TraceError> {
        self.validate()?;
        let hashes = self.hashes()?;
        let digest = digest_of(self.frames.iter().map(|r| r.tick).zip(hashes.iter().copied()));
        if Some(digest) != parse_hex128(&self.digest) {
            // The index alone cannot tell which record was edited: verify's re-render names it.
            return Err(TraceError::corrupt(
                INDEX_FILE,
                None,
                format!(
                    "digest {} does not match its frame records (recomputed {})",
                    self.digest,
                    hex128(digest)
                ),
            ));
        }
        Ok(())
    }

    /// The tick range recorded (valid after [`TraceIndex::validate`]; saturating before).
    pub fn ticks(&self) -> std::ops::Range<u64> {
        self.first_tick..self.first_tick.saturating_add(self.frame_count)
    }

    /// The record of `tick`, if the trace holds it.
    pub fn record(&self, tick: u64) -> Option<&FrameRecord> {
        let i = usize::try_from(tick.checked_sub(self.first_tick)?).ok()?;
        self.frames.get(i)
    }
}

/// Reads, parses and validates `DIR/index.json` ([`TraceIndex::validate`]; the digest is
/// checked by [`TraceIndex::check`]).
///
/// # Errors
/// [`TraceError::BadInput`] when it is missing, unreadable, not valid JSON of this format, or
/// inconsistent.
pub fn read_index(dir: &Path) -> Result<TraceIndex, TraceError> {
    let index = read_index_unvalidated(dir)?;
    match index.inconsistency() {
        None => Ok(index),
        Some(m) => Err(TraceError::BadInput(format!(
            "`{}`: {m} (the index is inconsistent: not a usable trace)",
            dir.join(INDEX_FILE).display()
        ))),
    }
}

/// Reads and parses `DIR/index.json` without validating it.
///
/// # Errors
/// [`TraceError::BadInput`] when it is missing, unreadable or not valid JSON of this format.
pub fn read_index_unvalidated(dir: &Path) -> Result<TraceIndex, TraceError> {
    let path = dir.join(INDEX_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        TraceError::BadInput(format!(
            "`{}`: {e} (a folder without a complete index.json is not a trace)",
            path.display()
        ))
    })?;
    serde_json::from_str(&text)
        .map_err(|e| TraceError::BadInput(format!("`{}`: not a valid trace index: {e}", path.display())))
}
