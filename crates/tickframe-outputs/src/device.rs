//! A network LED controller as an engine [`Output`]: mapping and colour on the presenter
//! thread (tens of microseconds), the socket work on a sender thread of its own, so the
//! presenter never blocks on I/O and a slow or failing network never delays the picture.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use anyhow::Context as _;
use tickframe_core::{FrameRef, Tick, Timebase};
use tickframe_engine::{Output, RunInfo};

use crate::{LedPipeline, NetworkOutput, OutputTarget, SendStats};

struct Slot {
    bytes: Vec<u8>,
    time_nanos: u64,
    fresh: bool,
    stats: SendStats,
}

struct Shared {
    slot: Mutex<Slot>,
    wake: Condvar,
    stop: AtomicBool,
    /// Frames replaced before the sender thread took them (the network was slower than the
    /// frame rate).
    overwritten: AtomicU64,
}

/// An LED controller reached over the network (DDP, E1.31, Art-Net, OPC).
pub struct DeviceOutput {
    name: String,
    target: OutputTarget,
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
    /// An output sending to `target` through `pipeline`; `name` is shown in reports (e.g. the
    /// URL). The socket opens in `begin`.
    pub fn new(name: impl Into<String>, target: OutputTarget, pipeline: LedPipeline) -> DeviceOutput {
        DeviceOutput {
            name: name.into(),
            target,
            pipeline,
            timebase: None,
            shared: Arc::new(Shared {
                slot: Mutex::new(Slot {
                    bytes: Vec::new(),
                    time_nanos: 0,
                    fresh: false,
                    stats: SendStats::default(),
                }),
                wake: Condvar::new(),
                stop: AtomicBool::new(false),
                overwritten: AtomicU64::new(0),
            }),
            thread: None,
            last_hash: None,
        }
    }

    /// The sender's counters so far (sent packets, errors, reconnects, …).
    pub fn stats(&self) -> SendStats {
        self.shared.slot.lock().unwrap_or_else(|e| e.into_inner()).stats
    }

    /// Frames the sender thread never got to because a newer one replaced them.
    pub fn overwritten(&self) -> u64 {
        self.shared.overwritten.load(Ordering::Relaxed)
    }

    fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for DeviceOutput {
    fn drop(&mut self) {
        self.stop();
    }
}

fn sender(shared: &Shared, mut net: NetworkOutput) {
    let mut bytes = Vec::new();
    loop {
        let time = {
            let mut slot = shared.slot.lock().unwrap_or_else(|e| e.into_inner());
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
        net.send(&bytes, time);
        let stats = net.stats();
        shared.slot.lock().unwrap_or_else(|e| e.into_inner()).stats = stats;
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
        let net = NetworkOutput::open(&self.target).with_context(|| format!("opening {}", self.name))?;
        self.timebase = Some(Timebase::new(info.rate));
        let shared = Arc::clone(&self.shared);
        self.thread = Some(
            std::thread::Builder::new()
                .name("tickframe-device".into())
                .spawn(move || sender(&shared, net))
                .context("starting the sender thread")?,
        );
        Ok(())
    }

    fn present(&mut self, tick: Tick, frame: FrameRef<'_>) -> anyhow::Result<bool> {
        let device = self.pipeline.process(frame).map_err(|e| anyhow::anyhow!("{}: {e}", self.name))?;
        self.last_hash = Some(device.hash);
        let time = self.timebase.map_or(0, |tb| u64::try_from(tb.tick_to_nanos(tick)).unwrap_or(u64::MAX));
        {
            let mut slot = self.shared.slot.lock().unwrap_or_else(|e| e.into_inner());
            if slot.fresh {
                self.shared.overwritten.fetch_add(1, Ordering::Relaxed);
            }
            slot.bytes.clear();
            slot.bytes.extend_from_slice(self.pipeline.device_bytes());
            slot.time_nanos = time;
            slot.fresh = true;
        }
        self.shared.wake.notify_one();
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
        self.stats().send_errors
    }

    fn last_device_hash(&self) -> Option<u64> {
        self.last_hash
    }

    fn name(&self) -> &str {
        &self.name
    }
}
