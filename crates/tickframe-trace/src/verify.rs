//! `tickframe verify` and `tickframe trace diff`.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use tickframe_core::{FrameRate, RenderContext, Renderer, Size};
use tickframe_scenes::file::{Overrides, SceneFile, parse_scene_str};

use crate::index::{TraceIndex, parse_hex128, read_index};
use crate::store::StoreReader;
use crate::{TraceError, names};

/// How to verify.
#[derive(Debug)]
pub struct VerifyOptions<'a> {
    /// Worker threads re-rendering (default: available parallelism).
    pub workers: usize,
    /// Resolve relative asset paths against this folder instead of the recorded `asset_dir`.
    pub asset_dir: Option<PathBuf>,
    /// Where to write the PNG of the first mismatch (default: the trace folder).
    pub report_dir: Option<PathBuf>,
    /// Set to `true` to stop early.
    pub stop: &'a AtomicBool,
}

/// One check that failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// The file inside the trace: `index.json`, `trace.gif`, `trace.apng`, `frames.tfs`,
    /// `trace.fseq` or `scene.toml`.
    pub file: String,
    /// The first tick concerned, when known.
    pub tick: Option<u64>,
    /// What differs.
    pub message: String,
    /// A PNG showing expected, actual and their difference side by side, when one was written.
    pub image: Option<PathBuf>,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(t) = self.tick {
            write!(f, ": tick {t}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(p) = &self.image {
            write!(f, " (see {})", p.display())?;
        }
        Ok(())
    }
}

/// The outcome of [`verify`].
#[derive(Clone, Debug)]
pub struct VerifyReport {
    /// Frames re-rendered and compared.
    pub frames: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// What was checked (for the summary line).
    pub checked: Vec<String>,
    /// Every failed check, first tick first; empty when the trace verifies.
    pub mismatches: Vec<Mismatch>,
}

fn mismatch(file: &str, tick: Option<u64>, message: impl Into<String>) -> Mismatch {
    Mismatch { file: file.to_string(), tick, message: message.into(), image: None }
}

fn from_error(e: TraceError) -> Mismatch {
    match e {
        TraceError::Corrupt { file, tick, message } => Mismatch { file, tick, message, image: None },
        other => mismatch("?", None, other.to_string()),
    }
}

/// Loads the scene of a trace from its `scene.toml`, checking it against the recorded hash, with
/// relative assets resolved against `asset_dir` (default: the recorded folder) and the recorded
/// seed, size and rate.
///
/// # Errors
/// [`TraceError::BadInput`] when `scene.toml` is missing or the scene (or an asset) cannot be
/// loaded; [`TraceError::Corrupt`] when `scene.toml` differs from the recorded hash.
pub fn load_trace_scene(
    dir: &Path,
    index: &TraceIndex,
    asset_dir: Option<&Path>,
) -> Result<SceneFile, TraceError> {
    let path = dir.join(names::SCENE);
    let source = std::fs::read_to_string(&path).map_err(|e| {
        TraceError::BadInput(format!("`{}`: {e}: the trace cannot be re-rendered", path.display()))
    })?;
    let hash = crate::index::hex128(crate::hash_rgba(source.as_bytes()));
    if hash != index.scene.source_hash {
        return Err(TraceError::corrupt(
            names::SCENE,
            None,
            format!("content hash {hash} differs from the index's {}", index.scene.source_hash),
        ));
    }
    let size = Size::new(index.width, index.height).map_err(|e| TraceError::BadInput(e.to_string()))?;
    let rate =
        FrameRate::new(index.rate.num, index.rate.den).map_err(|e| TraceError::BadInput(e.to_string()))?;
    let assets = asset_dir.map_or_else(|| PathBuf::from(&index.scene.asset_dir), Path::to_path_buf);
    let overrides = Overrides { size: Some(size), rate: Some(rate), seed: Some(index.seed) };
    parse_scene_str(&source, &path.display().to_string(), &assets, &overrides).map_err(|e| {
        TraceError::BadInput(format!(
            "{e}\n(relative asset paths are resolved against `{}`, recorded when the trace was made; pass --assets DIR to use another folder)",
            assets.display()
        ))
    })
}

/// Writes a PNG of three panels side by side: `expected` (grey when unknown), `actual`, and
/// their difference (black where equal, magenta where any channel differs).
///
/// # Errors
/// I/O or encoding errors.
pub fn write_diff_png(
    path: &Path,
    w: u32,
    h: u32,
    expected: Option<&[u8]>,
    actual: &[u8],
) -> Result<(), TraceError> {
    let (wu, hu) = (w as usize, h as usize);
    let mut img = vec![0u8; wu * 3 * hu * 4];
    for y in 0..hu {
        for x in 0..wu {
            let i = (y * wu + x) * 4;
            let a = actual.get(i..i + 4).unwrap_or(&[0, 0, 0, 255]);
            let e = expected.and_then(|e| e.get(i..i + 4)).unwrap_or(&[128, 128, 128, 255]);
            let d: [u8; 4] = if expected.is_some() && a != e { [255, 0, 255, 255] } else { [0, 0, 0, 255] };
            let row = y * wu * 3;
            img[(row + x) * 4..][..4].copy_from_slice(e);
            img[(row + wu + x) * 4..][..4].copy_from_slice(a);
            img[(row + 2 * wu + x) * 4..][..4].copy_from_slice(&d);
        }
    }
    let file = File::create(path).map_err(TraceError::io(path))?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w * 3, h);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let err = |e: png::EncodingError| TraceError::BadInput(format!("`{}`: {e}", path.display()));
    let mut wr = enc.write_header().map_err(err)?;
    wr.write_image_data(&img).map_err(err)?;
    wr.finish().map_err(err)
}

/// Calls `f(frame number, delay (cs), composed RGBA)` for each GIF frame.
pub(crate) fn for_each_gif_frame(
    path: &Path,
    mut f: impl FnMut(usize, u16, &[u8]) -> bool,
) -> Result<(), TraceError> {
    let file = File::open(path).map_err(TraceError::io(path))?;
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::RGBA);
    let mut dec = opts
        .read_info(BufReader::new(file))
        .map_err(|e| TraceError::corrupt(names::GIF, None, format!("cannot read the GIF header: {e}")))?;
    let (w, h) = (usize::from(dec.width()), usize::from(dec.height()));
    let mut canvas = vec![0u8; w * h * 4];
    let mut n = 0;
    loop {
        let frame = match dec.read_next_frame() {
            Ok(Some(fr)) => fr,
            Ok(None) => return Ok(()),
            Err(e) => {
                return Err(TraceError::corrupt(
                    names::GIF,
                    None,
                    format!("GIF frame {n} cannot be decoded: {e}"),
                ));
            }
        };
        let (fl, ft, fw, fh) = (
            usize::from(frame.left),
            usize::from(frame.top),
            usize::from(frame.width),
            usize::from(frame.height),
        );
        if fl + fw > w || ft + fh > h || frame.buffer.len() < fw * fh * 4 {
            return Err(TraceError::corrupt(
                names::GIF,
                None,
                format!("GIF frame {n} lies outside the canvas"),
            ));
        }
        for y in 0..fh {
            for x in 0..fw {
                let s = &frame.buffer[(y * fw + x) * 4..][..4];
                if s[3] != 0 {
                    canvas[((ft + y) * w + fl + x) * 4..][..4].copy_from_slice(s);
                }
            }
        }
        if !f(n, frame.delay, &canvas) {
            return Ok(());
        }
        n += 1;
    }
}

/// Calls `f(frame number, (delay num, delay den), RGBA)` for each APNG frame (full frames only).
pub(crate) fn for_each_apng_frame(
    path: &Path,
    mut f: impl FnMut(usize, (u16, u16), &[u8]) -> bool,
) -> Result<(), TraceError> {
    let bad = |n: Option<usize>, m: String| {
        TraceError::corrupt(names::APNG, None, n.map_or(m.clone(), |n| format!("APNG frame {n}: {m}")))
    };
    let file = File::open(path).map_err(TraceError::io(path))?;
    let mut reader =
        png::Decoder::new(BufReader::new(file)).read_info().map_err(|e| bad(None, e.to_string()))?;
    let info = reader.info();
    let (w, h) = (info.width as usize, info.height as usize);
    let frames = info.animation_control.map_or(1, |a| a.num_frames as usize);
    if info.color_type != png::ColorType::Rgba || info.bit_depth != png::BitDepth::Eight {
        return Err(bad(None, "not an 8-bit RGBA image".into()));
    }
    let mut buf = vec![0u8; w * h * 4];
    for n in 0..frames {
        let out = reader.next_frame(&mut buf).map_err(|e| bad(Some(n), e.to_string()))?;
        let fc = reader.info().frame_control;
        let delay = fc.map_or((0, 0), |c| (c.delay_num, c.delay_den));
        if out.width as usize != w || out.height as usize != h {
            return Err(bad(Some(n), "not a full frame".into()));
        }
        if !f(n, delay, &buf) {
            break;
        }
    }
    Ok(())
}

/// Verifies a trace: re-renders every tick on all cores and compares the raw hashes with the
/// index; decodes `trace.gif` and `trace.apng` and checks every frame and delay against the
/// index; decodes every frame of `frames.tfs`; checks `trace.fseq` against the frame store.
/// On a mismatch, a PNG of expected / actual / difference is written for the first one.
///
/// # Errors
/// [`TraceError::BadInput`] when the index or scene cannot be read or an asset is missing
/// (exit 2); [`TraceError::Corrupt`] when `scene.toml` was edited (exit 1). Mismatches in the
/// frames are reported in [`VerifyReport::mismatches`], not as errors.
pub fn verify(
    dir: &Path,
    opts: &VerifyOptions<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<VerifyReport, TraceError> {
    let started = Instant::now();
    let index = read_index(dir)?;
    let mut mismatches = Vec::new();
    if let Err(e) = index.check() {
        match e {
            TraceError::Corrupt { .. } => mismatches.push(from_error(e)),
            other => return Err(other),
        }
    }
    let hashes: Vec<Option<u128>> = index.frames.iter().map(|r| parse_hex128(&r.hash)).collect();
    let scene = load_trace_scene(dir, &index, opts.asset_dir.as_deref())?;
    let (w, h) = (index.width, index.height);
    let ticks = index.ticks();
    let first = index.first_tick;
    let mut checked = vec![format!("{} re-rendered frames", index.frame_count)];
    let report_dir = opts.report_dir.clone().unwrap_or_else(|| dir.to_path_buf());

    let (render_result, file_results) = std::thread::scope(|s| {
        let mut handles = Vec::new();
        if let Some(g) = &index.files.gif {
            let path = dir.join(&g.name);
            let index = &index;
            handles.push(s.spawn(move || check_gif(&path, index)));
        }
        if let Some(a) = &index.files.apng {
            let path = dir.join(&a.name);
            let index = &index;
            handles.push(s.spawn(move || check_apng(&path, index, &hashes_of(index))));
        }
        if index.files.store.is_some() {
            let index = &index;
            handles.push(s.spawn(move || check_store(dir, index)));
        }
        // Re-render on the workers; stop at the first tick that differs.
        let base = RenderContext::new(scene.size, scene.rate, scene.seed, 0);
        let root = &*scene.root;
        let mut first_bad: Option<(u64, u128)> = None;
        let r = crate::pool::run_ordered(
            ticks.clone(),
            60,
            opts.workers,
            opts.stop,
            || Ok::<_, ()>((Renderer::default(), tickframe_core::Frame::new(scene.size))),
            |(renderer, frame), tick, _| {
                renderer.render(root, &base.at_tick(tick), frame);
                Ok(crate::hash_rgba(frame.as_bytes()))
            },
            |tick, hash| {
                progress(1);
                if hashes[(tick - first) as usize] != Some(hash) {
                    first_bad = Some((tick, hash));
                    return Err(());
                }
                Ok(())
            },
        );
        let files: Vec<Result<Vec<Mismatch>, TraceError>> = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Ok(vec![mismatch("?", None, "checker panicked")])))
            .collect();
        ((r, first_bad), files)
    });
    let (done, first_bad) = render_result;
    if let Some((tick, actual)) = first_bad {
        let expected_hash = index.frames[(tick - first) as usize].hash.clone();
        let mut m = mismatch(
            names::INDEX,
            Some(tick),
            format!(
                "re-rendered frame hash {} differs from the recorded {expected_hash}",
                crate::index::hex128(actual)
            ),
        );
        let frame = Renderer::default()
            .render_new(&*scene.root, &RenderContext::new(scene.size, scene.rate, scene.seed, tick));
        let expected = StoreReader::open(&dir.join(names::STORE))
            .ok()
            .and_then(|mut r| r.frame(tick).ok().map(<[u8]>::to_vec));
        let img = report_dir.join(format!("verify-tick-{tick}.png"));
        if write_diff_png(&img, w, h, expected.as_deref(), frame.as_bytes()).is_ok() {
            m.image = Some(img);
        }
        mismatches.push(m);
    } else if done.is_ok_and(|n| n < index.frame_count) {
        return Err(TraceError::Interrupted);
    }
    for (name, r) in [
        (index.files.gif.as_ref().map(|_| "GIF frames and delays"), ()),
        (index.files.apng.as_ref().map(|_| "APNG frames and delays"), ()),
        (index.files.store.as_ref().map(|_| "frame store"), ()),
    ]
    .into_iter()
    .filter_map(|(n, r)| n.map(|n| (n, r)))
    {
        let () = r;
        checked.push(name.to_string());
    }
    for r in file_results {
        match r {
            Ok(ms) => mismatches.extend(ms),
            Err(e @ TraceError::Corrupt { .. }) => mismatches.push(from_error(e)),
            Err(TraceError::Io { path, source }) => {
                mismatches.push(mismatch(
                    &path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                    None,
                    source.to_string(),
                ));
            }
            Err(e) => return Err(e),
        }
    }
    if let Some(fs) = &index.files.fseq {
        checked.push("FSEQ".into());
        mismatches.extend(check_fseq(dir, &index, fs));
    }
    // A diff image for the first GIF mismatch: the quantised re-render against the decoded frame.
    if let Some(m) =
        mismatches.iter_mut().find(|m| m.file == names::GIF && m.tick.is_some() && m.image.is_none())
        && let Some(tick) = m.tick
    {
        let r = &index.frames[(tick - first) as usize];
        if let Some(g) = r.gif_frame {
            let mut actual = None;
            let _ = for_each_gif_frame(&dir.join(names::GIF), |n, _, rgba| {
                if n as u64 == g {
                    actual = Some(rgba.to_vec());
                    return false;
                }
                true
            });
            let frame = Renderer::default()
                .render_new(&*scene.root, &RenderContext::new(scene.size, scene.rate, scene.seed, tick));
            let (mut idx, mut pal, mut exp) = (Vec::new(), Vec::new(), Vec::new());
            crate::quant::Quantizer::new().quantize(frame.as_bytes(), &mut idx, &mut pal);
            crate::quant::expand(&idx, &pal, &mut exp);
            let img = report_dir.join(format!("verify-gif-tick-{tick}.png"));
            if let Some(actual) = actual
                && write_diff_png(&img, w, h, Some(&exp), &actual).is_ok()
            {
                m.image = Some(img);
            }
        }
    }
    mismatches.sort_by_key(|m| (m.tick.is_none(), m.tick));
    Ok(VerifyReport { frames: index.frame_count, elapsed: started.elapsed(), checked, mismatches })
}

fn hashes_of(index: &TraceIndex) -> Vec<Option<u128>> {
    index.frames.iter().map(|r| parse_hex128(&r.hash)).collect()
}

fn check_gif(path: &Path, index: &TraceIndex) -> Result<Vec<Mismatch>, TraceError> {
    let file = names::GIF;
    let mut decoded: Vec<(u16, u128)> = Vec::new();
    let result = for_each_gif_frame(path, |_, d, rgba| {
        decoded.push((d, crate::hash_rgba(rgba)));
        true
    });
    let mut out = Vec::new();
    // Map a decode failure at GIF frame n to the first tick shown by frame n.
    if let Err(TraceError::Corrupt { message, .. }) = &result {
        let n = decoded.len() as u64;
        let tick = index.frames.iter().find(|r| r.gif_frame == Some(n)).map(|r| r.tick);
        out.push(mismatch(file, tick, message.clone()));
    } else {
        result?;
    }
    let mut prev: Option<&crate::FrameRecord> = None;
    let mut total_cs = 0u64;
    for r in &index.frames {
        if let Some(g) = r.gif_frame {
            let Some(&(delay, hash)) = decoded.get(g as usize) else {
                if out.is_empty() {
                    out.push(mismatch(file, Some(r.tick), format!("GIF frame {g} is missing")));
                }
                break;
            };
            if !r.gif_merged {
                total_cs += u64::from(delay);
                if u32::from(delay) != r.gif_delay_cs {
                    out.push(mismatch(
                        file,
                        Some(r.tick),
                        format!("GIF frame {g} has delay {delay} cs, the index says {}", r.gif_delay_cs),
                    ));
                    break;
                }
            } else if prev.is_none_or(|p| p.hash != r.hash || p.gif_frame != Some(g)) {
                out.push(mismatch(
                    names::INDEX,
                    Some(r.tick),
                    "marked as merged in the GIF but differs from the previous tick",
                ));
                break;
            }
            if r.gif_hash.as_deref().and_then(parse_hex128) != Some(hash) {
                out.push(mismatch(
                    file,
                    Some(r.tick),
                    format!(
                        "GIF frame {g} decodes to {}, the index says {}",
                        crate::index::hex128(hash),
                        r.gif_hash.as_deref().unwrap_or("nothing")
                    ),
                ));
                break;
            }
        }
        prev = Some(r);
    }
    if out.is_empty() {
        let dur_ms =
            index.frame_count as f64 * f64::from(index.rate.den) * 1000.0 / f64::from(index.rate.num);
        let first_ms =
            index.first_tick as f64 * f64::from(index.rate.den) * 1000.0 / f64::from(index.rate.num);
        // The GIF clock is rounded up at both ends, so each end is within 10 ms.
        let _ = first_ms;
        if (total_cs as f64 * 10.0 - dur_ms).abs() > 10.0 + 1e-6 {
            out.push(mismatch(
                file,
                None,
                format!("delays add up to {} ms, the trace lasts {dur_ms:.3} ms", total_cs * 10),
            ));
        }
        if let Some(g) = &index.files.gif
            && g.frames != decoded.len() as u64
        {
            out.push(mismatch(file, None, format!("{} frames, the index says {}", decoded.len(), g.frames)));
        }
    }
    Ok(out)
}

fn check_apng(path: &Path, index: &TraceIndex, hashes: &[Option<u128>]) -> Result<Vec<Mismatch>, TraceError> {
    let rate =
        FrameRate::new(index.rate.num, index.rate.den).map_err(|e| TraceError::BadInput(e.to_string()))?;
    let expected: Vec<(u16, u16)> = crate::timing::apng_delays(rate, index.ticks()).collect();
    let mut out = Vec::new();
    let mut n_frames = 0usize;
    let r = for_each_apng_frame(path, |n, delay, rgba| {
        n_frames = n + 1;
        let tick = index.first_tick + n as u64;
        if n >= hashes.len() {
            out.push(mismatch(names::APNG, Some(tick), "more frames than the index"));
            return false;
        }
        if delay != expected[n] {
            out.push(mismatch(
                names::APNG,
                Some(tick),
                format!("delay {}/{} s, expected {}/{}", delay.0, delay.1, expected[n].0, expected[n].1),
            ));
            return false;
        }
        let hash = crate::hash_rgba(rgba);
        if hashes[n] != Some(hash) {
            out.push(mismatch(
                names::APNG,
                Some(tick),
                format!(
                    "frame {n} decodes to {}, the index says {}",
                    crate::index::hex128(hash),
                    index.frames[n].hash
                ),
            ));
            return false;
        }
        true
    });
    if let Err(TraceError::Corrupt { message, .. }) = r {
        out.push(mismatch(names::APNG, Some(index.first_tick + n_frames as u64), message));
    } else {
        r?;
        if out.is_empty() && n_frames != hashes.len() {
            out.push(mismatch(
                names::APNG,
                Some(index.first_tick + n_frames as u64),
                format!("{n_frames} frames, the index has {}", hashes.len()),
            ));
        }
    }
    Ok(out)
}

fn check_store(dir: &Path, index: &TraceIndex) -> Result<Vec<Mismatch>, TraceError> {
    let mut r = match StoreReader::open(&dir.join(names::STORE)) {
        Ok(r) => r,
        Err(e @ TraceError::Corrupt { .. }) => return Ok(vec![from_error(e)]),
        Err(TraceError::Io { source, .. }) => {
            return Ok(vec![mismatch(names::STORE, None, source.to_string())]);
        }
        Err(e) => return Err(e),
    };
    let h = r.header();
    if (h.width, h.height, h.rate_num, h.rate_den, h.first_tick, r.len() as u64)
        != (index.width, index.height, index.rate.num, index.rate.den, index.first_tick, index.frame_count)
    {
        return Ok(vec![mismatch(names::STORE, None, "header (size, rate, ticks) does not match the index")]);
    }
    for rec in &index.frames {
        if r.entries()[(rec.tick - index.first_tick) as usize].hash
            != parse_hex128(&rec.hash).unwrap_or_default()
        {
            return Ok(vec![mismatch(
                names::STORE,
                Some(rec.tick),
                format!("stored hash differs from the index's {}", rec.hash),
            )]);
        }
        if let Err(e) = r.frame(rec.tick) {
            return Ok(vec![from_error(e)]);
        }
    }
    Ok(Vec::new())
}

fn check_fseq(dir: &Path, index: &TraceIndex, info: &crate::FileInfo) -> Vec<Mismatch> {
    let file = names::FSEQ;
    let f = match crate::fseq::read_fseq(&dir.join(&info.name)) {
        Ok(f) => f,
        Err(e) => return vec![from_error(e)],
    };
    let Ok(rate) = FrameRate::new(index.rate.num, index.rate.den) else { return Vec::new() };
    if f.channels != index.width * index.height * 3
        || u32::from(f.step_ms) != crate::fseq::step_ms(rate)
        || f.frames.len() as u64 != crate::fseq::frame_count(rate, index.frame_count)
    {
        return vec![mismatch(file, None, "header (channels, step, frame count) does not match the trace")];
    }
    let Ok(mut store) = StoreReader::open(&dir.join(names::STORE)) else { return Vec::new() };
    for (k, data) in f.frames.iter().enumerate() {
        let tick = index.first_tick + crate::fseq::tick_of(rate, k as u64);
        let Ok(rgba) = store.frame(tick) else { return Vec::new() };
        if !rgba.chunks_exact(4).zip(data.chunks_exact(3)).all(|(p, c)| p[..3] == *c) {
            return vec![mismatch(file, Some(tick), format!("FSEQ frame {k} differs from the frame store"))];
        }
    }
    Vec::new()
}

/// Compares two traces by their indexes: `None` when they hold the same frames at the same
/// ticks, else the first tick where they differ (or `None` as tick when the traces are not
/// comparable, e.g. different sizes) and why.
///
/// # Errors
/// [`TraceError::BadInput`] when an index cannot be read.
pub fn diff_traces(a: &Path, b: &Path) -> Result<Option<(Option<u64>, String)>, TraceError> {
    let (ia, ib) = (read_index(a)?, read_index(b)?);
    if (ia.width, ia.height) != (ib.width, ib.height) {
        return Ok(Some((
            None,
            format!("sizes differ: {}x{} and {}x{}", ia.width, ia.height, ib.width, ib.height),
        )));
    }
    if ia.rate != ib.rate {
        return Ok(Some((None, "frame rates differ".into())));
    }
    let (ra, rb) = (ia.ticks(), ib.ticks());
    if ra.start != rb.start {
        return Ok(Some((Some(ra.start.min(rb.start)), "the traces start at different ticks".into())));
    }
    for (x, y) in ia.frames.iter().zip(&ib.frames) {
        if x.hash != y.hash || x.tick != y.tick {
            return Ok(Some((
                Some(x.tick),
                format!("hash {} in `{}`, {} in `{}`", x.hash, a.display(), y.hash, b.display()),
            )));
        }
    }
    if ra.end != rb.end {
        let t = ra.end.min(rb.end);
        return Ok(Some((Some(t), format!("one trace ends before tick {t}"))));
    }
    Ok(None)
}
