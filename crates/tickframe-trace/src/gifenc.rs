//! `trace.gif`: a looping GIF whose frame delays never drift, identical consecutive frames
//! merged, and a reader for verification.

use std::borrow::Cow;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use tickframe_core::FrameRate;

use crate::TraceError;
use crate::timing::gif_centis_at;

/// A frame prepared off-thread: palette indices already LZW-compressed, and the hash of the
/// RGBA it decodes to.
#[derive(Debug)]
pub(crate) struct GifPrepared {
    pub frame: gif::Frame<'static>,
    pub hash: u128,
}

/// Colour-reduces and LZW-compresses one frame (`rgba` opaque RGBA bytes).
pub(crate) fn prepare(
    q: &mut crate::quant::Quantizer,
    rgba: &[u8],
    width: u32,
    height: u32,
    indices: &mut Vec<u8>,
    palette: &mut Vec<u8>,
    expanded: &mut Vec<u8>,
) -> GifPrepared {
    q.quantize(rgba, indices, palette);
    crate::quant::expand(indices, palette, expanded);
    let hash = crate::hash_rgba(expanded);
    let mut frame = gif::Frame {
        width: width as u16,
        height: height as u16,
        palette: Some(palette.clone()),
        buffer: Cow::Owned(indices.clone()),
        dispose: gif::DisposalMethod::Keep,
        ..gif::Frame::default()
    };
    frame.make_lzw_pre_encoded();
    GifPrepared { frame, hash }
}

/// What the GIF writer decided for one tick.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct GifTick {
    pub frame: Option<u64>,
    pub delay_cs: u32,
    pub merged: bool,
    pub hash: u128,
}

struct Run {
    frame: gif::Frame<'static>,
    raw_hash: u128,
    gif_hash: u128,
    first_tick: u64,
    /// Record slots (tick offsets from the trace's first tick) covered by this run.
    records: Vec<usize>,
}

/// Streams GIF frames; a run of ticks with identical pixels becomes one frame.
pub(crate) struct GifWriter {
    path: PathBuf,
    enc: gif::Encoder<BufWriter<File>>,
    rate: FrameRate,
    first_tick: u64,
    pending: Option<Run>,
    written: u64,
    pub merged: u64,
}

impl GifWriter {
    pub fn create(
        path: &Path,
        width: u32,
        height: u32,
        rate: FrameRate,
        first_tick: u64,
    ) -> Result<Self, TraceError> {
        let (w, h) = match (u16::try_from(width), u16::try_from(height)) {
            (Ok(w), Ok(h)) => (w, h),
            _ => return Err(TraceError::BadInput("GIF frames are at most 65535 pixels on a side".into())),
        };
        let file = File::create(path).map_err(TraceError::io(path))?;
        let gif_err = |e: gif::EncodingError| TraceError::BadInput(format!("`{}`: {e}", path.display()));
        let mut enc =
            gif::Encoder::new(BufWriter::with_capacity(1 << 20, file), w, h, &[]).map_err(gif_err)?;
        enc.set_repeat(gif::Repeat::Infinite).map_err(gif_err)?;
        Ok(GifWriter {
            path: path.to_path_buf(),
            enc,
            rate,
            first_tick,
            pending: None,
            written: 0,
            merged: 0,
        })
    }

    /// Adds tick `tick` (record slot `slot`) with raw hash `raw_hash`; `prepared` may be `None`
    /// only when the pixels equal the previous tick's. Decisions for finished runs are written
    /// into `out`, indexed by slot.
    pub fn push(
        &mut self,
        tick: u64,
        slot: usize,
        raw_hash: u128,
        prepared: Option<GifPrepared>,
        out: &mut Vec<GifTick>,
    ) -> Result<(), TraceError> {
        if let Some(run) = &mut self.pending {
            let span = gif_centis_at(self.rate, tick + 1) - gif_centis_at(self.rate, run.first_tick);
            if run.raw_hash == raw_hash && span <= u128::from(u16::MAX) {
                run.records.push(slot);
                return Ok(());
            }
        }
        let prepared = match prepared {
            Some(p) => p,
            None => match &self.pending {
                // Identical pixels but the delay would overflow: repeat the frame.
                Some(run) => GifPrepared { frame: run.frame.clone(), hash: run.gif_hash },
                None => return Err(TraceError::BadInput("internal: GIF frame missing".into())),
            },
        };
        self.flush(tick, out)?;
        self.pending = Some(Run {
            frame: prepared.frame,
            raw_hash,
            gif_hash: prepared.hash,
            first_tick: tick,
            records: vec![slot],
        });
        Ok(())
    }

    /// Writes the pending run, which ends before `end_tick`.
    fn flush(&mut self, end_tick: u64, out: &mut Vec<GifTick>) -> Result<(), TraceError> {
        let Some(mut run) = self.pending.take() else { return Ok(()) };
        let delay = gif_centis_at(self.rate, end_tick) - gif_centis_at(self.rate, run.first_tick);
        if delay == 0 {
            // Shown for less than a centisecond: not in the GIF (only above 100 fps).
            return Ok(());
        }
        run.frame.delay = u16::try_from(delay).unwrap_or(u16::MAX);
        self.enc
            .write_lzw_pre_encoded_frame(&run.frame)
            .map_err(|e| TraceError::BadInput(format!("`{}`: {e}", self.path.display())))?;
        if let Some(&last) = run.records.last()
            && out.len() <= last
        {
            out.resize(last + 1, GifTick::default());
        }
        for (i, &slot) in run.records.iter().enumerate() {
            if let Some(o) = out.get_mut(slot) {
                *o = GifTick {
                    frame: Some(self.written),
                    delay_cs: if i == 0 { u32::from(run.frame.delay) } else { 0 },
                    merged: i > 0,
                    hash: run.gif_hash,
                };
            }
        }
        self.merged += run.records.len() as u64 - 1;
        self.written += 1;
        Ok(())
    }

    /// Writes the last run (ending at `end_tick`) and the trailer; returns `(bytes, frames)`.
    pub fn finish(mut self, end_tick: u64, out: &mut Vec<GifTick>) -> Result<(u64, u64), TraceError> {
        self.flush(end_tick, out)?;
        let _ = self.first_tick;
        let w = self
            .enc
            .into_inner()
            .map_err(|e| TraceError::BadInput(format!("`{}`: {e}", self.path.display())))?;
        let file =
            w.into_inner().map_err(|e| TraceError::Io { path: self.path.clone(), source: e.into_error() })?;
        let bytes = file.metadata().map_err(TraceError::io(&self.path))?.len();
        Ok((bytes, self.written))
    }
}
