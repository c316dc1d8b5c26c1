//! Art-Net 4 encoder: ArtDmx and ArtSync packets.

use crate::packet::{PacketKind, Packets};

/// `Art-Net\0`, the first 8 bytes of every Art-Net packet.
pub const ARTNET_ID: [u8; 8] = *b"Art-Net\0";
/// OpCode of ArtDmx (sent little-endian).
pub const ARTNET_OP_DMX: u16 = 0x5000;
/// OpCode of ArtSync (sent little-endian).
pub const ARTNET_OP_SYNC: u16 = 0x5200;
/// Protocol version 14 (sent big-endian).
pub const ARTNET_PROTOCOL_VERSION: u16 = 14;

/// Splits a frame's device bytes over consecutive Art-Net universes (15-bit port-addresses).
///
/// ArtDmx: `Art-Net\0`, OpCode `0x5000` (LE), ProtVer 14 (BE), Sequence (1..=255 per
/// universe, cycling, never 0), Physical 0, SubUni (low byte of the port-address), Net (high 7
/// bits), Length (BE, even, 2..=512), data. An odd-length last universe is padded with a 0.
/// With sync on, an 14-byte ArtSync follows the frame's data.
///
/// # Examples
/// ```
/// use tickframe_outputs::ArtNetEncoder;
/// let mut enc = ArtNetEncoder::new(0x0123, 510, true).unwrap();
/// let p = enc.encode(&[9u8; 600]);
/// assert_eq!(p.len(), 3); // 510 + 90 data bytes + ArtSync
/// assert_eq!(&p.get(1).bytes[12..18], &[1, 0, 0x24, 0x01, 0, 90]); // seq 1, port-address 0x124
/// ```
#[derive(Clone, Debug)]
pub struct ArtNetEncoder {
    start: u16,
    channels: usize,
    sync: bool,
    sequences: Vec<u8>,
    packets: Packets,
}

/// An invalid Art-Net or E1.31 encoder setting.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct EncoderConfigError(pub String);

impl ArtNetEncoder {
    /// An encoder starting at port-address `start_universe` (0..=32767), putting `channels`
    /// bytes (2..=512, even; 510 = 170 RGB pixels is usual) in each universe, with an ArtSync
    /// after each frame when `sync`.
    ///
    /// # Errors
    /// When a setting is out of range.
    pub fn new(start_universe: u16, channels: u16, sync: bool) -> Result<ArtNetEncoder, EncoderConfigError> {
        if start_universe > 32767 {
            return Err(EncoderConfigError(format!("Art-Net universe {start_universe} is above 32767")));
        }
        if !(2..=512).contains(&channels) || !channels.is_multiple_of(2) {
            return Err(EncoderConfigError(format!(
                "Art-Net channels per universe {channels}: expected an even number in 2..=512"
            )));
        }
        Ok(ArtNetEncoder {
            start: start_universe,
            channels: channels as usize,
            sync,
            sequences: Vec::new(),
            packets: Packets::new(),
        })
    }

    /// Universes needed for `bytes` device bytes.
    pub fn universes_for(&self, bytes: usize) -> usize {
        bytes.div_ceil(self.channels).max(1)
    }

    /// Whether a frame of `bytes` device bytes fits in port-addresses up to 32767.
    ///
    /// # Errors
    /// Naming the port-addresses the frame would need.
    pub fn check_len(&self, bytes: usize) -> Result<(), EncoderConfigError> {
        artnet_span(self.start, self.channels as u16, bytes)
    }

    /// Encodes one frame. Allocates nothing once buffers have grown to the frame's size.
    /// Port-addresses past 32767 are left out (check with [`ArtNetEncoder::check_len`] first).
    pub fn encode(&mut self, data: &[u8]) -> &Packets {
        self.packets.clear();
        let n = self.universes_for(data.len()).min(32768 - self.start as usize);
        if self.sequences.len() < n {
            self.sequences.resize(n, 0);
        }
        for u in 0..n {
            let chunk = &data[(u * self.channels).min(data.len())..((u + 1) * self.channels).min(data.len())];
            let padded = (chunk.len() + chunk.len() % 2).max(2);
            let seq = &mut self.sequences[u];
            *seq = *seq % 255 + 1;
            let port = self.start + u as u16;
            let op = ARTNET_OP_DMX.to_le_bytes();
            let ver = ARTNET_PROTOCOL_VERSION.to_be_bytes();
            let len = (padded as u16).to_be_bytes();
            let mut header = [0u8; 18];
            header[..8].copy_from_slice(&ARTNET_ID);
            header[8..18].copy_from_slice(&[
                op[0],
                op[1],
                ver[0],
                ver[1],
                *seq,
                0,
                port as u8,
                (port >> 8) as u8,
                len[0],
                len[1],
            ]);
            let p = self.packets.begin(&header);
            self.packets.extend(chunk);
            self.packets.push_zeros(padded - chunk.len());
            self.packets.finish(p, port, PacketKind::Data);
        }
        if self.sync {
            let p = self.packets.begin(&artsync_packet());
            self.packets.finish(p, 0, PacketKind::Sync);
        }
        &self.packets
    }
}

/// Checks that `bytes` device bytes, `channels` a universe from port-address `start`, end at or
/// before 32767.
pub(crate) fn artnet_span(start: u16, channels: u16, bytes: usize) -> Result<(), EncoderConfigError> {
    let n = bytes.div_ceil(usize::from(channels.max(1))).max(1);
    let last = usize::from(start) + n - 1;
    if last > 32767 {
        return Err(EncoderConfigError(format!(
            "a frame of {bytes} device bytes needs {n} Art-Net universes of {channels} channels, {start}..={last}, but port-addresses end at 32767: use universe={} or lower",
            32768usize.saturating_sub(n)
        )));
    }
    Ok(())
}

/// The 14-byte ArtSync packet: `Art-Net\0`, OpCode `0x5200` (LE), ProtVer 14, Aux1 0, Aux2 0.
pub fn artsync_packet() -> [u8; 14] {
    let mut p = [0u8; 14];
    p[..8].copy_from_slice(&ARTNET_ID);
    p[8..12].copy_from_slice(&[0x00, 0x52, 0, 14]);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artdmx_bytes() {
        let mut enc = ArtNetEncoder::new(0, 510, false).unwrap();
        let p = enc.encode(&[1, 2, 3]);
        assert_eq!(p.len(), 1);
        assert_eq!(
            p.get(0).bytes,
            &[b'A', b'r', b't', b'-', b'N', b'e', b't', 0, 0x00, 0x50, 0, 14, 1, 0, 0, 0, 0, 4, 1, 2, 3, 0]
        );
        for _ in 0..254 {
            enc.encode(&[1, 2]);
        }
        assert_eq!(enc.encode(&[1, 2]).get(0).bytes[12], 1, "sequence wraps 255 -> 1");
        assert!(ArtNetEncoder::new(0, 511, false).is_err());
    }

    #[test]
    fn artsync_bytes() {
        assert_eq!(artsync_packet(), [b'A', b'r', b't', b'-', b'N', b'e', b't', 0, 0, 0x52, 0, 14, 0, 0]);
    }
}
