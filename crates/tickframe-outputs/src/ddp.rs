//! DDP (Distributed Display Protocol, <http://www.3waylabs.com/ddp/>) encoder.

use crate::packet::{PacketKind, Packets};

/// Most data bytes in one DDP packet (480 RGB pixels), as the specification recommends so a
/// packet fits a 1,500-byte Ethernet MTU.
pub const DDP_MAX_DATA: usize = 1440;
/// Header length without timecode, in bytes.
pub const DDP_HEADER_LEN: usize = 10;
/// Byte 0 flag: protocol version 1.
pub const DDP_VERSION_1: u8 = 0x40;
/// Byte 0 flag: a 4-byte timecode follows the header.
pub const DDP_FLAG_TIMECODE: u8 = 0x10;
/// Byte 0 flag: push (display the accumulated data); set on a frame's last packet.
pub const DDP_FLAG_PUSH: u8 = 0x01;
/// Byte 2 data type for 8-bit RGB pixels (`0b00_001_011`: type RGB, 8 bits per element).
pub const DDP_TYPE_RGB8: u8 = 0x0B;

/// Splits a frame's device bytes into DDP packets.
///
/// Each packet: 10-byte header (`0x41`/`0x40` flags, sequence 1..=15 cycling per packet, data
/// type, destination ID, 32-bit big-endian data offset in bytes, 16-bit big-endian length),
/// then at most [`DDP_MAX_DATA`] bytes; the push flag is set on the last packet of the frame.
/// With a timecode the header is 14 bytes (flag `0x10`, the value big-endian after byte 9).
///
/// # Examples
/// ```
/// use tickframe_outputs::DdpEncoder;
/// let mut enc = DdpEncoder::new(1);
/// let packets = enc.encode(&[7u8; 3000], None);
/// assert_eq!(packets.len(), 3); // 1440 + 1440 + 120 bytes
/// let last = packets.get(2).bytes;
/// assert_eq!(last[0], 0x41); // version 1 + push
/// assert_eq!(&last[4..10], &[0, 0, 0x0b, 0x40, 0, 120]); // offset 2880, length 120
/// ```
#[derive(Clone, Debug)]
pub struct DdpEncoder {
    id: u8,
    data_type: u8,
    sequence: u8,
    packets: Packets,
}

impl DdpEncoder {
    /// An encoder addressing destination `id` (1 = the default output device), data type
    /// [`DDP_TYPE_RGB8`].
    pub fn new(id: u8) -> DdpEncoder {
        DdpEncoder { id, data_type: DDP_TYPE_RGB8, sequence: 0, packets: Packets::new() }
    }

    /// Sets the byte-2 data type (default [`DDP_TYPE_RGB8`]; `0x1B` is 8-bit RGBW).
    pub fn with_data_type(mut self, data_type: u8) -> DdpEncoder {
        self.data_type = data_type;
        self
    }

    /// Encodes one frame's device bytes. An empty frame gives one empty push packet. The
    /// optional `timecode` (sent as given, big-endian; the specification describes it as
    /// NTP-style fixed-point time) is added to every packet.
    ///
    /// Allocates nothing once the buffer has grown to the frame's size.
    pub fn encode(&mut self, data: &[u8], timecode: Option<u32>) -> &Packets {
        self.packets.clear();
        let chunks = data.len().div_ceil(DDP_MAX_DATA).max(1);
        for i in 0..chunks {
            let start = i * DDP_MAX_DATA;
            let chunk = &data[start.min(data.len())..(start + DDP_MAX_DATA).min(data.len())];
            self.sequence = self.sequence % 15 + 1;
            let mut flags = DDP_VERSION_1;
            if timecode.is_some() {
                flags |= DDP_FLAG_TIMECODE;
            }
            if i + 1 == chunks {
                flags |= DDP_FLAG_PUSH;
            }
            let off = (start as u32).to_be_bytes();
            let len = (chunk.len() as u16).to_be_bytes();
            let header = [
                flags,
                self.sequence,
                self.data_type,
                self.id,
                off[0],
                off[1],
                off[2],
                off[3],
                len[0],
                len[1],
            ];
            let p = self.packets.begin(&header);
            if let Some(tc) = timecode {
                self.packets.extend(&tc.to_be_bytes());
            }
            self.packets.extend(chunk);
            self.packets.finish(p, 0, PacketKind::Data);
        }
        &self.packets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_bytes_match_the_specification() {
        let mut enc = DdpEncoder::new(1);
        let data: Vec<u8> = (0..1500u32).map(|i| i as u8).collect();
        let p = enc.encode(&data, None);
        assert_eq!(p.len(), 2);
        assert_eq!(&p.get(0).bytes[..10], &[0x40, 1, 0x0b, 1, 0, 0, 0, 0, 0x05, 0xa0]);
        assert_eq!(&p.get(0).bytes[10..], &data[..1440]);
        assert_eq!(&p.get(1).bytes[..10], &[0x41, 2, 0x0b, 1, 0, 0, 0x05, 0xa0, 0, 60]);
        assert_eq!(&p.get(1).bytes[10..], &data[1440..]);
    }

    #[test]
    fn timecode_and_sequence_wrap() {
        let mut enc = DdpEncoder::new(2);
        for _ in 0..14 {
            enc.encode(&[1, 2, 3], None);
        }
        let p = enc.encode(&[1, 2, 3], Some(0x0102_0304));
        assert_eq!(p.get(0).bytes, &[0x51, 15, 0x0b, 2, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 1, 2, 3]);
        assert_eq!(enc.encode(&[], None).get(0).bytes, &[0x41, 1, 0x0b, 2, 0, 0, 0, 0, 0, 0]);
    }
}
