//! E1.31-2018 (streaming ACN, "sACN") encoder: data packets and universe synchronisation.

use std::net::Ipv4Addr;

use crate::artnet::EncoderConfigError;
use crate::packet::{PacketKind, Packets};

/// `ASC-E1.17\0\0\0`, the ACN packet identifier.
pub const ACN_PACKET_IDENTIFIER: [u8; 12] = *b"ASC-E1.17\0\0\0";
/// Root-layer vector of a data packet.
pub const VECTOR_ROOT_E131_DATA: u32 = 0x0000_0004;
/// Root-layer vector of a synchronisation packet.
pub const VECTOR_ROOT_E131_EXTENDED: u32 = 0x0000_0008;
/// Framing-layer vector of a data packet.
pub const VECTOR_E131_DATA_PACKET: u32 = 0x0000_0002;
/// Framing-layer vector of a synchronisation packet.
pub const VECTOR_E131_EXTENDED_SYNCHRONIZATION: u32 = 0x0000_0001;
/// Length of a data packet's headers before the DMX slots (after the start code).
pub const E131_DATA_HEADER_LEN: usize = 126;
/// Length of a synchronisation packet.
pub const E131_SYNC_LEN: usize = 49;
/// Highest valid universe.
pub const E131_MAX_UNIVERSE: u16 = 63999;

/// The multicast group of an E1.31 universe: `239.255.(u >> 8).(u & 0xff)`.
///
/// # Examples
/// ```
/// assert_eq!(tickframe_outputs::e131_multicast_addr(1).to_string(), "239.255.0.1");
/// assert_eq!(tickframe_outputs::e131_multicast_addr(63999).to_string(), "239.255.249.255");
/// ```
pub const fn e131_multicast_addr(universe: u16) -> Ipv4Addr {
    Ipv4Addr::new(239, 255, (universe >> 8) as u8, universe as u8)
}

/// Settings of an [`E131Encoder`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct E131Config {
    /// First universe, 1..=63999; default 1.
    pub start_universe: u16,
    /// DMX slots used per universe, 1..=512; default 510 (170 RGB pixels).
    pub channels: u16,
    /// Priority, 0..=200; default 100.
    pub priority: u8,
    /// Source name (UTF-8, at most 63 bytes); default `tickframe`.
    pub source_name: String,
    /// Component identifier (a UUID); default [`default_cid`] of the source name.
    pub cid: [u8; 16],
    /// Synchronisation universe: when set, data packets carry it as their sync address and a
    /// synchronisation packet follows each frame; default none.
    pub sync_universe: Option<u16>,
}

impl Default for E131Config {
    fn default() -> E131Config {
        E131Config {
            start_universe: 1,
            channels: 510,
            priority: 100,
            source_name: "tickframe".into(),
            cid: default_cid("tickframe"),
            sync_universe: None,
        }
    }
}

/// A stable, deterministic CID for a source name: XXH3-128 of `tickframe-e131:` + name, marked
/// as a version-4, RFC 4122 variant UUID. The same name always gives the same CID, so a
/// receiver sees one source across restarts.
pub fn default_cid(source_name: &str) -> [u8; 16] {
    let mut key = b"tickframe-e131:".to_vec();
    key.extend_from_slice(source_name.as_bytes());
    let mut cid = xxhash_rust::xxh3::xxh3_128(&key).to_be_bytes();
    cid[6] = (cid[6] & 0x0f) | 0x40;
    cid[8] = (cid[8] & 0x3f) | 0x80;
    cid
}

/// Splits a frame's device bytes over consecutive E1.31 universes.
///
/// Data packets follow E1.31-2018 §4 (root layer with preamble 0x0010, `ASC-E1.17`, vector 4,
/// CID; framing layer with vector 2, source name, priority, sync address, sequence number
/// (one counter per universe), options 0, universe; DMP layer with vector 2, type 0xa1, first
/// address 0, increment 1, count = 1 + slots, start code 0). The last universe carries only
/// the remaining slots. With a sync universe, a 49-byte synchronisation packet (its own
/// sequence counter) ends the frame.
///
/// # Examples
/// ```
/// use tickframe_outputs::{E131Config, E131Encoder};
/// let mut enc = E131Encoder::new(E131Config { start_universe: 5, ..Default::default() }).unwrap();
/// let p = enc.encode(&[1u8; 1020]);
/// assert_eq!(p.len(), 2);
/// assert_eq!(p.get(1).universe, 6);
/// assert_eq!(p.get(1).bytes.len(), 126 + 510);
/// ```
#[derive(Clone, Debug)]
pub struct E131Encoder {
    config: E131Config,
    template: [u8; E131_DATA_HEADER_LEN],
    sequences: Vec<u8>,
    sync_sequence: u8,
    packets: Packets,
}

impl E131Encoder {
    /// An encoder with `config`.
    ///
    /// # Errors
    /// When a universe, the channel count, the priority or the source name is out of range.
    pub fn new(config: E131Config) -> Result<E131Encoder, EncoderConfigError> {
        let bad = |m: String| Err(EncoderConfigError(m));
        if !(1..=E131_MAX_UNIVERSE).contains(&config.start_universe) {
            return bad(format!("E1.31 universe {} is outside 1..=63999", config.start_universe));
        }
        if let Some(s) = config.sync_universe.filter(|s| !(1..=E131_MAX_UNIVERSE).contains(s)) {
            return bad(format!("E1.31 sync universe {s} is outside 1..=63999"));
        }
        if !(1..=512).contains(&config.channels) {
            return bad(format!("E1.31 channels per universe {} is outside 1..=512", config.channels));
        }
        if config.priority > 200 {
            return bad(format!("E1.31 priority {} is above 200", config.priority));
        }
        if config.source_name.len() > 63 {
            return bad("E1.31 source name is longer than 63 bytes".into());
        }
        let mut t = [0u8; E131_DATA_HEADER_LEN];
        t[0..2].copy_from_slice(&0x0010u16.to_be_bytes());
        t[4..16].copy_from_slice(&ACN_PACKET_IDENTIFIER);
        t[18..22].copy_from_slice(&VECTOR_ROOT_E131_DATA.to_be_bytes());
        t[22..38].copy_from_slice(&config.cid);
        t[40..44].copy_from_slice(&VECTOR_E131_DATA_PACKET.to_be_bytes());
        t[44..44 + config.source_name.len()].copy_from_slice(config.source_name.as_bytes());
        t[108] = config.priority;
        t[109..111].copy_from_slice(&config.sync_universe.unwrap_or(0).to_be_bytes());
        t[117] = 0x02;
        t[118] = 0xa1;
        t[121..123].copy_from_slice(&1u16.to_be_bytes());
        Ok(E131Encoder {
            config,
            template: t,
            sequences: Vec::new(),
            sync_sequence: 0,
            packets: Packets::new(),
        })
    }

    /// The settings.
    pub fn config(&self) -> &E131Config {
        &self.config
    }

    /// Universes needed for `bytes` device bytes (at least 1).
    pub fn universes_for(&self, bytes: usize) -> usize {
        bytes.div_ceil(self.config.channels as usize).max(1)
    }

    /// Whether a frame of `bytes` device bytes fits in universes up to 63999.
    ///
    /// # Errors
    /// Naming the universes the frame would need.
    pub fn check_len(&self, bytes: usize) -> Result<(), EncoderConfigError> {
        e131_span(self.config.start_universe, self.config.channels, bytes)
    }

    /// Encodes one frame. Allocates nothing once buffers have grown to the frame's size.
    /// Universes past 63999 are left out (check with [`E131Encoder::check_len`] first).
    pub fn encode(&mut self, data: &[u8]) -> &Packets {
        self.packets.clear();
        let ch = self.config.channels as usize;
        let n = self
            .universes_for(data.len())
            .min(usize::from(E131_MAX_UNIVERSE) + 1 - usize::from(self.config.start_universe));
        if self.sequences.len() < n {
            self.sequences.resize(n, 0);
        }
        for u in 0..n {
            let chunk = &data[(u * ch).min(data.len())..((u + 1) * ch).min(data.len())];
            let universe = self.config.start_universe + u as u16;
            let total = E131_DATA_HEADER_LEN + chunk.len();
            let seq = self.sequences[u];
            self.sequences[u] = seq.wrapping_add(1);
            let p = self.packets.begin(&self.template);
            let h = self.packets.current(p);
            h[16..18].copy_from_slice(&(0x7000 | (total - 16) as u16).to_be_bytes());
            h[38..40].copy_from_slice(&(0x7000 | (total - 38) as u16).to_be_bytes());
            h[111] = seq;
            h[113..115].copy_from_slice(&universe.to_be_bytes());
            h[115..117].copy_from_slice(&(0x7000 | (total - 115) as u16).to_be_bytes());
            h[123..125].copy_from_slice(&(chunk.len() as u16 + 1).to_be_bytes());
            self.packets.extend(chunk);
            self.packets.finish(p, universe, PacketKind::Data);
        }
        if let Some(sync) = self.config.sync_universe {
            let seq = self.sync_sequence;
            self.sync_sequence = seq.wrapping_add(1);
            let packet = sync_packet(&self.config.cid, seq, sync);
            let p = self.packets.begin(&packet);
            self.packets.finish(p, sync, PacketKind::Sync);
        }
        &self.packets
    }
}

/// Checks that `bytes` device bytes, `channels` a universe from `start`, end at or before
/// universe 63999.
pub(crate) fn e131_span(start: u16, channels: u16, bytes: usize) -> Result<(), EncoderConfigError> {
    let n = bytes.div_ceil(usize::from(channels.max(1))).max(1);
    let last = usize::from(start) + n - 1;
    if last > usize::from(E131_MAX_UNIVERSE) {
        return Err(EncoderConfigError(format!(
            "a frame of {bytes} device bytes needs {n} E1.31 universes of {channels} channels, {start}..={last}, but universes end at 63999: use universe={} or lower",
            (usize::from(E131_MAX_UNIVERSE) + 1).saturating_sub(n).max(1)
        )));
    }
    Ok(())
}

/// A 49-byte E1.31 synchronisation packet (E1.31-2018 §4.2).
pub fn sync_packet(cid: &[u8; 16], sequence: u8, sync_universe: u16) -> [u8; E131_SYNC_LEN] {
    let mut p = [0u8; E131_SYNC_LEN];
    p[0..2].copy_from_slice(&0x0010u16.to_be_bytes());
    p[4..16].copy_from_slice(&ACN_PACKET_IDENTIFIER);
    p[16..18].copy_from_slice(&(0x7000 | (E131_SYNC_LEN - 16) as u16).to_be_bytes());
    p[18..22].copy_from_slice(&VECTOR_ROOT_E131_EXTENDED.to_be_bytes());
    p[22..38].copy_from_slice(cid);
    p[38..40].copy_from_slice(&(0x7000 | (E131_SYNC_LEN - 38) as u16).to_be_bytes());
    p[40..44].copy_from_slice(&VECTOR_E131_EXTENDED_SYNCHRONIZATION.to_be_bytes());
    p[44] = sequence;
    p[45..47].copy_from_slice(&sync_universe.to_be_bytes());
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_universe_packet_is_638_bytes_with_spec_lengths() {
        let cid = [0xAB; 16];
        let mut enc = E131Encoder::new(E131Config { cid, channels: 512, ..Default::default() }).unwrap();
        let data: Vec<u8> = (0..512u32).map(|i| i as u8).collect();
        let p = enc.encode(&data).get(0).bytes.to_vec();
        assert_eq!(p.len(), 638);
        let expect_prefix: &[u8] = &[
            0x00, 0x10, 0x00, 0x00, b'A', b'S', b'C', b'-', b'E', b'1', b'.', b'1', b'7', 0, 0, 0, 0x72,
            0x6e, 0, 0, 0, 4,
        ];
        assert_eq!(&p[..22], expect_prefix);
        assert_eq!(&p[22..38], &cid);
        assert_eq!(&p[38..44], &[0x72, 0x58, 0, 0, 0, 2]);
        assert_eq!(&p[44..54], b"tickframe\0");
        assert_eq!(&p[108..126], &[100, 0, 0, 0, 0, 0, 1, 0x72, 0x0b, 0x02, 0xa1, 0, 0, 0, 1, 0x02, 0x01, 0]);
        assert_eq!(&p[126..], &data[..]);
        assert_eq!(enc.encode(&data).get(0).bytes[111], 1, "sequence increments per universe");
    }

    #[test]
    fn sync_packet_layout() {
        let p = sync_packet(&[1; 16], 9, 0x1234);
        assert_eq!(&p[16..22], &[0x70, 0x21, 0, 0, 0, 8]);
        assert_eq!(&p[38..49], &[0x70, 0x0b, 0, 0, 0, 1, 9, 0x12, 0x34, 0, 0]);
    }

    #[test]
    fn cid_is_a_stable_v4_uuid() {
        let a = default_cid("x");
        assert_eq!(a, default_cid("x"));
        assert_ne!(a, default_cid("y"));
        assert_eq!(a[6] >> 4, 4);
        assert_eq!(a[8] >> 6, 2);
    }
}
