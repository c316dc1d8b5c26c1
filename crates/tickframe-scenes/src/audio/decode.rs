//! Decoding an audio file (WAV, FLAC, MP3, Ogg Vorbis) to mono samples, once, while building.

use std::fs::File;
use std::path::Path;

use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;

/// The longest clip accepted, in seconds (20 minutes): bounds the memory a clip takes while
/// building (4 bytes per sample) and the visualizer's tables (see `docs/visualizer.md`).
pub const MAX_CLIP_SECONDS: u64 = 20 * 60;

/// Sample rates accepted, in Hz.
pub const SAMPLE_RATES: std::ops::RangeInclusive<u32> = 4_000..=384_000;

/// A decoded clip: the channels averaged to mono, as `f32` in `-1.0..=1.0`.
#[derive(Clone, Debug, PartialEq)]
pub struct Clip {
    /// Samples per second, in Hz.
    pub rate: u32,
    /// Channels in the file (averaged into `samples`).
    pub channels: usize,
    /// Mono samples.
    pub samples: Vec<f32>,
    /// Problems that did not stop decoding (a truncated file, a damaged packet skipped).
    pub warnings: Vec<String>,
}

/// Why a file could not be decoded: the message names the file and the problem.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

/// Decodes the first audio track of `path` and mixes it to mono.
///
/// # Determinism
/// PCM WAV and FLAC decode with integer arithmetic, identically everywhere; the channel mix is
/// a plain `f64` sum and one division. The lossy codecs (MP3, Vorbis) are decoded by symphonia
/// with floating point that we do not control: identical on one machine and build, not
/// promised across machines (see `docs/visualizer.md`).
///
/// # Errors
/// The file cannot be opened, its format or codec is not recognised or not supported, it holds
/// no audio track or no samples, its header is damaged, its sample rate is outside
/// [`SAMPLE_RATES`], or it is longer than [`MAX_CLIP_SECONDS`].
pub fn decode_file(path: &Path) -> Result<Clip, DecodeError> {
    let shown = path.display();
    let err = |what: String| DecodeError(format!("cannot decode audio file `{shown}`: {what}"));
    let file = File::open(path).map_err(|e| DecodeError(format!("cannot open audio file `{shown}`: {e}")))?;
    let mss = MediaSourceStream::new(Box::new(file), MediaSourceStreamOptions::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let mut format = symphonia::default::get_probe()
        .probe(&hint, mss, FormatOptions::default(), MetadataOptions::default())
        .map_err(|e| match e {
            SymError::Unsupported(_) => {
                err("not a recognised audio format (WAV, FLAC, MP3 and Ogg Vorbis are supported)".into())
            }
            other => err(describe(&other)),
        })?;
    let track = format
        .default_track(TrackType::Audio)
        .or_else(|| format.first_track(TrackType::Audio))
        .ok_or_else(|| err("no audio track".into()))?;
    let track_id = track.id;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or_else(|| err("the audio track has no codec parameters".into()))?
        .clone();
    let expected_frames = track.num_frames;
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .map_err(|e| err(format!("unsupported codec ({})", describe(&e))))?;

    let mut rate = params.sample_rate.unwrap_or(0);
    let mut channels = params.channels.as_ref().map_or(0, |c| c.count());
    let check_rate = |rate: u32| {
        if SAMPLE_RATES.contains(&rate) {
            Ok(())
        } else {
            Err(err(format!(
                "sample rate {rate} Hz is outside {}..={} Hz",
                SAMPLE_RATES.start(),
                SAMPLE_RATES.end()
            )))
        }
    };
    if rate != 0 {
        check_rate(rate)?;
        if let Some(n) = expected_frames
            && n > MAX_CLIP_SECONDS * u64::from(rate)
        {
            return Err(too_long(&shown.to_string(), n, rate));
        }
    }

    let mut samples: Vec<f32> = Vec::new();
    let mut warnings = Vec::new();
    let mut skipped = 0usize;
    let mut interleaved: Vec<f32> = Vec::new();
    loop {
        let packet = match format.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                warnings.push(format!("audio file `{shown}` ends early (truncated?)"));
                break;
            }
            Err(SymError::ResetRequired) => break,
            Err(e) => {
                if samples.is_empty() {
                    return Err(err(describe(&e)));
                }
                warnings.push(format!("audio file `{shown}`: stopped at a damaged part: {}", describe(&e)));
                break;
            }
        };
        if packet.track_id != track_id {
            continue;
        }
        let buf = match decoder.decode(&packet) {
            Ok(b) => b,
            Err(SymError::DecodeError(_)) => {
                skipped += 1;
                continue;
            }
            Err(e) => return Err(err(describe(&e))),
        };
        let spec = buf.spec();
        if rate == 0 {
            rate = spec.rate();
            check_rate(rate)?;
        }
        let ch = spec.channels().count().max(1);
        if channels == 0 {
            channels = ch;
        }
        buf.copy_to_vec_interleaved(&mut interleaved);
        for frame in interleaved.chunks_exact(ch) {
            let sum: f64 = frame.iter().map(|&s| f64::from(s)).sum();
            samples.push((sum / ch as f64) as f32);
        }
        if samples.len() as u64 > MAX_CLIP_SECONDS * u64::from(rate) {
            return Err(too_long(&shown.to_string(), samples.len() as u64, rate));
        }
    }
    if skipped > 0 {
        warnings.push(format!("audio file `{shown}`: {skipped} damaged packet(s) skipped"));
    }
    if samples.is_empty() {
        let why = if skipped > 0 { "every packet is damaged" } else { "it holds no audio samples" };
        return Err(err(why.into()));
    }
    if let Some(n) = expected_frames
        && (samples.len() as u64) < n
        && warnings.is_empty()
    {
        warnings.push(format!(
            "audio file `{shown}` holds {} of the {n} samples its header announces (truncated?)",
            samples.len()
        ));
    }
    Ok(Clip { rate, channels: channels.max(1), samples, warnings })
}

fn too_long(shown: &str, frames: u64, rate: u32) -> DecodeError {
    DecodeError(format!(
        "audio file `{shown}` is too long: {} s (at least), the limit is {MAX_CLIP_SECONDS} s",
        frames / u64::from(rate.max(1))
    ))
}

fn describe(e: &SymError) -> String {
    match e {
        SymError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            "the file ends too early (truncated or damaged header)".into()
        }
        other => other.to_string(),
    }
}
