//! Open Pixel Control (<http://openpixelcontrol.org/>) over TCP, with a background writer that
//! reconnects with back-off.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::stats::SendStats;

/// OPC command 0: set pixel colours (8-bit RGB triples).
pub const OPC_SET_PIXELS: u8 = 0;
/// Largest OPC message body, in bytes (the length field is 16 bits).
pub const OPC_MAX_DATA: usize = 65_535;

/// A frame too long for one OPC message.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
#[error(
    "an OPC message carries at most 65535 bytes (21,845 RGB pixels); this frame has {0} bytes: use DDP or E1.31, or map the frame onto fewer pixels"
)]
pub struct OpcTooLong(pub usize);

/// Writes an OPC "set pixel colours" message (channel, command 0, big-endian length, data) into
/// `out`, replacing its contents (its capacity is reused).
///
/// # Errors
/// [`OpcTooLong`] when `data` is longer than [`OPC_MAX_DATA`] bytes (21,845 RGB pixels); `out`
/// is then left empty.
pub fn encode_opc(channel: u8, data: &[u8], out: &mut Vec<u8>) -> Result<(), OpcTooLong> {
    out.clear();
    if data.len() > OPC_MAX_DATA {
        return Err(OpcTooLong(data.len()));
    }
    out.extend_from_slice(&[channel, OPC_SET_PIXELS]);
    out.extend_from_slice(&(data.len() as u16).to_be_bytes());
    out.extend_from_slice(data);
    Ok(())
}

/// Timing of an [`OpcSender`]'s connection handling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpcTiming {
    /// Longest wait for a TCP connect; default 500 ms.
    pub connect_timeout: Duration,
    /// Longest wait for one message to be written; default 500 ms.
    pub write_timeout: Duration,
    /// First wait after a failed connect; doubled after each failure; default 50 ms.
    pub backoff_min: Duration,
    /// Longest wait between connect attempts; default 2 s.
    pub backoff_max: Duration,
}

impl Default for OpcTiming {
    fn default() -> OpcTiming {
        OpcTiming {
            connect_timeout: Duration::from_millis(500),
            write_timeout: Duration::from_millis(500),
            backoff_min: Duration::from_millis(50),
            backoff_max: Duration::from_secs(2),
        }
    }
}

struct Slot {
    buf: Vec<u8>,
    fresh: bool,
    stop: bool,
    stats: SendStats,
}

struct Shared {
    slot: Mutex<Slot>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Sends frames to an OPC server over TCP from a background thread.
///
/// [`OpcSender::send`] only copies the frame into a reused slot and wakes the writer, so it
/// never waits on the network. The writer connects (with [`OpcTiming::connect_timeout`]),
/// writes the newest frame, and on any error drops the connection and reconnects with
/// exponential back-off. Frames replaced before the writer took them, or arriving while
/// disconnected, are counted in [`SendStats::frames_dropped`].
pub struct OpcSender {
    channel: u8,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for OpcSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpcSender").field("channel", &self.channel).finish_non_exhaustive()
    }
}

impl OpcSender {
    /// Starts a sender to `host:port` on OPC `channel` (the name is resolved now, once).
    ///
    /// # Errors
    /// When the name does not resolve or the thread cannot start. An unreachable server is not
    /// an error: the writer keeps trying.
    pub fn connect(host: &str, port: u16, channel: u8, timing: OpcTiming) -> io::Result<OpcSender> {
        let addr = (host, port)
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("`{host}` has no address")))?;
        let shared = Arc::new(Shared {
            slot: Mutex::new(Slot {
                buf: Vec::new(),
                fresh: false,
                stop: false,
                stats: SendStats::default(),
            }),
            wake: Condvar::new(),
        });
        let worker = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("tickframe-opc".into())
            .spawn(move || writer(&worker, addr, timing))?;
        Ok(OpcSender { channel, shared, thread: Some(thread) })
    }

    /// Queues one frame's device bytes (replacing a frame not yet written). Never blocks on the
    /// network; allocates nothing once the slot has grown to the frame size. A frame longer than
    /// [`OPC_MAX_DATA`] bytes is not sent and counts as a send error.
    pub fn send(&mut self, data: &[u8]) {
        let mut slot = self.shared.lock();
        slot.stats.frames += 1;
        if slot.fresh {
            slot.stats.frames_dropped += 1;
        }
        if encode_opc(self.channel, data, &mut slot.buf).is_err() {
            slot.stats.send_errors += 1;
            slot.stats.last_error = Some(io::ErrorKind::InvalidInput);
            slot.fresh = false;
            return;
        }
        slot.fresh = true;
        drop(slot);
        self.shared.wake.notify_one();
    }

    /// The counters so far.
    pub fn stats(&self) -> SendStats {
        self.shared.lock().stats
    }
}

impl Drop for OpcSender {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn writer(shared: &Shared, addr: SocketAddr, timing: OpcTiming) {
    let mut local: Vec<u8> = Vec::new();
    let mut stream: Option<TcpStream> = None;
    let mut backoff = timing.backoff_min;
    loop {
        if stream.is_none() {
            match TcpStream::connect_timeout(&addr, timing.connect_timeout) {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    let _ = s.set_write_timeout(Some(timing.write_timeout));
                    stream = Some(s);
                    backoff = timing.backoff_min;
                    shared.lock().stats.connects += 1;
                }
                Err(e) => {
                    let mut slot = shared.lock();
                    slot.stats.error(e.kind());
                    if slot.fresh {
                        slot.fresh = false;
                        slot.stats.frames_dropped += 1;
                    }
                    let (mut slot, _) = shared
                        .wake
                        .wait_timeout_while(slot, backoff, |s| !s.stop)
                        .unwrap_or_else(|e| e.into_inner());
                    if slot.stop {
                        return;
                    }
                    if slot.fresh {
                        slot.fresh = false;
                        slot.stats.frames_dropped += 1;
                    }
                    backoff = (backoff * 2).min(timing.backoff_max);
                    continue;
                }
            }
        }
        let slot = shared.lock();
        let mut slot =
            shared.wake.wait_while(slot, |s| !s.fresh && !s.stop).unwrap_or_else(|e| e.into_inner());
        if slot.stop {
            return;
        }
        std::mem::swap(&mut slot.buf, &mut local);
        slot.fresh = false;
        drop(slot);
        let result = stream.as_mut().map_or(Ok(()), |s| s.write_all(&local));
        let mut slot = shared.lock();
        match result {
            Ok(()) => {
                slot.stats.packets_sent += 1;
                slot.stats.bytes_sent += local.len() as u64;
            }
            Err(e) => {
                slot.stats.error(e.kind());
                slot.stats.frames_dropped += 1;
                stream = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_layout() {
        let mut out = vec![9; 2];
        encode_opc(3, &[1, 2, 3, 4, 5, 6], &mut out).unwrap();
        assert_eq!(out, [3, 0, 0, 6, 1, 2, 3, 4, 5, 6]);
        let long = vec![0u8; OPC_MAX_DATA + 1];
        assert_eq!(encode_opc(0, &long, &mut out), Err(OpcTooLong(OPC_MAX_DATA + 1)));
        assert!(out.is_empty());
    }
}
