//! `frames.tfs`: a compact lossless frame store with random access by tick.
//!
//! Layout (all integers little-endian; see `docs/formats.md`):
//!
//! ```text
//! header (64 bytes): "TFSTORE\0", version u32 = 1, width u32, height u32, rate num u32,
//!                    rate den u32, codec u32 (1 = zstd), first tick u64, key interval u32,
//!                    20 reserved zero bytes
//! payloads:          one zstd frame per tick, back to back
//! table:             per frame 32 bytes: offset u64, length u32, kind u8 (0 key, 1 delta),
//!                    3 zero bytes, XXH3-128 of the raw RGBA u128
//! footer (32 bytes): table offset u64, frame count u64, XXH3-64 of the table u64, "TFSEND01"
//! ```
//!
//! A payload is the frame split into its R, G, B and A planes, then for a **key** frame each
//! byte minus the byte before it in the same plane, for a **delta** frame each byte minus the
//! same byte of the previous tick (wrapping), then zstd (level 3). A key frame starts every
//! `key interval` ticks counted from the first tick, so reading tick `t` decodes at most
//! `key interval` payloads.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::TraceError;
use crate::names::STORE as FILE;

const MAGIC: &[u8; 8] = b"TFSTORE\0";
const END: &[u8; 8] = b"TFSEND01";
const HEADER: usize = 64;
const FOOTER: usize = 32;
const ENTRY: usize = 32;
/// zstd level used for payloads.
pub const ZSTD_LEVEL: i32 = 3;
/// Ticks between key frames (default).
pub const KEY_INTERVAL: u32 = 60;

/// Whether a payload stands alone or is coded against the previous tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Coded alone (left-neighbour prediction within each plane).
    Key = 0,
    /// Coded as the difference from the previous tick.
    Delta = 1,
}

/// The fixed facts of a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreHeader {
    /// Frame width in pixels.
    pub width: u32,
    /// Frame height in pixels.
    pub height: u32,
    /// Frame rate numerator.
    pub rate_num: u32,
    /// Frame rate denominator.
    pub rate_den: u32,
    /// The first tick stored.
    pub first_tick: u64,
    /// Ticks between key frames.
    pub key_interval: u32,
}

/// One table entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Byte offset of the payload.
    pub offset: u64,
    /// Payload length in bytes.
    pub len: u32,
    /// Key or delta.
    pub kind: Kind,
    /// XXH3-128 of the frame's raw RGBA.
    pub hash: u128,
}

/// Per-thread encoding state: a zstd context and scratch space.
pub struct Encoder {
    zstd: zstd::bulk::Compressor<'static>,
    planes: Vec<u8>,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder").finish_non_exhaustive()
    }
}

fn to_residual(cur: &[u8], prev: Option<&[u8]>, planes: &mut Vec<u8>) {
    let n = cur.len() / 4;
    planes.clear();
    planes.resize(cur.len(), 0);
    for c in 0..4 {
        let plane = &mut planes[c * n..(c + 1) * n];
        match prev {
            Some(prev) => {
                for (i, p) in plane.iter_mut().enumerate() {
                    *p = cur[i * 4 + c].wrapping_sub(prev[i * 4 + c]);
                }
            }
            None => {
                let mut last = 0u8;
                for (i, p) in plane.iter_mut().enumerate() {
                    let v = cur[i * 4 + c];
                    *p = v.wrapping_sub(last);
                    last = v;
                }
            }
        }
    }
}

fn from_residual(planes: &[u8], prev: Option<&[u8]>, out: &mut [u8]) {
    let n = out.len() / 4;
    for c in 0..4 {
        let plane = &planes[c * n..(c + 1) * n];
        match prev {
            Some(prev) => {
                for (i, &p) in plane.iter().enumerate() {
                    out[i * 4 + c] = p.wrapping_add(prev[i * 4 + c]);
                }
            }
            None => {
                let mut last = 0u8;
                for (i, &p) in plane.iter().enumerate() {
                    last = p.wrapping_add(last);
                    out[i * 4 + c] = last;
                }
            }
        }
    }
}

impl Encoder {
    /// A new encoder.
    ///
    /// # Errors
    /// When zstd cannot allocate its context.
    pub fn new() -> std::io::Result<Encoder> {
        Ok(Encoder { zstd: zstd::bulk::Compressor::new(ZSTD_LEVEL)?, planes: Vec::new() })
    }

    /// Encodes `cur` as a delta against `prev` or as a key frame, whichever predicts it better
    /// (smaller sum of residual magnitudes; ties: delta), into `out`; returns the kind chosen.
    /// With `prev` `None`, always a key frame.
    ///
    /// # Errors
    /// When zstd fails.
    pub fn encode_best(
        &mut self,
        cur: &[u8],
        prev: Option<&[u8]>,
        out: &mut Vec<u8>,
    ) -> std::io::Result<Kind> {
        let cost = |r: &[u8]| r.iter().map(|&b| u64::from(b.min(b.wrapping_neg()))).sum::<u64>();
        let kind = match prev {
            None => Kind::Key,
            Some(p) => {
                to_residual(cur, Some(p), &mut self.planes);
                let delta = cost(&self.planes);
                to_residual(cur, None, &mut self.planes);
                if cost(&self.planes) < delta { Kind::Key } else { Kind::Delta }
            }
        };
        self.encode(cur, if kind == Kind::Key { None } else { prev }, out)?;
        Ok(kind)
    }

    /// Encodes `cur` (RGBA bytes) as a key frame (`prev` `None`) or as a delta against `prev`,
    /// into `out` (cleared first).
    ///
    /// # Errors
    /// When zstd fails.
    pub fn encode(&mut self, cur: &[u8], prev: Option<&[u8]>, out: &mut Vec<u8>) -> std::io::Result<()> {
        to_residual(cur, prev, &mut self.planes);
        out.clear();
        out.reserve(zstd::zstd_safe::compress_bound(self.planes.len()));
        self.zstd.compress_to_buffer(&self.planes[..], out)?;
        Ok(())
    }
}

/// Writes a store: [`StoreWriter::push`] each frame in tick order, then [`StoreWriter::finish`].
#[derive(Debug)]
pub struct StoreWriter {
    path: PathBuf,
    out: BufWriter<File>,
    offset: u64,
    table: Vec<Entry>,
}

impl StoreWriter {
    /// Creates (replaces) the file at `path` and writes the header.
    ///
    /// # Errors
    /// I/O errors.
    pub fn create(path: &Path, h: StoreHeader) -> Result<StoreWriter, TraceError> {
        let file = File::create(path).map_err(TraceError::io(path))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let mut head = Vec::with_capacity(HEADER);
        head.extend_from_slice(MAGIC);
        for v in [1u32, h.width, h.height, h.rate_num, h.rate_den, 1] {
            head.extend_from_slice(&v.to_le_bytes());
        }
        head.extend_from_slice(&h.first_tick.to_le_bytes());
        head.extend_from_slice(&h.key_interval.to_le_bytes());
        head.resize(HEADER, 0);
        out.write_all(&head).map_err(TraceError::io(path))?;
        Ok(StoreWriter { path: path.to_path_buf(), out, offset: HEADER as u64, table: Vec::new() })
    }

    /// Appends one encoded payload.
    ///
    /// # Errors
    /// I/O errors.
    pub fn push(&mut self, kind: Kind, hash: u128, payload: &[u8]) -> Result<(), TraceError> {
        self.out.write_all(payload).map_err(TraceError::io(&self.path))?;
        let len = u32::try_from(payload.len()).map_err(|_| TraceError::BadInput("frame too large".into()))?;
        self.table.push(Entry { offset: self.offset, len, kind, hash });
        self.offset += payload.len() as u64;
        Ok(())
    }

    /// Writes the table and footer; returns the file size in bytes.
    ///
    /// # Errors
    /// I/O errors.
    pub fn finish(mut self) -> Result<u64, TraceError> {
        let mut table = Vec::with_capacity(self.table.len() * ENTRY);
        for e in &self.table {
            table.extend_from_slice(&e.offset.to_le_bytes());
            table.extend_from_slice(&e.len.to_le_bytes());
            table.extend_from_slice(&[e.kind as u8, 0, 0, 0]);
            table.extend_from_slice(&e.hash.to_le_bytes());
        }
        let mut foot = Vec::with_capacity(FOOTER);
        foot.extend_from_slice(&self.offset.to_le_bytes());
        foot.extend_from_slice(&(self.table.len() as u64).to_le_bytes());
        foot.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(&table).to_le_bytes());
        foot.extend_from_slice(END);
        let io = TraceError::io(&self.path);
        let r = self
            .out
            .write_all(&table)
            .and_then(|()| self.out.write_all(&foot))
            .and_then(|()| self.out.flush());
        r.map_err(io)?;
        Ok(self.offset + (table.len() + FOOTER) as u64)
    }
}

/// Reads a store with random access by tick. Every length and offset is checked: a damaged
/// file gives [`TraceError::Corrupt`], never a panic.
pub struct StoreReader {
    file: File,
    len: u64,
    header: StoreHeader,
    table: Vec<Entry>,
    zstd: zstd::bulk::Decompressor<'static>,
    buf: Vec<u8>,
    planes: Vec<u8>,
    /// The last decoded frame and its index.
    cur: Vec<u8>,
    cur_index: Option<usize>,
}

impl std::fmt::Debug for StoreReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreReader")
            .field("header", &self.header)
            .field("frames", &self.table.len())
            .finish()
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

impl StoreReader {
    /// Opens a store and reads its header and table.
    ///
    /// # Errors
    /// [`TraceError::Io`] when it cannot be opened, [`TraceError::Corrupt`] when the header,
    /// footer or table is damaged.
    pub fn open(path: &Path) -> Result<StoreReader, TraceError> {
        let bad = |m: &str| TraceError::corrupt(FILE, None, m);
        let mut file = File::open(path).map_err(TraceError::io(path))?;
        let len = file.metadata().map_err(TraceError::io(path))?.len();
        if len < (HEADER + FOOTER) as u64 {
            return Err(bad("truncated: shorter than header and footer"));
        }
        let mut head = [0u8; HEADER];
        file.read_exact(&mut head).map_err(TraceError::io(path))?;
        if &head[..8] != MAGIC || u32_at(&head, 8) != 1 || u32_at(&head, 28) != 1 {
            return Err(bad("not a tickframe frame store of version 1"));
        }
        let header = StoreHeader {
            width: u32_at(&head, 12),
            height: u32_at(&head, 16),
            rate_num: u32_at(&head, 20),
            rate_den: u32_at(&head, 24),
            first_tick: u64_at(&head, 32),
            key_interval: u32_at(&head, 40),
        };
        if tickframe_core::Size::new(header.width, header.height).is_err() {
            return Err(bad("invalid frame size in header"));
        }
        let mut foot = [0u8; FOOTER];
        file.seek(SeekFrom::Start(len - FOOTER as u64)).map_err(TraceError::io(path))?;
        file.read_exact(&mut foot).map_err(TraceError::io(path))?;
        if &foot[24..] != END {
            // Name the first tick that cannot be read: count the complete payloads.
            let readable = complete_payloads(&mut file, len).map_err(TraceError::io(path))?;
            return Err(TraceError::corrupt(
                FILE,
                Some(header.first_tick.saturating_add(readable)),
                format!(
                    "truncated or damaged: no end marker (the export may have been interrupted); {readable} frames before this tick are complete"
                ),
            ));
        }
        let (table_at, count) = (u64_at(&foot, 0), u64_at(&foot, 8));
        let table_len = count.checked_mul(ENTRY as u64).ok_or_else(|| bad("bad frame count"))?;
        if table_at < HEADER as u64 || table_at.checked_add(table_len) != Some(len - FOOTER as u64) {
            return Err(bad("table offset or frame count does not match the file size"));
        }
        let mut raw = vec![0u8; table_len as usize];
        file.seek(SeekFrom::Start(table_at)).map_err(TraceError::io(path))?;
        file.read_exact(&mut raw).map_err(TraceError::io(path))?;
        if xxhash_rust::xxh3::xxh3_64(&raw) != u64_at(&foot, 16) {
            return Err(bad("the offset table's checksum does not match"));
        }
        let mut table = Vec::with_capacity(count as usize);
        for (i, e) in raw.chunks_exact(ENTRY).enumerate() {
            let entry = Entry {
                offset: u64_at(e, 0),
                len: u32_at(e, 8),
                kind: match e[12] {
                    0 => Kind::Key,
                    1 if i > 0 => Kind::Delta,
                    _ => return Err(bad("bad frame kind in table")),
                },
                hash: u128::from_le_bytes(e[16..32].try_into().map_err(|_| bad("bad entry"))?),
            };
            if entry.offset < HEADER as u64
                || entry.offset.checked_add(u64::from(entry.len)).is_none_or(|end| end > table_at)
            {
                return Err(TraceError::corrupt(
                    FILE,
                    Some(header.first_tick + i as u64),
                    "payload outside the file",
                ));
            }
            table.push(entry);
        }
        let zstd = zstd::bulk::Decompressor::new().map_err(TraceError::io(path))?;
        Ok(StoreReader {
            file,
            len,
            header,
            table,
            zstd,
            buf: Vec::new(),
            planes: Vec::new(),
            cur: Vec::new(),
            cur_index: None,
        })
    }

    /// The header.
    pub fn header(&self) -> StoreHeader {
        self.header
    }

    /// The table entries, one per tick from the first.
    pub fn entries(&self) -> &[Entry] {
        &self.table
    }

    /// The file size in bytes.
    pub fn file_len(&self) -> u64 {
        self.len
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether the store holds no frame.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    fn decode_index(&mut self, i: usize) -> Result<(), TraceError> {
        self.decode_index_checked(i, true)
    }

    fn decode_index_checked(&mut self, i: usize, check_hash: bool) -> Result<(), TraceError> {
        let tick = self.header.first_tick + i as u64;
        let Some(&e) = self.table.get(i) else {
            return Err(TraceError::BadInput(format!("tick {tick} is not in the frame store")));
        };
        let frame_len = self.header.width as usize * self.header.height as usize * 4;
        self.buf.resize(e.len as usize, 0);
        self.file.seek(SeekFrom::Start(e.offset)).map_err(TraceError::io(FILE))?;
        self.file.read_exact(&mut self.buf).map_err(TraceError::io(FILE))?;
        self.planes.clear();
        self.planes.reserve(frame_len);
        let n = self.zstd.decompress_to_buffer(&self.buf[..], &mut self.planes).map_err(|err| {
            TraceError::corrupt(FILE, Some(tick), format!("payload does not decompress: {err}"))
        })?;
        if n != frame_len {
            return Err(TraceError::corrupt(FILE, Some(tick), "payload has the wrong size"));
        }
        let prev = match e.kind {
            Kind::Key => None,
            Kind::Delta => {
                if i == 0 || self.cur_index != Some(i - 1) {
                    return Err(TraceError::corrupt(FILE, Some(tick), "delta frame without its predecessor"));
                }
                Some(std::mem::take(&mut self.cur))
            }
        };
        let mut out = prev.clone().unwrap_or_else(|| vec![0; frame_len]);
        from_residual(&self.planes, prev.as_deref(), &mut out);
        self.cur = out;
        self.cur_index = Some(i);
        if check_hash && crate::hash_rgba(&self.cur) != e.hash {
            self.cur_index = None;
            return Err(TraceError::corrupt(
                FILE,
                Some(tick),
                "decoded frame does not match its stored hash",
            ));
        }
        Ok(())
    }

    /// Decodes the frame at `tick` and returns its RGBA bytes. Sequential reads decode one
    /// payload each; a jump decodes from the nearest key frame at or before `tick`.
    ///
    /// # Errors
    /// [`TraceError::BadInput`] when `tick` is not stored, [`TraceError::Corrupt`] when a
    /// payload is damaged (the decoded frame's hash is checked against the table).
    pub fn frame(&mut self, tick: u64) -> Result<&[u8], TraceError> {
        let i = tick
            .checked_sub(self.header.first_tick)
            .filter(|&i| i < self.table.len() as u64)
            .ok_or_else(|| TraceError::BadInput(format!("tick {tick} is not in the frame store")))?
            as usize;
        if self.cur_index != Some(i) {
            let start = match self.cur_index {
                Some(c) if c < i && self.table[c + 1..=i].iter().all(|e| e.kind == Kind::Delta) => c + 1,
                _ => (0..=i).rev().find(|&k| self.table[k].kind == Kind::Key).unwrap_or(0),
            };
            for k in start..=i {
                self.decode_index(k)?;
            }
        }
        Ok(&self.cur)
    }
}

impl StoreReader {
    /// Decodes the frame at `tick` as well as possible, without checking the decoded frame
    /// against its stored hash (frames before it are checked): for pictures of a mismatch.
    ///
    /// # Errors
    /// As [`StoreReader::frame`], except that a hash mismatch of `tick` itself is not one.
    pub fn frame_unchecked(&mut self, tick: u64) -> Result<&[u8], TraceError> {
        let i = tick
            .checked_sub(self.header.first_tick)
            .filter(|&i| i < self.table.len() as u64)
            .ok_or_else(|| TraceError::BadInput(format!("tick {tick} is not in the frame store")))?
            as usize;
        if i > 0 && self.table[i].kind == Kind::Delta {
            self.frame(tick - 1)?;
        }
        self.decode_index_checked(i, false)?;
        if crate::hash_rgba(&self.cur) != self.table[i].hash {
            // Not a frame later reads may build on.
            self.cur_index = None;
        }
        Ok(&self.cur)
    }
}

/// The number of complete zstd payloads after the header of a store without its end marker.
fn complete_payloads(file: &mut File, len: u64) -> std::io::Result<u64> {
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0).min(1 << 30));
    file.seek(SeekFrom::Start(0))?;
    file.read_to_end(&mut bytes)?;
    let mut at = HEADER;
    let mut n = 0;
    while at < bytes.len() {
        match zstd::zstd_safe::find_frame_compressed_size(&bytes[at..]) {
            Ok(size) if size > 0 => {
                at += size;
                n += 1;
            }
            _ => break,
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_random_access_and_corruption() {
        let dir = std::env::temp_dir().join(format!("tfs-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.tfs");
        let h =
            StoreHeader { width: 4, height: 2, rate_num: 60, rate_den: 1, first_tick: 10, key_interval: 3 };
        let frames: Vec<Vec<u8>> =
            (0..8u8).map(|t| (0..32u8).map(|i| i.wrapping_mul(t + 1)).collect()).collect();
        let mut w = StoreWriter::create(&path, h).unwrap();
        let mut enc = Encoder::new().unwrap();
        let mut out = Vec::new();
        for (i, f) in frames.iter().enumerate() {
            let key = i % 3 == 0;
            enc.encode(f, if key { None } else { Some(&frames[i - 1]) }, &mut out).unwrap();
            w.push(if key { Kind::Key } else { Kind::Delta }, crate::hash_rgba(f), &out).unwrap();
        }
        w.finish().unwrap();
        let mut r = StoreReader::open(&path).unwrap();
        assert_eq!(r.header(), h);
        for t in [17u64, 12, 10, 11, 15, 16] {
            assert_eq!(r.frame(t).unwrap(), &frames[(t - 10) as usize][..]);
        }
        assert!(r.frame(18).is_err());
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.truncate(bytes.len() - 5);
        std::fs::write(&path, &bytes).unwrap();
        assert!(matches!(StoreReader::open(&path), Err(TraceError::Corrupt { .. })));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
