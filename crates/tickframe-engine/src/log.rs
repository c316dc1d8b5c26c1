//! Per-frame structured logs: `tracing` events, consumed by a `tracing` layer that hands them
//! through a bounded, non-blocking channel to a writer thread writing JSON lines.
//!
//! # The path of one record
//! 1. The presenter emits a `tracing` event with target [`FRAME_TARGET`] (`tickframe::frame`)
//!    and the fields of [`FrameRecord`] (all integers and booleans: recording them formats
//!    nothing and allocates nothing).
//! 2. [`FrameLogLayer`] (a `tracing_subscriber::Layer`) receives it, copies the fields into a
//!    `FrameRecord` on the stack with a field visitor, and `try_send`s it into the bounded
//!    channel of a [`FrameLogWriter`]; when the channel is full the record is dropped and
//!    counted (the presenter never waits).
//! 3. The writer thread serialises each record to one JSON line (`serde_json`, directly into a
//!    buffered writer).
//!
//! 4. With a [`TickBands`] source (a live audio visualizer), the writer thread adds the band
//!    values the tick was drawn from to the line (`bands`), looking them up itself: the
//!    presenter's record stays small and its path unchanged.
//!
//! When [`RunOptions::log`](crate::RunOptions::log) is set, the engine installs a dispatcher with
//! this layer as the presenter threads' default (`tracing::dispatcher::set_default`), so the log
//! works whatever global subscriber the application has. Applications can also add
//! [`FrameLogLayer`] to their own subscriber: presenters emit the events in every run.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

use crossbeam_channel::{Sender, TrySendError, bounded};
use tracing::field::{Field, Visit};
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// The `tracing` target of per-frame events.
pub const FRAME_TARGET: &str = "tickframe::frame";

/// One presented frame, as logged (all times in nanoseconds; `Copy`, so sending never
/// allocates).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FrameRecord {
    /// The tick presented.
    pub tick: u64,
    /// Its deadline, nanoseconds after the run's start instant `t0` (paced runs; 0 unpaced).
    pub deadline_ns: u64,
    /// How late the present started against the deadline (0 when early or unpaced).
    pub lateness_ns: u64,
    /// Time since the previous present of this output.
    pub interval_ns: u64,
    /// Render time of the frame shown (worker or inline), 0 for a repeated frame.
    pub render_ns: u64,
    /// Frames ready ahead of this tick in the cache when it was looked up.
    pub queue_depth: u32,
    /// Whether the frame came from the cache.
    pub cache_hit: bool,
    /// Whether the previous frame was shown again (a miss, or paused).
    pub repeated: bool,
    /// Which output (index into the run's outputs).
    pub output: u16,
    /// The seed the frame was rendered with (the run's seed plus the output's seed offset), so
    /// a trace of one output can be reproduced.
    pub seed: u64,
    /// XXH3-64 of the bytes that actually left for the device after mapping and colour, for
    /// outputs that transform frames (LED controllers); `None` otherwise.
    pub device_hash: Option<u64>,
}

/// The most bands a frame log line carries.
pub const MAX_LOG_BANDS: usize = 64;

/// Where a frame log's writer thread finds the band values a tick was drawn from (a live audio
/// visualizer's latched history), to write them as the line's `bands`.
pub trait TickBands: Send + Sync {
    /// Writes the levels and peaks (`0..=65535` of the full height) tick `tick` was drawn from
    /// into the first `n` entries of `levels` and `peaks` and returns `n`, or returns 0 when
    /// none are known (the tick was never drawn, or has left the history): the line then says
    /// `"bands": null`.
    fn bands_of(
        &self,
        tick: u64,
        levels: &mut [u16; MAX_LOG_BANDS],
        peaks: &mut [u16; MAX_LOG_BANDS],
    ) -> usize;
}

/// A line's `bands`.
#[derive(serde::Serialize)]
struct BandsLine<'a> {
    levels: &'a [u16],
    peaks: &'a [u16],
}

/// Emits `r` as a `tracing` event with target [`FRAME_TARGET`] (level INFO). Allocation-free.
pub fn emit_frame_event(r: &FrameRecord) {
    match r.device_hash {
        Some(hash) => tracing::info!(
            target: "tickframe::frame",
            tick = r.tick,
            deadline_ns = r.deadline_ns,
            lateness_ns = r.lateness_ns,
            interval_ns = r.interval_ns,
            render_ns = r.render_ns,
            queue_depth = r.queue_depth,
            cache_hit = r.cache_hit,
            repeated = r.repeated,
            output = r.output,
            seed = r.seed,
            device_hash = hash,
        ),
        None => tracing::info!(
            target: "tickframe::frame",
            tick = r.tick,
            deadline_ns = r.deadline_ns,
            lateness_ns = r.lateness_ns,
            interval_ns = r.interval_ns,
            render_ns = r.render_ns,
            queue_depth = r.queue_depth,
            cache_hit = r.cache_hit,
            repeated = r.repeated,
            output = r.output,
            seed = r.seed,
        ),
    }
}

/// Copies an event's fields into a [`FrameRecord`].
struct RecordVisitor(FrameRecord);

impl Visit for RecordVisitor {
    fn record_u64(&mut self, field: &Field, value: u64) {
        let r = &mut self.0;
        match field.name() {
            "tick" => r.tick = value,
            "deadline_ns" => r.deadline_ns = value,
            "lateness_ns" => r.lateness_ns = value,
            "interval_ns" => r.interval_ns = value,
            "render_ns" => r.render_ns = value,
            "queue_depth" => r.queue_depth = u32::try_from(value).unwrap_or(u32::MAX),
            "output" => r.output = u16::try_from(value).unwrap_or(u16::MAX),
            "seed" => r.seed = value,
            "device_hash" => r.device_hash = Some(value),
            _ => {}
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if let Ok(v) = u64::try_from(value) {
            self.record_u64(field, v);
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        match field.name() {
            "cache_hit" => self.0.cache_hit = value,
            "repeated" => self.0.repeated = value,
            _ => {}
        }
    }

    fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
}

/// A `tracing` layer turning [`FRAME_TARGET`] events into [`FrameRecord`]s for a frame log's
/// writer thread (other events are ignored). Never blocks: a full channel drops and counts.
#[derive(Clone, Debug)]
pub struct FrameLogLayer {
    log: FrameLog,
}

impl FrameLogLayer {
    /// A layer feeding `log`.
    pub fn new(log: FrameLog) -> FrameLogLayer {
        FrameLogLayer { log }
    }
}

impl<S: Subscriber> Layer<S> for FrameLogLayer {
    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        metadata.target() == FRAME_TARGET
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != FRAME_TARGET {
            return;
        }
        let mut v = RecordVisitor(FrameRecord::default());
        event.record(&mut v);
        self.log.record(v.0);
    }
}

/// A dispatcher whose only layer is a [`FrameLogLayer`] for `log` (what the engine installs on
/// its presenter threads).
pub fn frame_log_dispatch(log: FrameLog) -> tracing::Dispatch {
    use tracing_subscriber::layer::SubscriberExt as _;
    tracing::Dispatch::new(tracing_subscriber::registry().with(FrameLogLayer::new(log)))
}

/// `u64` as 16 lower-case hex digits, serialised without allocating.
struct Hex(u64);

impl serde::Serialize for Hex {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{:016x}", self.0))
    }
}

/// One JSON line: the record with the output's name and the backend.
#[derive(serde::Serialize)]
struct Line<'a> {
    tick: u64,
    deadline_ns: u64,
    lateness_ns: u64,
    interval_ns: u64,
    render_ns: u64,
    queue_depth: u32,
    cache: &'static str,
    repeated: bool,
    output: &'a str,
    seed: u64,
    backend: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    device_hash: Option<Hex>,
    /// Only with a [`TickBands`] source: the tick's band values, or `null`.
    #[serde(skip_serializing_if = "Option::is_none")]
    bands: Option<Option<BandsLine<'a>>>,
}

/// Counts of a frame log.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct LogStats {
    /// Records written.
    pub written: u64,
    /// Records dropped because the channel was full or the writer had stopped (the presenter
    /// never waits).
    pub dropped: u64,
    /// The write error that stopped the writer, if any (the log is then incomplete).
    pub error: Option<String>,
}

/// The sending side of a frame log. Cloning shares the channel.
#[derive(Clone, Debug)]
pub struct FrameLog {
    tx: Sender<FrameRecord>,
    dropped: Arc<AtomicU64>,
}

impl FrameLog {
    /// Sends a record without blocking; when the channel is full (or the writer stopped) the
    /// record is dropped and counted.
    pub fn record(&self, r: FrameRecord) {
        match self.tx.try_send(r) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// The writer thread of a frame log: JSON lines (`serde_json`) into any writer.
#[derive(Debug)]
pub struct FrameLogWriter {
    log: Option<FrameLog>,
    handle: Option<JoinHandle<(u64, Option<std::io::Error>)>>,
}

fn write_all<W: Write>(
    out: &mut W,
    rx: &crossbeam_channel::Receiver<FrameRecord>,
    outputs: &[String],
    backend: &'static str,
    bands: Option<&dyn TickBands>,
    written: &mut u64,
) -> std::io::Result<()> {
    let (mut levels, mut peaks) = ([0u16; MAX_LOG_BANDS], [0u16; MAX_LOG_BANDS]);
    for r in rx {
        let bands = bands.map(|b| {
            let n = b.bands_of(r.tick, &mut levels, &mut peaks).min(MAX_LOG_BANDS);
            (n > 0).then(|| BandsLine { levels: &levels[..n], peaks: &peaks[..n] })
        });
        let name = outputs.get(usize::from(r.output)).map_or("?", String::as_str);
        let line = Line {
            tick: r.tick,
            deadline_ns: r.deadline_ns,
            lateness_ns: r.lateness_ns,
            interval_ns: r.interval_ns,
            render_ns: r.render_ns,
            queue_depth: r.queue_depth,
            cache: if r.cache_hit { "hit" } else { "miss" },
            repeated: r.repeated,
            output: name,
            seed: r.seed,
            backend,
            device_hash: r.device_hash.map(Hex),
            bands,
        };
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
        *written += 1;
    }
    out.flush()
}

impl FrameLogWriter {
    /// Starts a writer thread writing one JSON object per line to `out`, with a channel of
    /// `capacity` records (e.g. 65 536: about 18 minutes of 60 fps if the writer stalls).
    /// `outputs` names the outputs by index; `backend` is written in every line (`"cpu"`).
    /// A write error stops the writer; later records are counted as dropped and the error is
    /// returned by [`finish`](FrameLogWriter::finish).
    ///
    /// # Errors
    /// When the thread cannot be started.
    pub fn start<W: Write + Send + 'static>(
        out: W,
        capacity: usize,
        outputs: Vec<String>,
        backend: &'static str,
    ) -> std::io::Result<FrameLogWriter> {
        FrameLogWriter::start_with_bands(out, capacity, outputs, backend, None)
    }

    /// [`FrameLogWriter::start`], adding to every line the `bands` that `bands` has for its tick
    /// (`null` when it has none), looked up on the writer thread.
    ///
    /// # Errors
    /// When the thread cannot be started.
    pub fn start_with_bands<W: Write + Send + 'static>(
        mut out: W,
        capacity: usize,
        outputs: Vec<String>,
        backend: &'static str,
        bands: Option<Arc<dyn TickBands>>,
    ) -> std::io::Result<FrameLogWriter> {
        let (tx, rx) = bounded::<FrameRecord>(capacity.max(1));
        let dropped = Arc::new(AtomicU64::new(0));
        let handle = std::thread::Builder::new().name("tickframe-log".into()).spawn(move || {
            let mut written = 0u64;
            let result = write_all(&mut out, &rx, &outputs, backend, bands.as_deref(), &mut written);
            (written, result.err())
        })?;
        Ok(FrameLogWriter { log: Some(FrameLog { tx, dropped }), handle: Some(handle) })
    }

    /// The sending side, to hand to the engine.
    pub fn log(&self) -> Option<FrameLog> {
        self.log.clone()
    }

    /// Closes the channel, waits for the writer to flush everything sent, and returns the
    /// counts, with the write error (if any) in [`LogStats::error`]. Every clone of
    /// [`FrameLog`] must be dropped first (the engine drops its own at the end of a run).
    pub fn finish(mut self) -> LogStats {
        let dropped_counter = self.log.as_ref().map(|l| Arc::clone(&l.dropped));
        self.log = None;
        let (written, error) = match self.handle.take() {
            Some(h) => h.join().unwrap_or_else(|_| (0, Some(std::io::Error::other("log writer panicked")))),
            None => (0, None),
        };
        let dropped = dropped_counter.map_or(0, |d| d.load(Ordering::Relaxed));
        LogStats { written, dropped, error: error.map(|e| e.to_string()) }
    }
}
