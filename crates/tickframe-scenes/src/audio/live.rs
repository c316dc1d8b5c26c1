//! Live audio input for the visualizer (`source = "live"`), and replaying a live show's bands
//! from its frame log (`source = "log"`).
//!
//! **Live input is not reproducible**: what a tick shows depends on the sound in the room and
//! on when the tick was rendered. Everything else in tickframe is a pure function of (scene
//! description, seed, tick); a live visualizer is the one exception, and says so (the CLI marks
//! the run `live_input` and refuses to trace or verify it). What makes a live show traceable is
//! the frame log: the band values every tick was drawn from are written to it, and
//! `source = "log"` draws a tick from those values, so the show can be re-rendered, traced and
//! verified exactly afterwards.
//!
//! # The path of the samples
//! 1. The capture callback (cpal, only with the `live-audio` feature; or any other source, e.g.
//!    a test's synthetic tone) averages each frame's channels to mono and pushes the samples
//!    into a lock-free single-producer single-consumer ring ([`rtrb`]) through a
//!    [`SampleSink`]: no allocation, no lock, no logging; when the ring is full the samples
//!    are dropped and counted ([`LiveInput::overruns`]).
//! 2. An analysis thread drains the ring ([`SamplePump`]) and runs the very analysis of audio
//!    files on it, hop by hop ([`StreamAnalysis`]: the same window, bands, gain, smoothing and
//!    peaks), publishing each new row of levels and peaks (a seqlock of atomics: the readers
//!    never block the writer, nor each other).
//! 3. Rendering tick `t` takes the latest row the first time `t` is drawn and *latches* it for
//!    `t` in a history of [`HISTORY_TICKS`] ticks, so every later render of `t` (another
//!    output's seed, a re-render after eviction) draws the same values, and the frame log's
//!    writer finds exactly the values tick `t` was drawn from.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering, fence};
use std::thread::JoinHandle;
use std::time::Duration;

use tickframe_core::Tick;

use super::analysis::{AnalysisSettings, StreamAnalysis};

/// The most bands a visualizer draws (and a frame log record carries).
pub const MAX_BANDS: usize = 64;
/// Ticks whose latched band values are kept (for re-renders and the frame log's writer):
/// 4096, about 68 s at 60 fps.
pub const HISTORY_TICKS: usize = 4096;
/// A latched row is reused for a re-render of its tick only while fewer than this many hops
/// (10 ms each) have been analysed since (1 s); after that (e.g. a seek back to an old tick)
/// the tick is drawn from the current sound again.
pub const FRESH_HOPS: u64 = 100;
/// How long the analysis thread sleeps when the ring is empty, in ms.
pub const POLL_MS: u64 = 2;

/// One row of band values: levels and peak markers, `0..=65535` of the full height.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct BandRow {
    /// How many bands are valid (the first `bands` entries of each array).
    pub bands: usize,
    /// Band levels.
    pub levels: [u16; MAX_BANDS],
    /// Peak markers.
    pub peaks: [u16; MAX_BANDS],
}

impl BandRow {
    /// `bands` empty bands (every level and peak 0).
    pub fn empty(bands: usize) -> BandRow {
        BandRow { bands: bands.min(MAX_BANDS), levels: [0; MAX_BANDS], peaks: [0; MAX_BANDS] }
    }

    /// The valid levels.
    pub fn levels(&self) -> &[u16] {
        &self.levels[..self.bands]
    }

    /// The valid peaks.
    pub fn peaks(&self) -> &[u16] {
        &self.peaks[..self.bands]
    }
}

/// Where a visualizer without an audio file gets the band values of a tick.
pub trait BandFeed: Send + Sync + std::fmt::Debug {
    /// Number of bands.
    fn bands(&self) -> usize;
    /// Writes the band values tick `tick` is drawn from into `out` (empty bands when there are
    /// none). Must not allocate or block.
    fn row_for_tick(&self, tick: Tick, out: &mut BandRow);
}

/// Band values behind a seqlock of atomics: one writer, any number of readers, nobody waits
/// (a reader retries when it overlapped a write).
#[derive(Debug)]
struct SeqRow {
    seq: AtomicU64,
    /// Tick + 1 (0: nothing latched), in the latch history; unused for the published row.
    tick: AtomicU64,
    /// The number of hops published when the row was taken.
    stamp: AtomicU64,
    levels: [AtomicU16; MAX_BANDS],
    peaks: [AtomicU16; MAX_BANDS],
}

impl SeqRow {
    fn new() -> SeqRow {
        SeqRow {
            seq: AtomicU64::new(0),
            tick: AtomicU64::new(0),
            stamp: AtomicU64::new(0),
            levels: std::array::from_fn(|_| AtomicU16::new(0)),
            peaks: std::array::from_fn(|_| AtomicU16::new(0)),
        }
    }

    /// A consistent copy: `(tick field, stamp)`, or `None` when a write overlapped (retry).
    fn try_read(&self, bands: usize, out: &mut BandRow) -> Option<(u64, u64, u64)> {
        let s1 = self.seq.load(Ordering::Acquire);
        if s1 & 1 == 1 {
            return None;
        }
        let tick = self.tick.load(Ordering::Relaxed);
        let stamp = self.stamp.load(Ordering::Relaxed);
        out.bands = bands;
        for b in 0..bands {
            out.levels[b] = self.levels[b].load(Ordering::Relaxed);
            out.peaks[b] = self.peaks[b].load(Ordering::Relaxed);
        }
        fence(Ordering::Acquire);
        (self.seq.load(Ordering::Relaxed) == s1).then_some((s1, tick, stamp))
    }

    /// Writes while holding the odd sequence number `s + 1` (taken by the caller).
    fn write_held(&self, s: u64, tick: u64, stamp: u64, row: &BandRow) {
        fence(Ordering::Release);
        self.tick.store(tick, Ordering::Relaxed);
        self.stamp.store(stamp, Ordering::Relaxed);
        for b in 0..row.bands {
            self.levels[b].store(row.levels[b], Ordering::Relaxed);
            self.peaks[b].store(row.peaks[b], Ordering::Relaxed);
        }
        self.seq.store(s + 2, Ordering::Release);
    }
}

/// What the analysis thread, the renderers and the frame log share.
#[derive(Debug)]
struct Shared {
    bands: usize,
    latest: SeqRow,
    /// Hops published so far.
    published: AtomicU64,
    history: Vec<SeqRow>,
    counters: Arc<Counters>,
    stop: AtomicBool,
}

/// What the capture side counts.
#[derive(Debug, Default)]
struct Counters {
    overruns: AtomicU64,
    stream_errors: AtomicU64,
}

impl Shared {
    /// The latest published row and the number of hops published.
    fn latest(&self, out: &mut BandRow) -> u64 {
        loop {
            if let Some((_, _, stamp)) = self.latest.try_read(self.bands, out) {
                return stamp;
            }
            std::hint::spin_loop();
        }
    }

    fn publish(&self, levels: &[u16], peaks: &[u16]) {
        let n = self.published.load(Ordering::Relaxed) + 1;
        let mut row = BandRow::empty(self.bands);
        row.levels[..self.bands].copy_from_slice(&levels[..self.bands]);
        row.peaks[..self.bands].copy_from_slice(&peaks[..self.bands]);
        // The only writer of `latest`: take the odd number and write.
        let s = self.latest.seq.load(Ordering::Relaxed);
        self.latest.seq.store(s + 1, Ordering::Relaxed);
        self.latest.write_held(s, 0, n, &row);
        self.published.store(n, Ordering::Release);
    }
}

/// The producing side of the sample ring: what a capture callback holds. Pushing never
/// allocates, locks or blocks.
#[derive(Debug)]
pub struct SampleSink {
    producer: rtrb::Producer<f32>,
    counters: Arc<Counters>,
}

impl SampleSink {
    /// Pushes interleaved frames of `channels` samples, each frame averaged to one mono sample
    /// (`to_f32` converts a sample to `-1.0..=1.0`). A trailing partial frame is ignored. When
    /// the ring is full the rest is dropped and counted. Returns the mono samples pushed.
    pub fn push_interleaved<T: Copy>(
        &mut self,
        data: &[T],
        channels: usize,
        to_f32: impl Fn(T) -> f32,
    ) -> usize {
        let channels = channels.max(1);
        let scale = 1.0 / channels as f32;
        let mut pushed = 0;
        for frame in data.chunks_exact(channels) {
            let sum: f32 = frame.iter().map(|&s| to_f32(s)).sum();
            let mono = if channels == 1 { sum } else { sum * scale };
            if self.producer.push(mono).is_err() {
                let lost = (data.len() / channels - pushed) as u64;
                self.counters.overruns.fetch_add(lost, Ordering::Relaxed);
                break;
            }
            pushed += 1;
        }
        pushed
    }

    /// The counter of the capture backend's errors, for its error callback.
    pub fn errors(&self) -> StreamErrors {
        StreamErrors(Arc::clone(&self.counters))
    }
}

/// Counts the errors a capture backend reports (device overruns, disconnection): no
/// allocation, no lock, no logging; [`LiveInput::stream_errors`] reads the count.
#[derive(Clone, Debug)]
pub struct StreamErrors(Arc<Counters>);

impl StreamErrors {
    /// Counts one error.
    pub fn record(&self) {
        self.0.stream_errors.fetch_add(1, Ordering::Relaxed);
    }
}

/// Drains a sample ring into a [`StreamAnalysis`], keeping the last `fft_len` samples.
#[derive(Debug)]
pub struct SamplePump {
    analysis: StreamAnalysis,
    buf: Vec<f32>,
    total: i64,
    levels: [u16; MAX_BANDS],
    peaks: [u16; MAX_BANDS],
}

impl SamplePump {
    /// A pump for `analysis` (which must have at most [`MAX_BANDS`] bands).
    pub fn new(analysis: StreamAnalysis) -> SamplePump {
        let n = analysis.fft_len();
        SamplePump { analysis, buf: vec![0.0; n], total: 0, levels: [0; MAX_BANDS], peaks: [0; MAX_BANDS] }
    }

    /// Takes one sample; calls `on_row(hop, levels, peaks)` for every hop it completes.
    pub fn feed(&mut self, x: f32, mut on_row: impl FnMut(i64, &[u16], &[u16])) {
        let n = self.buf.len();
        self.buf[self.total as usize % n] = x;
        self.total += 1;
        while self.total >= self.analysis.samples_needed() {
            let start = self.analysis.samples_needed() - n as i64;
            let hop = self.analysis.next_hop();
            let buf = &self.buf;
            self.analysis.step(
                |i| {
                    let p = start + i as i64;
                    if p < 0 { 0.0 } else { buf[p as usize % n] }
                },
                &mut self.levels,
                &mut self.peaks,
            );
            let bands = self.analysis.bands();
            on_row(hop, &self.levels[..bands], &self.peaks[..bands]);
        }
    }

    /// Takes every sample waiting in `ring`; returns how many.
    pub fn drain(
        &mut self,
        ring: &mut rtrb::Consumer<f32>,
        mut on_row: impl FnMut(i64, &[u16], &[u16]),
    ) -> usize {
        let mut taken = 0;
        while let Ok(x) = ring.pop() {
            self.feed(x, &mut on_row);
            taken += 1;
        }
        taken
    }

    /// Samples taken so far.
    pub fn samples(&self) -> u64 {
        self.total as u64
    }
}

/// A sample ring of `capacity` mono samples: the sink a capture callback pushes into and the
/// consuming side a [`SamplePump`] drains.
pub fn sample_ring(capacity: usize) -> (SampleSink, rtrb::Consumer<f32>) {
    let (producer, consumer) = rtrb::RingBuffer::new(capacity.max(1));
    (SampleSink { producer, counters: Arc::default() }, consumer)
}

/// A running live input: the analysis thread, the latest row, the latched history, and
/// whatever keeps the capture alive (the cpal stream). Dropping it stops the capture and the
/// analysis thread.
pub struct LiveInput {
    shared: Arc<Shared>,
    rate: u32,
    device: String,
    latency_ms: f64,
    thread: Option<JoinHandle<()>>,
    /// The capture stream, kept alive while the input is (dropped first).
    capture: Option<Box<dyn Send + Sync>>,
}

impl std::fmt::Debug for LiveInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveInput")
            .field("device", &self.device)
            .field("rate", &self.rate)
            .field("bands", &self.shared.bands)
            .finish_non_exhaustive()
    }
}

impl LiveInput {
    /// Starts the analysis of a live stream at `rate` Hz with `settings` (at most
    /// [`MAX_BANDS`] bands): returns the input and the sink its samples go into (a ring of one
    /// second of samples). `device` names the source in reports.
    ///
    /// # Errors
    /// When the analysis thread cannot be started.
    pub fn start(
        rate: u32,
        settings: &AnalysisSettings,
        device: &str,
    ) -> std::io::Result<(LiveInput, SampleSink)> {
        let analysis = StreamAnalysis::new(rate, settings);
        let bands = analysis.bands().min(MAX_BANDS);
        // Sound to published row: half the window (the hop's centre to the window's end).
        let latency_ms = 1000.0 * (analysis.fft_len() / 2) as f64 / f64::from(rate);
        let (sink, mut consumer) = sample_ring(rate as usize);
        let shared = Arc::new(Shared {
            bands,
            latest: SeqRow::new(),
            published: AtomicU64::new(0),
            history: (0..HISTORY_TICKS).map(|_| SeqRow::new()).collect(),
            counters: Arc::clone(&sink.counters),
            stop: AtomicBool::new(false),
        });
        let mut pump = SamplePump::new(analysis);
        let s = Arc::clone(&shared);
        let thread = std::thread::Builder::new().name("tickframe-live-audio".into()).spawn(move || {
            while !s.stop.load(Ordering::Relaxed) {
                if pump.drain(&mut consumer, |_, levels, peaks| s.publish(levels, peaks)) == 0 {
                    std::thread::sleep(Duration::from_millis(POLL_MS));
                }
            }
        })?;
        let input = LiveInput {
            shared,
            rate,
            device: device.to_string(),
            latency_ms,
            thread: Some(thread),
            capture: None,
        };
        Ok((input, sink))
    }

    /// Keeps `capture` (e.g. the cpal stream feeding the sink) alive as long as the input.
    pub fn keep_alive(&mut self, capture: Box<dyn Send + Sync>) {
        self.capture = Some(capture);
    }

    /// The device's name, as given or as found.
    pub fn device(&self) -> &str {
        &self.device
    }

    /// Sample rate, in Hz.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// Delay from a sound to the row that shows it, from the analysis alone, in ms: half the FFT
    /// window (e.g. 2048 samples at 44.1 kHz: 46 ms). The capture buffer and the render-ahead
    /// window add to it (see `docs/visualizer.md`).
    pub fn analysis_latency_ms(&self) -> f64 {
        self.latency_ms
    }

    /// Hops (10 ms each) analysed so far.
    pub fn hops(&self) -> u64 {
        self.shared.published.load(Ordering::Acquire)
    }

    /// Samples dropped because the ring was full (the analysis thread fell behind).
    pub fn overruns(&self) -> u64 {
        self.shared.counters.overruns.load(Ordering::Relaxed)
    }

    /// Errors the capture backend reported (overruns on the device side, disconnection).
    pub fn stream_errors(&self) -> u64 {
        self.shared.counters.stream_errors.load(Ordering::Relaxed)
    }

    /// The latest published row.
    pub fn latest(&self, out: &mut BandRow) {
        self.shared.latest(out);
    }

    /// The band values tick `tick` was drawn from, if it was drawn and is still in the history:
    /// what the frame log writes for it. Never blocks.
    pub fn recorded(&self, tick: Tick, out: &mut BandRow) -> bool {
        let slot = &self.shared.history[(tick % HISTORY_TICKS as u64) as usize];
        for _ in 0..64 {
            if let Some((_, t, _)) = slot.try_read(self.shared.bands, out) {
                return t == tick.wrapping_add(1);
            }
            std::hint::spin_loop();
        }
        false
    }
}

impl BandFeed for LiveInput {
    fn bands(&self) -> usize {
        self.shared.bands
    }

    /// The row latched for `tick`, or (the first time, or once stale) the latest row, latched.
    fn row_for_tick(&self, tick: Tick, out: &mut BandRow) {
        let sh = &self.shared;
        let slot = &sh.history[(tick % HISTORY_TICKS as u64) as usize];
        let want = tick.wrapping_add(1);
        for _ in 0..64 {
            let Some((s, t, stamp)) = slot.try_read(sh.bands, out) else {
                std::hint::spin_loop();
                continue;
            };
            let now = sh.published.load(Ordering::Acquire);
            if t == want && now.saturating_sub(stamp) < FRESH_HOPS {
                return;
            }
            if slot.seq.compare_exchange(s, s + 1, Ordering::Acquire, Ordering::Relaxed).is_err() {
                continue;
            }
            let stamp = sh.latest(out);
            slot.write_held(s, want, stamp, out);
            return;
        }
        // Another thread kept the slot busy: draw the latest row without latching it.
        sh.latest(out);
    }
}

impl Drop for LiveInput {
    fn drop(&mut self) {
        self.capture = None;
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Band values read back from a frame log (`tickframe play --log-frames`): tick `t` is drawn
/// from the values logged for `t` (empty bands for a tick the log has none for). A pure
/// function of the file and the tick, so a replayed show is reproducible.
#[derive(Debug)]
pub struct LoggedBands {
    bands: usize,
    /// Ticks with values, ascending.
    ticks: Vec<Tick>,
    /// `2 × bands` values per tick: levels, then peaks.
    values: Vec<u16>,
}

impl LoggedBands {
    /// Reads the `bands` of every frame record in the JSON lines of `path` (lines without a
    /// `tick`, such as the clock line, and records whose `bands` is `null` are skipped; the
    /// first record of a tick counts: every output logs the same values for it).
    ///
    /// # Errors
    /// When the file cannot be read, a line is not JSON, a `bands` value is malformed, the band
    /// count changes or is outside 1..=64, or no record has bands.
    pub fn load(path: &Path) -> Result<LoggedBands, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read frame log `{}`: {e}", path.display()))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// [`LoggedBands::load`] from text; `name` is used in messages.
    ///
    /// # Errors
    /// As [`LoggedBands::load`].
    pub fn parse(text: &str, name: &str) -> Result<LoggedBands, String> {
        let mut rows: Vec<(Tick, Vec<u16>)> = Vec::new();
        let mut bands = 0usize;
        for (i, line) in text.lines().enumerate() {
            let at = |m: &str| format!("{name}:{}: {m}", i + 1);
            if line.trim().is_empty() {
                continue;
            }
            let v: serde_json::Value =
                serde_json::from_str(line).map_err(|e| at(&format!("not a JSON line: {e}")))?;
            let Some(tick) = v.get("tick").and_then(serde_json::Value::as_u64) else { continue };
            let Some(b) = v.get("bands").filter(|b| !b.is_null()) else { continue };
            let list = |key: &str| -> Result<Vec<u16>, String> {
                b.get(key)
                    .and_then(serde_json::Value::as_array)
                    .ok_or_else(|| at(&format!("`bands.{key}`: expected an array of integers 0..=65535")))?
                    .iter()
                    .map(|x| {
                        x.as_u64().and_then(|x| u16::try_from(x).ok()).ok_or_else(|| {
                            at(&format!("`bands.{key}`: expected integers 0..=65535, found {x}"))
                        })
                    })
                    .collect()
            };
            let (mut levels, peaks) = (list("levels")?, list("peaks")?);
            if levels.len() != peaks.len() || levels.is_empty() || levels.len() > MAX_BANDS {
                return Err(at(&format!(
                    "`bands`: expected as many levels as peaks, 1..={MAX_BANDS} of each, found {} and {}",
                    levels.len(),
                    peaks.len()
                )));
            }
            if bands != 0 && levels.len() != bands {
                return Err(at(&format!(
                    "`bands`: {} bands here, {bands} in the lines before",
                    levels.len()
                )));
            }
            bands = levels.len();
            levels.extend(peaks);
            rows.push((tick, levels));
        }
        if rows.is_empty() {
            return Err(format!(
                "{name}: no frame record has `bands` (log a live visualizer with `tickframe play --log-frames`)"
            ));
        }
        // Stable: the first record of a tick stays first.
        rows.sort_by_key(|r| r.0);
        rows.dedup_by_key(|r| r.0);
        let ticks = rows.iter().map(|r| r.0).collect();
        let values = rows.into_iter().flat_map(|r| r.1).collect();
        Ok(LoggedBands { bands, ticks, values })
    }

    /// Ticks with values.
    pub fn len(&self) -> usize {
        self.ticks.len()
    }

    /// Whether no tick has values (never, once loaded).
    pub fn is_empty(&self) -> bool {
        self.ticks.is_empty()
    }
}

impl BandFeed for LoggedBands {
    fn bands(&self) -> usize {
        self.bands
    }

    fn row_for_tick(&self, tick: Tick, out: &mut BandRow) {
        *out = BandRow::empty(self.bands);
        if let Ok(i) = self.ticks.binary_search(&tick) {
            let v = &self.values[i * 2 * self.bands..(i + 1) * 2 * self.bands];
            out.levels[..self.bands].copy_from_slice(&v[..self.bands]);
            out.peaks[..self.bands].copy_from_slice(&v[self.bands..]);
        }
    }
}

/// Whether this build can capture live audio (the `live-audio` cargo feature).
pub const LIVE_AUDIO_BUILT: bool = cfg!(feature = "live-audio");

/// What asking for live input says in a build without it.
pub const NOT_BUILT: &str = "live audio input is not in this build of tickframe: rebuild with \
     `cargo build --release -p tickframe-cli --features live-audio` (on Linux it needs ALSA's \
     headers: `apt-get install libasound2-dev pkg-config`)";

/// Opens the capture device named `device` (`"default"`: the system's default input) and starts
/// analysing it with `settings`.
///
/// # Errors
/// Without the `live-audio` feature, always ([`NOT_BUILT`]); with it, when the device is not
/// found or cannot be opened (the message lists the input devices).
pub fn open_input(device: &str, settings: &AnalysisSettings) -> Result<LiveInput, String> {
    #[cfg(feature = "live-audio")]
    {
        capture::open(device, settings)
    }
    #[cfg(not(feature = "live-audio"))]
    {
        let _ = (device, settings);
        Err(NOT_BUILT.to_string())
    }
}

/// An input device, as listed by [`input_devices`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputDevice {
    /// What to write as `device` (the backend's id, e.g. `alsa:hw:CARD=0,DEV=0`).
    pub id: String,
    /// Its description.
    pub name: String,
    /// Default input rate and channels, when the device could be asked.
    pub default_config: Option<(u32, u16)>,
}

/// The input devices of the default audio host.
///
/// # Errors
/// Without the `live-audio` feature, always ([`NOT_BUILT`]); with it, when the host cannot list
/// devices.
pub fn input_devices() -> Result<Vec<InputDevice>, String> {
    #[cfg(feature = "live-audio")]
    {
        capture::devices()
    }
    #[cfg(not(feature = "live-audio"))]
    {
        Err(NOT_BUILT.to_string())
    }
}

#[cfg(feature = "live-audio")]
mod capture {
    //! The cpal capture: the one part that needs a sound device.

    use cpal::SampleFormat;
    use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};

    use super::{AnalysisSettings, InputDevice, LiveInput, SampleSink};

    fn describe(d: &cpal::Device) -> (String, String) {
        let id = d.id().map_or_else(|_| "?".to_string(), |i| i.to_string());
        let name = d.description().map_or_else(|_| id.clone(), |x| x.name().to_string());
        (id, name)
    }

    pub(super) fn devices() -> Result<Vec<InputDevice>, String> {
        let host = cpal::default_host();
        let list = host.input_devices().map_err(|e| format!("cannot list audio input devices: {e}"))?;
        Ok(list
            .map(|d| {
                let (id, name) = describe(&d);
                let default_config = d.default_input_config().ok().map(|c| (c.sample_rate(), c.channels()));
                InputDevice { id, name, default_config }
            })
            .collect())
    }

    /// The device `name`: `default`, a full id (`alsa:null`), the host's own id (`null`) or a
    /// description.
    fn find(host: &cpal::Host, name: &str) -> Result<cpal::Device, String> {
        if name == "default" {
            return host
                .default_input_device()
                .ok_or_else(|| "this machine has no default audio input".into());
        }
        let list = host.input_devices().map_err(|e| format!("cannot list audio input devices: {e}"))?;
        let mut known = Vec::new();
        for d in list {
            let (id, desc) = describe(&d);
            let local = id.split_once(':').map_or(id.as_str(), |(_, l)| l);
            if id == name || local == name || desc == name {
                return Ok(d);
            }
            known.push(id);
        }
        Err(format!(
            "no audio input device `{name}`; the input devices are: default{}{} (`tickframe audio-devices` lists them)",
            if known.is_empty() { "" } else { ", " },
            known.join(", ")
        ))
    }

    pub(super) fn open(name: &str, settings: &AnalysisSettings) -> Result<LiveInput, String> {
        let host = cpal::default_host();
        let device = find(&host, name)?;
        let cfg = device
            .default_input_config()
            .map_err(|e| format!("audio input `{name}`: no input configuration: {e}"))?;
        let (rate, channels, format) = (cfg.sample_rate(), usize::from(cfg.channels()), cfg.sample_format());
        if !(4_000..=384_000).contains(&rate) {
            return Err(format!("audio input `{name}`: sample rate {rate} Hz is outside 4–384 kHz"));
        }
        let (mut input, sink) = LiveInput::start(rate, settings, name)
            .map_err(|e| format!("starting the audio analysis: {e}"))?;
        let config: cpal::StreamConfig = cfg.into();
        let stream = match format {
            SampleFormat::F32 => build::<f32>(&device, config, sink, channels),
            SampleFormat::I16 => build::<i16>(&device, config, sink, channels),
            SampleFormat::I32 => build::<i32>(&device, config, sink, channels),
            SampleFormat::U16 => build::<u16>(&device, config, sink, channels),
            SampleFormat::I8 => build::<i8>(&device, config, sink, channels),
            SampleFormat::U8 => build::<u8>(&device, config, sink, channels),
            SampleFormat::F64 => build::<f64>(&device, config, sink, channels),
            other => return Err(format!("audio input `{name}`: sample format {other} is not supported")),
        }
        .map_err(|e| format!("audio input `{name}`: cannot open the capture stream: {e}"))?;
        stream.play().map_err(|e| format!("audio input `{name}`: cannot start capturing: {e}"))?;
        input.keep_alive(Box::new(stream));
        Ok(input)
    }

    fn build<T>(
        device: &cpal::Device,
        config: cpal::StreamConfig,
        mut sink: SampleSink,
        channels: usize,
    ) -> Result<cpal::Stream, cpal::Error>
    where
        T: cpal::SizedSample + Send + 'static,
        f32: cpal::FromSample<T>,
    {
        let errors = sink.errors();
        device.build_input_stream::<T, _, _>(
            config,
            // The real-time callback: average to mono and push; nothing else.
            move |data: &[T], _| {
                sink.push_interleaved(data, channels, |s| s.to_sample::<f32>());
            },
            move |_err| errors.record(),
            None,
        )
    }
}
