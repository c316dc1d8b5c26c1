//! `tickframe trace`: render ticks in parallel, write GIF, APNG, frame store, FSEQ, then the
//! index, last and atomically.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use tickframe_core::{DrawMode, Frame, FrameRate, RenderContext, Renderer, Size};
use tickframe_scenes::file::SceneFile;

use crate::gifenc::{GifPrepared, GifTick, GifWriter};
use crate::index::{
    FileInfo, Files, FrameRecord, Rate, SceneInfo, TraceClock, TraceIndex, digest_of, hex128,
};
use crate::quant::Quantizer;
use crate::store::{self, Kind, StoreHeader, StoreWriter};
use crate::{TraceError, names};

/// Which files a trace gets (the index and `scene.toml` always).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Formats {
    /// `trace.gif`.
    pub gif: bool,
    /// `trace.apng`.
    pub apng: bool,
    /// `frames.tfs`.
    pub store: bool,
    /// `trace.fseq`.
    pub fseq: bool,
}

impl Default for Formats {
    /// GIF, APNG and the frame store.
    fn default() -> Self {
        Formats { gif: true, apng: true, store: true, fseq: false }
    }
}

impl Formats {
    /// Parses a comma-separated list of `gif`, `apng`, `tfs` (or `store`), `fseq`, `all`.
    ///
    /// # Errors
    /// A message naming the unknown word.
    pub fn parse(list: &str) -> Result<Formats, String> {
        let mut f = Formats { gif: false, apng: false, store: false, fseq: false };
        for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            match word {
                "gif" => f.gif = true,
                "apng" => f.apng = true,
                "tfs" | "store" => f.store = true,
                "fseq" => f.fseq = true,
                "all" => f = Formats { gif: true, apng: true, store: true, fseq: true },
                _ => return Err(format!("unknown format `{word}`: expected gif, apng, tfs, fseq or all")),
            }
        }
        Ok(f)
    }
}

/// How to export.
#[derive(Debug)]
pub struct ExportOptions<'a> {
    /// The trace folder (created when missing).
    pub dir: PathBuf,
    /// The ticks to render, `start..end`.
    pub ticks: Range<u64>,
    /// Worker threads (default: available parallelism).
    pub workers: usize,
    /// Files to write.
    pub formats: Formats,
    /// Replace a trace already in `dir` (otherwise a non-empty `dir` is refused).
    pub force: bool,
    /// Set to `true` (e.g. on Ctrl-C) to stop; no index is written then.
    pub stop: &'a AtomicBool,
    /// Drawing path (both give identical pixels).
    pub draw: DrawMode,
    /// The clock start the scene was loaded with (`trace --clock`), recorded in the index so
    /// `verify` re-renders with it; `None` when the scene file's own start applies.
    pub clock: Option<TraceClock>,
}

/// What an export wrote.
#[derive(Debug)]
pub struct ExportSummary {
    /// The index as written.
    pub index: TraceIndex,
    /// Wall time of the export.
    pub elapsed: Duration,
    /// Every file written with its size in bytes (index last).
    pub files: Vec<(String, u64)>,
    /// Worker threads that rendered: the requested count, at most one per chunk of
    /// [`crate::store::KEY_INTERVAL`] ticks.
    pub workers: usize,
}

/// The facts of a trace that do not depend on the frames.
#[derive(Clone, Debug)]
pub(crate) struct Meta {
    pub scene: SceneInfo,
    pub source: String,
    pub seed: u64,
    pub clock: Option<TraceClock>,
    pub size: Size,
    pub rate: FrameRate,
}

/// Exports `scene` (loaded from the file whose assets live in `asset_dir`) into a trace.
///
/// `progress(n)` is called as frames complete (`n` frames more).
///
/// # Errors
/// [`TraceError::NotEmpty`], I/O errors, [`TraceError::Interrupted`] when `stop` was set.
pub fn export_scene(
    scene: &SceneFile,
    asset_dir: &Path,
    opts: &ExportOptions<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<ExportSummary, TraceError> {
    let meta = Meta {
        scene: SceneInfo {
            file: names::SCENE.to_string(),
            original_path: scene.path.as_ref().map(|p| absolute(p).display().to_string()),
            asset_dir: absolute(asset_dir).display().to_string(),
            source_hash: hex128(crate::hash_rgba(scene.source.as_bytes())),
        },
        source: scene.source.clone(),
        seed: scene.seed,
        clock: opts.clock.clone(),
        size: scene.size,
        rate: scene.rate,
    };
    let base = RenderContext::new(scene.size, scene.rate, scene.seed, 0);
    let root = &*scene.root;
    let playlist = scene.root_playlist.as_deref();
    export_frames(
        &meta,
        opts,
        || Ok((Renderer::new(opts.draw), Frame::new(scene.size))),
        |(renderer, frame), tick, out| {
            let t = Instant::now();
            renderer.render(root, &base.at_tick(tick), frame);
            let us = t.elapsed().as_micros() as u64;
            out.clear();
            out.extend_from_slice(frame.as_bytes());
            Ok((us, playlist.map(|p| p.position(tick).entry as u32)))
        },
        progress,
    )
}

pub(crate) fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).or_else(|_| std::path::absolute(p)).unwrap_or_else(|_| p.to_path_buf())
}

/// Writes `bytes` to `path` through a temporary file and a rename.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), TraceError> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.partial"));
    let r = File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, path));
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r.map_err(TraceError::io(path))
}

/// Prepares `dir`: refuses a non-empty folder unless `force`, in which case the old index is
/// removed first (so the folder never looks complete) and then the old trace files.
pub(crate) fn prepare_dir(dir: &Path, force: bool) -> Result<(), TraceError> {
    if let Ok(mut entries) = std::fs::read_dir(dir)
        && entries.next().is_some()
    {
        if !force {
            return Err(TraceError::NotEmpty(dir.to_path_buf()));
        }
        for name in [names::INDEX, names::GIF, names::APNG, names::STORE, names::FSEQ, names::SCENE] {
            match std::fs::remove_file(dir.join(name)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(TraceError::Io { path: dir.join(name), source: e });
                }
                _ => {}
            }
        }
    }
    std::fs::create_dir_all(dir).map_err(TraceError::io(dir))
}

/// Records reserved up front at most (more are allocated as frames arrive).
const PREALLOCATE: usize = 4096;

struct Item {
    frame: Option<Vec<u8>>,
    hash: u128,
    render_us: u64,
    entry: Option<u32>,
    gif: Option<GifPrepared>,
    store: Option<(Kind, Vec<u8>)>,
}

struct WorkerState<S> {
    src: S,
    cur: Vec<u8>,
    prev: Vec<u8>,
    prev_hash: u128,
    q: Quantizer,
    enc: store::Encoder,
    indices: Vec<u8>,
    palette: Vec<u8>,
    expanded: Vec<u8>,
}

/// The export pipeline over any source of frames (a renderer, or shard stores for `merge`).
pub(crate) fn export_frames<S>(
    meta: &Meta,
    opts: &ExportOptions<'_>,
    init: impl Fn() -> Result<S, TraceError> + Sync,
    get: impl Fn(&mut S, u64, &mut Vec<u8>) -> Result<(u64, Option<u32>), TraceError> + Sync,
    progress: &mut dyn FnMut(u64),
) -> Result<ExportSummary, TraceError> {
    let started = Instant::now();
    let ticks = opts.ticks.clone();
    let count = ticks.end.saturating_sub(ticks.start);
    if count == 0 {
        return Err(TraceError::BadInput("nothing to trace: the tick range is empty".into()));
    }
    if count > crate::index::MAX_FRAMES {
        return Err(TraceError::BadInput(format!(
            "ticks {}..{} are {count} frames: a trace holds at most {} (2^24, 77 hours at 60 fps)",
            ticks.start,
            ticks.end,
            crate::index::MAX_FRAMES
        )));
    }
    let (w, h, rate) = (meta.size.width(), meta.size.height(), meta.rate);
    let f = opts.formats;
    let dir = &opts.dir;
    prepare_dir(dir, opts.force)?;
    write_atomically(&dir.join(names::SCENE), meta.source.as_bytes())?;

    let mut gif =
        if f.gif { Some(GifWriter::create(&dir.join(names::GIF), w, h, rate, ticks.start)?) } else { None };
    let mut store = if f.store {
        let header = StoreHeader {
            width: w,
            height: h,
            rate_num: rate.num(),
            rate_den: rate.den(),
            first_tick: ticks.start,
            key_interval: store::KEY_INTERVAL,
        };
        Some(StoreWriter::create(&dir.join(names::STORE), header)?)
    } else {
        None
    };
    let fseq_id = xxhash_rust::xxh3::xxh3_64(
        format!("{}:{}:{}", meta.scene.source_hash, meta.seed, ticks.start).as_bytes(),
    );
    let mut fseq = if f.fseq {
        Some(crate::fseq::FseqWriter::create(&dir.join(names::FSEQ), (w * h) as usize, rate, count, fseq_id)?)
    } else {
        None
    };
    let apng_path = dir.join(names::APNG);
    let mut apng_out = if f.apng {
        Some(BufWriter::with_capacity(1 << 20, File::create(&apng_path).map_err(TraceError::io(&apng_path))?))
    } else {
        None
    };
    let png_err = |e: png::EncodingError| TraceError::BadInput(format!("`{}`: {e}", apng_path.display()));
    let mut apng = match apng_out.as_mut() {
        Some(out) => {
            let mut enc = png::Encoder::new(out, w, h);
            enc.set_color(png::ColorType::Rgba);
            enc.set_depth(png::BitDepth::Eight);
            enc.set_compression(png::Compression::Fast);
            let frames =
                u32::try_from(count).map_err(|_| TraceError::BadInput("too many frames for APNG".into()))?;
            enc.set_animated(frames, 0).map_err(png_err)?;
            Some(enc.write_header().map_err(png_err)?)
        }
        None => None,
    };
    let mut apng_delays = crate::timing::apng_delays(rate, ticks.clone());

    // Grown as frames arrive: nothing is allocated up front in proportion to the frame count.
    let mut records: Vec<FrameRecord> = Vec::with_capacity((count as usize).min(PREALLOCATE));
    let mut gif_ticks: Vec<GifTick> = Vec::with_capacity(if f.gif { records.capacity() } else { 0 });
    let recycled: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
    let need_frame = f.apng || f.fseq;
    let workers = crate::pool::workers_for(opts.workers, count, u64::from(store::KEY_INTERVAL));

    let done = crate::pool::run_ordered(
        ticks.clone(),
        u64::from(store::KEY_INTERVAL),
        workers,
        opts.stop,
        || {
            Ok(WorkerState {
                src: init()?,
                cur: Vec::new(),
                prev: Vec::new(),
                prev_hash: 0,
                q: Quantizer::new(),
                enc: store::Encoder::new().map_err(TraceError::io("zstd"))?,
                indices: Vec::new(),
                palette: Vec::new(),
                expanded: Vec::new(),
            })
        },
        |st, tick, chunk_start| {
            let (render_us, entry) = get(&mut st.src, tick, &mut st.cur)?;
            let hash = crate::hash_rgba(&st.cur);
            let gif = (f.gif && (chunk_start || hash != st.prev_hash)).then(|| {
                crate::gifenc::prepare(
                    &mut st.q,
                    &st.cur,
                    w,
                    h,
                    &mut st.indices,
                    &mut st.palette,
                    &mut st.expanded,
                )
            });
            let store = if f.store {
                let mut out = Vec::new();
                let prev = if chunk_start { None } else { Some(&st.prev[..]) };
                let kind = st.enc.encode_best(&st.cur, prev, &mut out).map_err(TraceError::io("zstd"))?;
                Some((kind, out))
            } else {
                None
            };
            let frame = need_frame.then(|| {
                let mut v = recycled.lock().map(|mut r| r.pop()).ok().flatten().unwrap_or_default();
                v.clear();
                v.extend_from_slice(&st.cur);
                v
            });
            std::mem::swap(&mut st.cur, &mut st.prev);
            st.prev_hash = hash;
            Ok(Item { frame, hash, render_us, entry, gif, store })
        },
        |tick, item| {
            let slot = (tick - ticks.start) as usize;
            records.push(FrameRecord {
                tick,
                time: format!("{}/{}", u128::from(tick) * u128::from(rate.den()), rate.num()),
                hash: hex128(item.hash),
                render_us: item.render_us,
                gif_frame: None,
                gif_delay_cs: 0,
                gif_merged: false,
                gif_hash: None,
                entry: item.entry,
            });
            if let Some(g) = gif.as_mut() {
                g.push(tick, slot, item.hash, item.gif, &mut gif_ticks)?;
            }
            if let Some((kind, payload)) = &item.store
                && let Some(s) = store.as_mut()
            {
                s.push(*kind, item.hash, payload)?;
            }
            if let Some(frame) = item.frame {
                if let Some(a) = apng.as_mut() {
                    let (n, d) = apng_delays.next().unwrap_or((1, 1));
                    a.set_frame_delay(n, d).map_err(png_err)?;
                    a.write_image_data(&frame).map_err(png_err)?;
                }
                if let Some(fs) = fseq.as_mut() {
                    fs.push(slot as u64, &frame)?;
                }
                if let Ok(mut r) = recycled.lock() {
                    r.push(frame);
                }
            }
            progress(1);
            Ok(())
        },
    )?;
    if done < count {
        return Err(TraceError::Interrupted);
    }

    let mut files = Files::default();
    let mut sizes = Vec::new();
    let mut gif_merged = 0;
    if let Some(g) = gif {
        gif_merged = g.merged;
        let (bytes, frames) = g.finish(ticks.end, &mut gif_ticks)?;
        files.gif = Some(FileInfo { name: names::GIF.into(), bytes, frames, step_ms: None });
        sizes.push((names::GIF.to_string(), bytes));
        for (r, g) in records.iter_mut().zip(&gif_ticks) {
            r.gif_frame = g.frame;
            r.gif_delay_cs = g.delay_cs;
            r.gif_merged = g.merged;
            r.gif_hash = g.frame.map(|_| hex128(g.hash));
        }
    }
    if apng.map(png::Writer::finish).transpose().map_err(png_err)?.is_some() {
        if let Some(mut out) = apng_out {
            out.flush().map_err(TraceError::io(&apng_path))?;
        }
        let bytes = std::fs::metadata(&apng_path).map_err(TraceError::io(&apng_path))?.len();
        files.apng = Some(FileInfo { name: names::APNG.into(), bytes, frames: count, step_ms: None });
        sizes.push((names::APNG.to_string(), bytes));
    }
    if let Some(s) = store {
        let bytes = s.finish()?;
        files.store = Some(FileInfo { name: names::STORE.into(), bytes, frames: count, step_ms: None });
        sizes.push((names::STORE.to_string(), bytes));
    }
    if let Some(fs) = fseq {
        let (bytes, frames) = fs.finish()?;
        files.fseq = Some(FileInfo {
            name: names::FSEQ.into(),
            bytes,
            frames,
            step_ms: Some(crate::fseq::step_ms(rate)),
        });
        sizes.push((names::FSEQ.to_string(), bytes));
    }
    let index = build_index(meta, ticks.start, records, files, gif_merged)?;
    let json = serde_json::to_vec_pretty(&index).map_err(|e| TraceError::BadInput(e.to_string()))?;
    if opts.stop.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(TraceError::Interrupted);
    }
    write_atomically(&dir.join(names::INDEX), &json)?;
    sizes.push((names::SCENE.to_string(), meta.source.len() as u64));
    sizes.push((names::INDEX.to_string(), json.len() as u64));
    Ok(ExportSummary { index, elapsed: started.elapsed(), files: sizes, workers })
}

pub(crate) fn build_index(
    meta: &Meta,
    first_tick: u64,
    frames: Vec<FrameRecord>,
    files: Files,
    gif_merged: u64,
) -> Result<TraceIndex, TraceError> {
    let hashes: Vec<(u64, u128)> =
        frames.iter().map(|r| (r.tick, crate::index::parse_hex128(&r.hash).unwrap_or_default())).collect();
    let count = frames.len() as u64;
    Ok(TraceIndex {
        format: "tickframe-trace".into(),
        format_version: crate::FORMAT_VERSION,
        tickframe_version: env!("CARGO_PKG_VERSION").into(),
        scene: meta.scene.clone(),
        seed: meta.seed,
        clock: meta.clock.clone(),
        width: meta.size.width(),
        height: meta.size.height(),
        rate: Rate { num: meta.rate.num(), den: meta.rate.den() },
        first_tick,
        frame_count: count,
        duration: format!("{}/{}", u128::from(count) * u128::from(meta.rate.den()), meta.rate.num()),
        hash_algorithm: "xxh3-128".into(),
        digest: hex128(digest_of(hashes)),
        gif_merged_frames: gif_merged,
        files,
        frames,
    })
}
