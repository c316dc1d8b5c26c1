//! A reused buffer holding one frame's packets back to back.

/// What a packet is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacketKind {
    /// Pixel data.
    Data,
    /// A synchronisation packet (E1.31 universe sync, ArtSync) sent after a frame's data.
    Sync,
}

/// One encoded packet, borrowed from a [`Packets`] buffer.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    /// The bytes to put on the wire (UDP payload, or a TCP message for OPC).
    pub bytes: &'a [u8],
    /// The universe it addresses (E1.31 / Art-Net port-address; for a sync packet the sync
    /// universe; 0 for DDP and OPC). Multicast senders derive the group from it.
    pub universe: u16,
    /// Data or sync.
    pub kind: PacketKind,
}

#[derive(Clone, Copy, Debug)]
struct Span {
    start: usize,
    len: usize,
    universe: u16,
    kind: PacketKind,
}

/// One frame's packets, stored contiguously in a buffer whose capacity is kept between frames,
/// so encoding allocates nothing once the largest frame has been seen.
#[derive(Clone, Debug, Default)]
pub struct Packets {
    buf: Vec<u8>,
    spans: Vec<Span>,
}

impl Packets {
    /// An empty buffer.
    pub fn new() -> Packets {
        Packets::default()
    }

    /// Number of packets.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are no packets.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Total bytes over all packets.
    pub fn total_bytes(&self) -> usize {
        self.buf.len()
    }

    /// Packet `i`.
    ///
    /// # Panics
    /// When `i >= len()`.
    pub fn get(&self, i: usize) -> Packet<'_> {
        let s = self.spans[i];
        Packet { bytes: &self.buf[s.start..s.start + s.len], universe: s.universe, kind: s.kind }
    }

    /// The packets in sending order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Packet<'_>> + '_ {
        (0..self.spans.len()).map(|i| self.get(i))
    }

    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.spans.clear();
    }

    /// Starts a packet: appends `header` and returns the start offset for [`Packets::finish`].
    pub(crate) fn begin(&mut self, header: &[u8]) -> usize {
        let start = self.buf.len();
        self.buf.extend_from_slice(header);
        start
    }

    pub(crate) fn extend(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    pub(crate) fn push_zeros(&mut self, n: usize) {
        self.buf.resize(self.buf.len() + n, 0);
    }

    /// The bytes of the packet being built (from `start`).
    pub(crate) fn current(&mut self, start: usize) -> &mut [u8] {
        &mut self.buf[start..]
    }

    pub(crate) fn finish(&mut self, start: usize, universe: u16, kind: PacketKind) {
        self.spans.push(Span { start, len: self.buf.len() - start, universe, kind });
    }
}
