//! A device as an engine [`Output`]: mapping and colour on the presenter thread (tens of
//! microseconds), the device work (sockets, a panel driver) on a sender thread of its own, so
//! the presenter never blocks on I/O and a slow or failing device never delays the picture.
//!
//! The hand-off is one slot holding the newest frame: when the sender is still busy with an
//! older frame, a newer `present` replaces the waiting one, which is counted as *overwritten*
//! (it never reached the device) and its tick is listed in the [`DeviceReport`].

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Instant;

use anyhow::Context as _;
use tickframe_core::{FrameRef, Tick, Timebase};
use tickframe_engine::{Histogram, Output, Percentiles, RunInfo};

use crate::{LedPipeline, NetworkOutput, OutputTarget, SendStats};

/// Where a [`DeviceOutput`]'s sender thread puts device bytes: a network controller
/// ([`NetworkOutput`]), a panel driver, or a test sink.
pub trait FrameSink: Send {
    /// Sends one frame's device bytes; `time_nanos` is the frame's presentation time. Runs on
    /// the sender thread, so it may block (a driver's vsync, a socket); errors are counted in
    /// [`FrameSink::stats`], not returned.
    fn send(&mut self, device_bytes: &[u8], time_nanos: u64);

    /// The sink's counters so far.
    fn stats(&self) -> SendStats;
}

impl FrameSink for NetworkOutput {
    fn send(&mut self, device_bytes: &[u8], time_nanos: u64) {
        NetworkOutput::send(self, device_bytes, time_nanos);
    }

    fn stats(&self) -> SendStats {
        NetworkOutput::stats(self)
    }
}

/// Opens a sink in [`Output::begin`], given the device bytes per frame (so an impossible
/// frame, such as universes past the protocol's last, is an error before the run starts).
pub type SinkOpener = Box<dyn FnOnce(usize) -> anyhow::Result<Box<dyn FrameSink>> + Send>;

/// How long stopping a [`DeviceOutput`] waits for its sender to finish the last frame (and
/// close the device: an OPC writer may need its 500 ms write timeout). 2 s.
pub const STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// At most this many overwritten ticks are listed in a [`DeviceReport`] (all are counted).
pub const OVERWRITTEN_TICKS_LISTED: usize = 256;

/// What a [`DeviceOutput`] did, for the run's report and summary.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct DeviceReport {
    /// The output's name (its URL).
    pub output: String,
    /// Frames handed to the output by the presenter.
    pub frames_presented: u64,
    /// Frames the sender thread took and gave to the device.
    pub frames_sent: u64,
    /// Frames replaced by a newer one before the sender took them: they never reached the
    /// device, although the frame log lists their device hash (as handed over).
    pub frames_overwritten: u64,
    /// The first [`OVERWRITTEN_TICKS_LISTED`] overwritten ticks, so a trace comparison can
    /// leave them out.
    pub overwritten_ticks: Vec<u64>,
    /// Frames that did not reach the wire whole (a packet failed, not connected).
    pub frames_incomplete: u64,
    /// Packets (datagrams, OPC messages, panel swaps) handed to the OS or driver.
    pub packets_sent: u64,
    /// Bytes in those packets (payload only).
    pub bytes_sent: u64,
    /// Packets or frames that failed (including frames presented after the sender failed).
    pub send_errors: u64,
    /// Of `send_errors`: packets dropped because the socket buffer was full.
    pub would_block: u64,
    /// Successful TCP connections (OPC); 0 for UDP.
    pub connects: u64,
    /// Connections after the first (OPC).
    pub reconnects: u64,
    /// The kind of the last error, if any.
    pub last_error: Option<String>,
    /// Time the sender spent giving one frame to the device, in milliseconds.
    pub send_ms: Percentiles,
    /// Set when the sender thread died (a panic): the output sent nothing after that, and the
    /// run counts as failed.
    pub failed: Option<String>,
    /// The sender was still inside the device [`STOP_WAIT`] after the output stopped, and was
    /// left to finish on its own.
    pub stuck_at_stop: bool,
}

struct Slot {
    bytes: Vec<u8>,
    time_nanos: u64,
    tick: Tick,
    fresh: bool,
}

struct Metrics {
    stats: SendStats,
    send: Histogram,
    presented: u64,
    sent: u64,
    overwritten: u64,
    overwritten_ticks: Vec<u64>,
    lost_after_failure: u64,
    failed: Option<String>,
    stuck_at_stop: bool,
}

struct Shared {
    slot: Mutex<Slot>,
    wake: Condvar,
    stop: AtomicBool,
    failed: AtomicBool,
    metrics: Mutex<Metrics>,
}

impl Shared {
    fn metrics(&self) -> MutexGuard<'_, Metrics> {
        self.metrics.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn slot(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A handle on a [`DeviceOutput`]'s counters that stays valid after the output was moved into
/// (and dropped by) the engine: read it when the run is over.
#[derive(Clone)]
pub struct DeviceMetrics {
    name: String,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for DeviceMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceMetrics").field("name", &self.name).finish_non_exhaustive()
    }
}

impl DeviceMetrics {
    /// Everything counted so far.
    pub fn report(&self) -> DeviceReport {
        let m = self.shared.metrics();
        let s = m.stats;
        DeviceReport {
            output: self.name.clone(),
            frames_presented: m.presented,
            frames_sent: m.sent,
            frames_overwritten: m.overwritten,
            overwritten_ticks: m.overwritten_ticks.clone(),
            frames_incomplete: s.frames_dropped,
            packets_sent: s.packets_sent,
            bytes_sent: s.bytes_sent,
            send_errors: s.send_errors + m.lost_after_failure,
            would_block: s.would_block,
            connects: s.connects,
            reconnects: s.connects.saturating_sub(1),
            last_error: s.last_error.map(|k| format!("{k:?}")),
            send_ms: Percentiles::of(&m.send),
            failed: m.failed.clone(),
            stuck_at_stop: m.stuck_at_stop,
        }
    }

    /// The sender's failure (a panic message), if it died.
    pub fn failure(&self) -> Option<String> {
        self.shared.metrics().failed.clone()
    }
}

impl DeviceReport {
    /// One line for the run's summary.
    pub fn summary_line(&self) -> String {
        let mut line = format!(
            "{}: {} frames sent, {} overwritten before sending, {} incomplete; {} packets, {} bytes; {} send errors ({} would block), {} reconnects; send p50 {:.3} ms, p99 {:.3} ms",
            self.output,
            self.frames_sent,
            self.frames_overwritten,
            self.frames_incomplete,
            self.packets_sent,
            self.bytes_sent,
            self.send_errors,
            self.would_block,
            self.reconnects,
            self.send_ms.p50,
            self.send_ms.p99,
        );
        if self.stuck_at_stop {
            line.push_str("; the device was still busy when the run ended");
        }
        if let Some(f) = &self.failed {
            line.push_str(&format!("; FAILED: {f}"));
        }
        line
    }
}

/// A device reached through a [`FrameSink`] on a sender thread of its own: network LED
/// controllers (DDP, E1.31, Art-Net, OPC) by [`DeviceOutput::new`], anything else by
/// [`DeviceOutput::with_sink`].
pub struct DeviceOutput {
    name: String,
    opener: Option<SinkOpener>,
    pipeline: LedPipeline,
    timebase: Option<Timebase>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    last_hash: Option<u64>,
}

impl std::fmt::Debug for DeviceOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceOutput").field("name", &self.name).finish()
    }
}

impl DeviceOutput {
    /// An output sending to the network controller `target` through `pipeline`; `name` is
    /// shown in reports (e.g. the URL). The socket opens in `begin`, which also checks that a
    /// frame fits the protocol (E1.31 universes up to 63999, Art-Net port-addresses up to
    /// 32767, OPC messages up to 65,535 bytes).
    pub fn new(name: impl Into<String>, target: OutputTarget, pipeline: LedPipeline) -> DeviceOutput {
        let opener: SinkOpener = Box::new(move |device_len| {
            target.check_frame_len(device_len)?;
            let net = NetworkOutput::open(&target)?;
            Ok(Box::new(net) as Box<dyn FrameSink>)
        });
        DeviceOutput::with_sink(name, pipeline, opener)
    }

    /// An output whose sender thread gives device bytes to the sink `open` returns in `begin`.
    pub fn with_sink(name: impl Into<String>, pipeline: LedPipeline, open: SinkOpener) -> DeviceOutput {
        DeviceOutput {
            name: name.into(),
            opener: Some(open),
            pipeline,
            timebase: None,
            shared: Arc::new(Shared {
                slot: Mutex::new(Slot { bytes: Vec::new(), time_nanos: 0, tick: 0, fresh: false }),
                wake: Condvar::new(),
                stop: AtomicBool::new(false),
                failed: AtomicBool::new(false),
                metrics: Mutex::new(Metrics {
                    stats: SendStats::default(),
                    send: Histogram::new(),
                    presented: 0,
                    sent: 0,
                    overwritten: 0,
                    overwritten_ticks: Vec::with_capacity(OVERWRITTEN_TICKS_LISTED),
                    lost_after_failure: 0,
                    failed: None,
                    stuck_at_stop: false,
                }),
            }),
            thread: None,
            last_hash: None,
        }
    }

    /// The sink's counters so far (sent packets, errors, reconnects, …).
    pub fn stats(&self) -> SendStats {
        self.shared.metrics().stats
    }

    /// Frames the sender thread never got to because a newer one replaced them.
    pub fn overwritten(&self) -> u64 {
        self.shared.metrics().overwritten
    }

    /// A handle on the counters that outlives this output (keep it before handing the output
    /// to the engine; read [`DeviceMetrics::report`] after the run).
    pub fn metrics(&self) -> DeviceMetrics {
        DeviceMetrics { name: self.name.clone(), shared: Arc::clone(&self.shared) }
    }

    /// The pipeline (mapping, colour, last device bytes).
    pub fn pipeline(&self) -> &LedPipeline {
        &self.pipeline
    }

    /// Asks the sender to send the waiting frame and end, and waits for it at most
    /// [`STOP_WAIT`]: a device stuck for good must not hang the run's end. A sender still
    /// inside the device then is left to finish on its own and reported (`stuck_at_stop`).
    fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let until = Instant::now() + STOP_WAIT;
            while !t.is_finished() && Instant::now() < until {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            if t.is_finished() {
                let _ = t.join();
            } else {
                self.shared.metrics().stuck_at_stop = true;
            }
        }
    }
}

impl Drop for DeviceOutput {
    fn drop(&mut self) {
        self.stop();
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_string()
    }
}

fn sender(shared: &Shared, sink: &mut dyn FrameSink) {
    let mut bytes = Vec::new();
    loop {
        let time = {
            let mut slot = shared.slot();
            while !slot.fresh && !shared.stop.load(Ordering::Acquire) {
                slot = shared.wake.wait(slot).unwrap_or_else(|e| e.into_inner());
            }
            if !slot.fresh {
                return;
            }
            slot.fresh = false;
            std::mem::swap(&mut bytes, &mut slot.bytes);
            slot.time_nanos
        };
        let started = Instant::now();
        sink.send(&bytes, time);
        let ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let stats = sink.stats();
        let mut m = shared.metrics();
        m.stats = stats;
        m.sent += 1;
        m.send.record(ns);
    }
}

impl Output for DeviceOutput {
    fn begin(&mut self, info: &RunInfo) -> anyhow::Result<()> {
        let expected = self.pipeline.mapping().frame_size();
        anyhow::ensure!(
            expected == info.size,
            "{}: the LED mapping is for {expected} frames but the scene is {}",
            self.name,
            info.size
        );
        let open = self.opener.take().context("the output was already started")?;
        let mut sink =
            open(self.pipeline.mapping().device_len()).with_context(|| format!("opening {}", self.name))?;
        self.timebase = Some(Timebase::new(info.rate));
        let shared = Arc::clone(&self.shared);
        self.thread = Some(
            std::thread::Builder::new()
                .name("tickframe-device".into())
                .spawn(move || {
                    // A panic in the sink must not vanish: it is recorded, later frames count
                    // as send errors, and the run reports the output as failed.
                    let result = catch_unwind(AssertUnwindSafe(|| sender(&shared, &mut *sink)));
                    if let Err(payload) = result {
                        let message = format!("sender thread panicked: {}", panic_message(&*payload));
                        shared.failed.store(true, Ordering::Release);
                        let mut m = shared.metrics();
                        m.stats = sink.stats();
                        m.stats.send_errors += 1;
                        m.failed = Some(message);
                    }
                })
                .context("starting the sender thread")?,
        );
        Ok(())
    }

    fn present(&mut self, tick: Tick, frame: FrameRef<'_>) -> anyhow::Result<bool> {
        let device = self.pipeline.process(frame).map_err(|e| anyhow::anyhow!("{}: {e}", self.name))?;
        self.last_hash = Some(device.hash);
        if self.shared.failed.load(Ordering::Acquire) {
            let mut m = self.shared.metrics();
            m.presented += 1;
            m.lost_after_failure += 1;
            return Ok(true);
        }
        let time = self.timebase.map_or(0, |tb| u64::try_from(tb.tick_to_nanos(tick)).unwrap_or(u64::MAX));
        let replaced = {
            let mut slot = self.shared.slot();
            let replaced = slot.fresh.then_some(slot.tick);
            slot.bytes.clear();
            slot.bytes.extend_from_slice(self.pipeline.device_bytes());
            slot.time_nanos = time;
            slot.tick = tick;
            slot.fresh = true;
            replaced
        };
        self.shared.wake.notify_one();
        let mut m = self.shared.metrics();
        m.presented += 1;
        if let Some(old) = replaced {
            m.overwritten += 1;
            if m.overwritten_ticks.len() < OVERWRITTEN_TICKS_LISTED {
                m.overwritten_ticks.push(old);
            }
        }
        Ok(true)
    }

    fn finish(&mut self, _frames: u64) -> anyhow::Result<()> {
        // Let the sender flush the last frame, then stop it.
        self.stop();
        Ok(())
    }

    fn is_realtime(&self) -> bool {
        true
    }

    fn send_errors(&self) -> u64 {
        let m = self.shared.metrics();
        m.stats.send_errors + m.lost_after_failure
    }

    fn last_device_hash(&self) -> Option<u64> {
        self.last_hash
    }

    fn name(&self) -> &str {
        &self.name
    }
}
