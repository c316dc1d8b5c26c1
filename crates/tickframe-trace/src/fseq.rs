//! FSEQ v2 export: the sequence format xLights and Falcon Player (FPP) play.
//!
//! Written from the published description of the format (FPP's `FSEQ_Sequence_File_Format.txt`):
//! a 32-byte header (`PSEQ`, channel data offset u16, minor 0, major 2, header length u16,
//! channels per frame u32, frame count u32, step time in ms u8, flags, compression type 1 = zstd
//! in the low 4 bits of byte 20 with the block count's upper 4 bits above it, block count low 8
//! bits, sparse range count 0, reserved, a 64-bit id), then one `(first frame u32, byte length
//! u32)` per compression block, a variable header `sp` (sequence producer), then the
//! zstd-compressed blocks. Channels are the pixels in raster order, 3 per pixel (R, G, B).
//!
//! # Step time
//! FSEQ steps are whole milliseconds. The step is `round(1000 · den / num)` ms (at least 1, at
//! most 255); FSEQ frame `k` shows the tick being shown `k · step` ms after the trace's first
//! tick (the tick whose exact interval contains that moment). So time stays exact, and when
//! the frame duration is not a whole number of milliseconds (60 fps: 16.67 ms, stored as
//! 17 ms steps) some ticks are skipped or repeated instead of the sequence running slow or
//! fast. Rates whose frame lasts a whole number of ms (20, 25, 40, 50 fps…) map one to one.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use tickframe_core::FrameRate;

use crate::TraceError;
use crate::names::FSEQ as FILE;

const HEADER: usize = 32;
/// Most compression blocks FSEQ 2.0 readers accept without the 2.1 extension.
const MAX_BLOCKS: u64 = 255;
/// zstd level for blocks.
const LEVEL: i32 = 3;

/// The step time in milliseconds used for `rate` (see the module docs).
pub fn step_ms(rate: FrameRate) -> u32 {
    let ms = (2000 * u64::from(rate.den()) + u64::from(rate.num())) / (2 * u64::from(rate.num()));
    ms.clamp(1, 255) as u32
}

/// Number of FSEQ frames for `ticks` ticks at `rate`: enough steps to cover their duration.
pub fn frame_count(rate: FrameRate, ticks: u64) -> u64 {
    let dur_ms_num = u128::from(ticks) * u128::from(rate.den()) * 1000; // / num
    dur_ms_num.div_ceil(u128::from(rate.num()) * u128::from(step_ms(rate))) as u64
}

/// The tick offset (from the first tick) FSEQ frame `k` shows.
pub fn tick_of(rate: FrameRate, k: u64) -> u64 {
    (u128::from(k) * u128::from(step_ms(rate)) * u128::from(rate.num()) / (u128::from(rate.den()) * 1000))
        as u64
}

/// Streams frames into an FSEQ v2 file, zstd-compressed in blocks.
pub struct FseqWriter {
    path: PathBuf,
    out: BufWriter<File>,
    rate: FrameRate,
    channels: usize,
    frames: u64,
    per_block: u64,
    next_frame: u64,
    block: Vec<u8>,
    block_first: u64,
    index: Vec<(u32, u32)>,
    data_offset: u16,
    id: u64,
    zstd: zstd::bulk::Compressor<'static>,
}

impl std::fmt::Debug for FseqWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FseqWriter").field("path", &self.path).field("frames", &self.frames).finish()
    }
}

impl FseqWriter {
    /// Creates the file for `ticks` ticks of `pixels` pixels at `rate`; `id` goes into the
    /// header's 64-bit identifier (tickframe derives it from the scene hash and seed, so the
    /// file is reproducible).
    ///
    /// # Errors
    /// I/O errors; [`TraceError::BadInput`] when the frame count does not fit the format.
    pub fn create(
        path: &Path,
        pixels: usize,
        rate: FrameRate,
        ticks: u64,
        id: u64,
    ) -> Result<Self, TraceError> {
        let channels = pixels * 3;
        let frames = frame_count(rate, ticks);
        if u32::try_from(channels).is_err() || u32::try_from(frames).is_err() {
            return Err(TraceError::BadInput("too many channels or frames for FSEQ".into()));
        }
        let per_block = frames.div_ceil(MAX_BLOCKS).max(1);
        let blocks = frames.div_ceil(per_block) as usize;
        let producer = format!("tickframe {}\0", env!("CARGO_PKG_VERSION"));
        let var_len = 4 + producer.len();
        let data_offset = HEADER + blocks * 8 + var_len;
        let file = File::create(path).map_err(TraceError::io(path))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let mut pre = vec![0u8; data_offset];
        let vh = HEADER + blocks * 8;
        pre[vh..vh + 2].copy_from_slice(&(var_len as u16).to_le_bytes());
        pre[vh + 2..vh + 4].copy_from_slice(b"sp");
        pre[vh + 4..].copy_from_slice(producer.as_bytes());
        out.write_all(&pre).map_err(TraceError::io(path))?;
        let zstd = zstd::bulk::Compressor::new(LEVEL).map_err(TraceError::io(path))?;
        Ok(FseqWriter {
            path: path.to_path_buf(),
            out,
            rate,
            channels,
            frames,
            per_block,
            next_frame: 0,
            block: Vec::new(),
            block_first: 0,
            index: Vec::with_capacity(blocks),
            data_offset: u16::try_from(data_offset)
                .map_err(|_| TraceError::BadInput("FSEQ header too long".into()))?,
            id,
            zstd,
        })
    }

    /// Offers the frame at tick offset `offset` (from the first tick; called in order for every
    /// tick); it is written once for each FSEQ frame that shows it.
    ///
    /// # Errors
    /// I/O errors.
    pub fn push(&mut self, offset: u64, rgba: &[u8]) -> Result<(), TraceError> {
        while self.next_frame < self.frames && tick_of(self.rate, self.next_frame) == offset {
            self.block.extend(rgba.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]));
            self.next_frame += 1;
            if self.next_frame - self.block_first == self.per_block {
                self.flush_block()?;
            }
        }
        Ok(())
    }

    fn flush_block(&mut self) -> Result<(), TraceError> {
        if self.block.is_empty() {
            return Ok(());
        }
        let data = self.zstd.compress(&self.block).map_err(TraceError::io(&self.path))?;
        self.out.write_all(&data).map_err(TraceError::io(&self.path))?;
        self.index.push((self.block_first as u32, data.len() as u32));
        self.block.clear();
        self.block_first = self.next_frame;
        Ok(())
    }

    /// Writes the last block, the header and the block index; returns `(bytes, frames)`.
    ///
    /// # Errors
    /// I/O errors, or fewer frames pushed than announced.
    pub fn finish(mut self) -> Result<(u64, u64), TraceError> {
        self.flush_block()?;
        if self.next_frame != self.frames {
            return Err(TraceError::BadInput("FSEQ: not every frame was written".into()));
        }
        let blocks = self.index.len();
        let mut head = Vec::with_capacity(HEADER + blocks * 8);
        head.extend_from_slice(b"PSEQ");
        head.extend_from_slice(&self.data_offset.to_le_bytes());
        head.extend_from_slice(&[0, 2]);
        head.extend_from_slice(&((HEADER + blocks * 8) as u16).to_le_bytes());
        head.extend_from_slice(&(self.channels as u32).to_le_bytes());
        head.extend_from_slice(&(self.frames as u32).to_le_bytes());
        head.push(step_ms(self.rate) as u8);
        head.push(0);
        head.push(1 | (((blocks >> 8) as u8 & 0x0f) << 4));
        head.push(blocks as u8);
        head.push(0);
        head.push(0);
        head.extend_from_slice(&self.id.to_le_bytes());
        for (first, len) in &self.index {
            head.extend_from_slice(&first.to_le_bytes());
            head.extend_from_slice(&len.to_le_bytes());
        }
        let io = TraceError::io(&self.path);
        let mut file = self
            .out
            .into_inner()
            .map_err(|e| TraceError::Io { path: self.path.clone(), source: e.into_error() })?;
        let r =
            file.seek(SeekFrom::Start(0)).and_then(|_| file.write_all(&head)).and_then(|()| file.metadata());
        Ok((r.map_err(io)?.len(), self.frames))
    }
}

/// The header and tables of an FSEQ v2 file, as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FseqHeader {
    /// Major and minor version (`(2, 0)` for what tickframe writes).
    pub version: (u8, u8),
    /// Offset of the channel data (bytes 4–5).
    pub data_offset: u16,
    /// Offset of the variable headers (bytes 8–9): 32 + 8 × blocks + 6 × sparse ranges.
    pub header_len: u16,
    /// Channels per frame.
    pub channels: u32,
    /// Number of frames.
    pub frames: u32,
    /// Step time in milliseconds.
    pub step_ms: u8,
    /// Flags (byte 19).
    pub flags: u8,
    /// Compression type (low 4 bits of byte 20): 0 none, 1 zstd, 2 zlib.
    pub compression: u8,
    /// The compression blocks: `(first frame, compressed length)`, empty entries dropped.
    pub blocks: Vec<(u32, u32)>,
    /// Sparse ranges `(first channel, channel count)`.
    pub sparse_ranges: Vec<(u32, u32)>,
    /// The 64-bit identifier.
    pub id: u64,
    /// Variable headers: two-character code and data.
    pub variables: Vec<([u8; 2], Vec<u8>)>,
}

/// An FSEQ file read back: the header fields and every frame's channel data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FseqFile {
    /// Major and minor version.
    pub version: (u8, u8),
    /// Channels per frame.
    pub channels: u32,
    /// Step time in milliseconds.
    pub step_ms: u8,
    /// Compression type (1 = zstd).
    pub compression: u8,
    /// The 64-bit identifier.
    pub id: u64,
    /// Channel data, one `Vec` per frame.
    pub frames: Vec<Vec<u8>>,
}

/// Parses the fixed header, block table, sparse ranges and variable headers.
///
/// # Errors
/// A message saying what is wrong (not FSEQ v2, offsets outside the file…).
pub fn parse_header(bytes: &[u8]) -> Result<FseqHeader, String> {
    if bytes.len() < HEADER {
        return Err(format!("truncated: {} bytes, shorter than the 32-byte header", bytes.len()));
    }
    if &bytes[..4] != b"PSEQ" || bytes[7] != 2 {
        return Err("not an FSEQ v2 file".into());
    }
    let u16_at = |a: usize| u16::from_le_bytes([bytes[a], bytes[a + 1]]);
    let u32_at = |a: usize| u32::from_le_bytes([bytes[a], bytes[a + 1], bytes[a + 2], bytes[a + 3]]);
    let u24_at = |a: usize| u32::from_le_bytes([bytes[a], bytes[a + 1], bytes[a + 2], 0]);
    let data_offset = u16_at(4);
    let header_len = u16_at(8);
    let nblocks = usize::from(bytes[21]) | (usize::from(bytes[20] >> 4) << 8);
    let nranges = usize::from(bytes[22]);
    let tables_end = HEADER + nblocks * 8 + nranges * 6;
    if usize::from(data_offset) > bytes.len() || tables_end > usize::from(data_offset) {
        return Err(format!(
            "header offsets outside the file (channel data at {data_offset}, tables end at {tables_end}, {} bytes)",
            bytes.len()
        ));
    }
    let blocks: Vec<(u32, u32)> = (0..nblocks)
        .map(|b| (u32_at(HEADER + b * 8), u32_at(HEADER + b * 8 + 4)))
        .filter(|&(_, len)| len > 0)
        .collect();
    let at = HEADER + nblocks * 8;
    let sparse_ranges = (0..nranges).map(|r| (u24_at(at + r * 6), u24_at(at + r * 6 + 3))).collect();
    let mut variables = Vec::new();
    let mut v = usize::from(header_len).max(tables_end);
    while v + 4 <= usize::from(data_offset) {
        let len = usize::from(u16_at(v));
        if len < 4 || v + len > usize::from(data_offset) {
            break;
        }
        variables.push(([bytes[v + 2], bytes[v + 3]], bytes[v + 4..v + len].to_vec()));
        v += len;
    }
    Ok(FseqHeader {
        version: (bytes[7], bytes[6]),
        data_offset,
        header_len,
        channels: u32_at(10),
        frames: u32_at(14),
        step_ms: bytes[18],
        flags: bytes[19],
        compression: bytes[20] & 0x0f,
        blocks,
        sparse_ranges,
        id: u64::from_le_bytes([
            bytes[24], bytes[25], bytes[26], bytes[27], bytes[28], bytes[29], bytes[30], bytes[31],
        ]),
        variables,
    })
}

/// Decodes every frame in order, calling `f(frame, channel data)` (stop by returning `false`).
///
/// # Errors
/// `(k, message)` with `k` the first frame that cannot be read (a truncated or damaged block,
/// a block table that does not add up, missing channel data).
pub fn scan_frames(
    bytes: &[u8],
    h: &FseqHeader,
    mut f: impl FnMut(u64, &[u8]) -> bool,
) -> Result<(), (u64, String)> {
    let frame_len = h.channels as usize;
    let total = u64::from(h.frames);
    if frame_len == 0 || frame_len > 3 * (tickframe_core::MAX_DIMENSION as usize).pow(2) {
        return Err((0, format!("{frame_len} channels per frame is not a frame of pixels")));
    }
    let mut buf = vec![0u8; frame_len];
    let mut k = 0u64;
    match h.compression {
        0 => {
            let data = &bytes[usize::from(h.data_offset)..];
            for chunk in data.chunks_exact(frame_len).take(total as usize) {
                if !f(k, chunk) {
                    return Ok(());
                }
                k += 1;
            }
            if k < total {
                return Err((k, format!("channel data ends in frame {k} of {total}")));
            }
        }
        1 => {
            let mut at = usize::from(h.data_offset);
            for (b, &(first, len)) in h.blocks.iter().enumerate() {
                if u64::from(first) != k {
                    return Err((k, format!("block {b} starts at frame {first}, expected {k}")));
                }
                let end = h.blocks.get(b + 1).map_or(total, |n| u64::from(n.0)).min(total);
                let stop = at.saturating_add(len as usize);
                let truncated = stop > bytes.len();
                let data = &bytes[at.min(bytes.len())..stop.min(bytes.len())];
                let mut dec = match zstd::stream::read::Decoder::with_buffer(data) {
                    Ok(d) => d,
                    Err(e) => return Err((k, format!("block {b} cannot be read: {e}"))),
                };
                while k < end {
                    if let Err(e) = dec.read_exact(&mut buf) {
                        let why = if truncated {
                            format!("block {b} is truncated (the file ends at byte {})", bytes.len())
                        } else {
                            format!("block {b} does not decompress: {e}")
                        };
                        return Err((k, why));
                    }
                    if !f(k, &buf) {
                        return Ok(());
                    }
                    k += 1;
                }
                if truncated {
                    return Err((
                        k,
                        format!("block {b} is truncated (the file ends at byte {})", bytes.len()),
                    ));
                }
                let mut extra = [0u8; 1];
                if dec.read(&mut extra).map_or(true, |n| n > 0) {
                    return Err((k.saturating_sub(1), format!("block {b} holds more data than its frames")));
                }
                at = stop;
            }
            if k < total {
                return Err((k, format!("the blocks hold {k} of {total} frames")));
            }
        }
        c => return Err((0, format!("unsupported compression type {c}"))),
    }
    Ok(())
}

/// Reads an FSEQ v2 file with zstd or no compression (for tests and tools; `verify` streams
/// it with [`scan_frames`]).
///
/// # Errors
/// [`TraceError::Corrupt`] when the file is damaged or not FSEQ v2.
pub fn read_fseq(path: &Path) -> Result<FseqFile, TraceError> {
    let mut bytes = Vec::new();
    File::open(path).and_then(|mut f| f.read_to_end(&mut bytes)).map_err(TraceError::io(path))?;
    let h = parse_header(&bytes).map_err(|m| TraceError::corrupt(FILE, None, m))?;
    let mut frames = Vec::new();
    scan_frames(&bytes, &h, |_, d| {
        frames.push(d.to_vec());
        true
    })
    .map_err(|(k, m)| TraceError::corrupt(FILE, None, format!("FSEQ frame {k}: {m}")))?;
    Ok(FseqFile {
        version: h.version,
        channels: h.channels,
        step_ms: h.step_ms,
        compression: h.compression,
        id: h.id,
        frames,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_and_resampling() {
        let r60 = FrameRate::whole(60).unwrap();
        assert_eq!(step_ms(r60), 17);
        assert_eq!(step_ms(FrameRate::whole(40).unwrap()), 25);
        assert_eq!((0..4).map(|k| tick_of(r60, k)).collect::<Vec<_>>(), [0, 1, 2, 3]);
        assert_eq!(tick_of(r60, 59), 60); // 1003 ms
        let r40 = FrameRate::whole(40).unwrap();
        assert_eq!(frame_count(r40, 100), 100);
        assert!((0..100).all(|k| tick_of(r40, k) == k));
    }
}
