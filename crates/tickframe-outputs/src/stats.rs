//! Counters every sender keeps: errors are counted here, not returned.

use std::io::ErrorKind;

/// What a sender has done so far. Errors that should not stop a run (a lost packet, an
/// unreachable host, a closed connection) end up here instead of in a `Result`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SendStats {
    /// Frames handed to the sender.
    pub frames: u64,
    /// Packets (UDP datagrams or OPC messages) handed to the operating system successfully.
    pub packets_sent: u64,
    /// Bytes in those packets (payload only, no IP/UDP/TCP headers).
    pub bytes_sent: u64,
    /// Packets that failed to send (unreachable host, refused, socket buffer full, …).
    pub send_errors: u64,
    /// Of those, packets dropped because the socket would have blocked (buffer full).
    pub would_block: u64,
    /// Frames that did not reach the wire whole (any packet failed, not connected, or replaced
    /// by a newer frame before the OPC writer thread took it).
    pub frames_dropped: u64,
    /// Successful (re)connections of a TCP sender (OPC); 0 for UDP.
    pub connects: u64,
    /// The kind of the most recent error, if any.
    pub last_error: Option<ErrorKind>,
}

impl SendStats {
    pub(crate) fn error(&mut self, kind: ErrorKind) {
        self.send_errors += 1;
        if kind == ErrorKind::WouldBlock {
            self.would_block += 1;
        }
        self.last_error = Some(kind);
    }
}
