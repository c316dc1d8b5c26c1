//! Per-frame structured logs through a bounded, non-blocking channel to a writer thread.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

use crossbeam_channel::{Sender, TrySendError, bounded};

/// One presented frame, as logged (all times in nanoseconds; `Copy`, so sending never
/// allocates).
#[derive(Clone, Copy, Debug, serde::Serialize)]
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
    /// Whether the previous frame was shown again (a miss).
    pub repeated: bool,
    /// Which output (index into the run's outputs).
    pub output: u16,
    /// XXH3-64 of the bytes that actually left for the device after mapping and colour, for
    /// outputs that transform frames (LED controllers); `None` otherwise.
    pub device_hash: Option<u64>,
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
    backend: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    device_hash: Option<String>,
}

/// Counts of a frame log.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct LogStats {
    /// Records written.
    pub written: u64,
    /// Records dropped because the channel was full (the presenter never waits).
    pub dropped: u64,
}

/// The sending side of a frame log. Cloning shares the channel.
#[derive(Clone, Debug)]
pub struct FrameLog {
    tx: Sender<FrameRecord>,
    dropped: Arc<AtomicU64>,
}

impl FrameLog {
    /// Sends a record without blocking; when the channel is full the record is dropped and
    /// counted.
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
    handle: Option<JoinHandle<std::io::Result<u64>>>,
}

impl FrameLogWriter {
    /// Starts a writer thread writing one JSON object per line to `out`, with a channel of
    /// `capacity` records (e.g. 65 536: about 18 minutes of 60 fps if the writer stalls).
    /// `outputs` names the outputs by index; `backend` is written in every line (`"cpu"`).
    ///
    /// # Errors
    /// When the thread cannot be started.
    pub fn start<W: Write + Send + 'static>(
        mut out: W,
        capacity: usize,
        outputs: Vec<String>,
        backend: &'static str,
    ) -> std::io::Result<FrameLogWriter> {
        let (tx, rx) = bounded::<FrameRecord>(capacity.max(1));
        let dropped = Arc::new(AtomicU64::new(0));
        let handle = std::thread::Builder::new().name("tickframe-log".into()).spawn(move || {
            let mut written = 0u64;
            for r in rx {
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
                    backend,
                    device_hash: r.device_hash.map(|h| format!("{h:016x}")),
                };
                serde_json::to_writer(&mut out, &line)?;
                out.write_all(b"\n")?;
                written += 1;
            }
            out.flush()?;
            Ok(written)
        })?;
        Ok(FrameLogWriter { log: Some(FrameLog { tx, dropped }), handle: Some(handle) })
    }

    /// The sending side, to hand to the engine.
    pub fn log(&self) -> Option<FrameLog> {
        self.log.clone()
    }

    /// Closes the channel, waits for the writer to flush everything sent, and returns the
    /// counts. Every clone of [`FrameLog`] must be dropped first (the engine drops its own at
    /// the end of a run).
    ///
    /// # Errors
    /// A write error of the writer thread.
    pub fn finish(mut self) -> std::io::Result<LogStats> {
        let dropped = self.log.as_ref().map_or(0, |l| l.dropped.load(Ordering::Relaxed));
        let dropped_counter = self.log.as_ref().map(|l| Arc::clone(&l.dropped));
        self.log = None;
        let written = match self.handle.take() {
            Some(h) => h.join().unwrap_or_else(|_| Err(std::io::Error::other("log writer panicked")))?,
            None => 0,
        };
        let dropped = dropped_counter.map_or(dropped, |d| d.load(Ordering::Relaxed));
        Ok(LogStats { written, dropped })
    }
}
