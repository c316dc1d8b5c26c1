//! Loopback round trips: a receiver rebuilds every frame bit-exactly from what was sent.

use std::io::Read;
use std::net::{Ipv4Addr, TcpListener, UdpSocket};
use std::time::Duration;

use tickframe_core::Size;
use tickframe_outputs::{
    ColorSettings, LedOutput, LedPipeline, Mapping, NetworkOutput, e131_multicast_addr, parse_output_url,
};

use crate::common::{frame_from_device, recv_n, test_frame, udp_receiver};

fn output(url: &str, mapping: Mapping) -> LedOutput {
    let net = NetworkOutput::open(&parse_output_url(url).unwrap()).unwrap();
    LedOutput::new(LedPipeline::new(mapping, ColorSettings::default()), net)
}

/// Decoded DDP frame: the bytes placed by offset, and whether the last packet pushed.
fn ddp_rebuild(packets: &[Vec<u8>], len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    for (i, p) in packets.iter().enumerate() {
        assert_eq!(p[0] & 0xc0, 0x40, "version 1");
        assert_eq!(p[0] & 0x01 == 1, i + 1 == packets.len(), "push only on the last packet");
        let off = u32::from_be_bytes([p[4], p[5], p[6], p[7]]) as usize;
        let n = u16::from_be_bytes([p[8], p[9]]) as usize;
        assert!(n <= 1440);
        assert_eq!(p.len(), 10 + n);
        out[off..off + n].copy_from_slice(&p[10..]);
    }
    out
}

#[test]
fn ddp_frames_rebuild_bit_exactly() {
    let size = Size::new(256, 64).unwrap();
    let (rx, port) = udp_receiver();
    let mut out = output(&format!("ddp://127.0.0.1:{port}"), Mapping::serpentine(size, false));
    for tick in 0..3 {
        let frame = test_frame(size, tick);
        let dev = out.send_frame(frame.view(), 0).unwrap();
        let packets = recv_n(&rx, 35, Duration::from_secs(2)); // 49,152 bytes / 1,440 = 35 packets
        assert_eq!(packets.len(), 35);
        let bytes = ddp_rebuild(&packets, dev.len);
        assert_eq!(xxhash_rust::xxh3::xxh3_64(&bytes), dev.hash, "device hash matches what arrived");
        assert_eq!(frame_from_device(out.pipeline().mapping(), &bytes), frame);
    }
    let s = out.stats();
    assert_eq!((s.frames, s.packets_sent, s.send_errors), (3, 105, 0));
}

/// Checks E1.31 data packets and rebuilds the device bytes; returns (universe, sequence) pairs.
fn e131_rebuild(
    packets: &[Vec<u8>],
    start: u16,
    channels: usize,
    len: usize,
) -> (Vec<u8>, Vec<(u16, u8)>, usize) {
    let mut out = vec![0u8; len];
    let mut seqs = Vec::new();
    let mut syncs = 0;
    for p in packets {
        assert_eq!(&p[4..16], b"ASC-E1.17\0\0\0");
        match p[21] {
            4 => {
                let universe = u16::from_be_bytes([p[113], p[114]]);
                let count = u16::from_be_bytes([p[123], p[124]]) as usize - 1;
                assert_eq!(p.len(), 126 + count);
                let off = (universe - start) as usize * channels;
                out[off..off + count].copy_from_slice(&p[126..]);
                seqs.push((universe, p[111]));
            }
            8 => syncs += 1,
            v => panic!("unexpected root vector {v}"),
        }
    }
    (out, seqs, syncs)
}

#[test]
fn e131_unicast_frames_rebuild_with_sequences_and_sync() {
    let size = Size::new(40, 10).unwrap(); // 400 pixels: 3 universes (170 + 170 + 60)
    let (rx, port) = udp_receiver();
    let mut out = output(&format!("e131://127.0.0.1:{port}?universe=10&sync=7"), Mapping::row_major(size));
    for tick in 0..3u8 {
        let frame = test_frame(size, u64::from(tick));
        let dev = out.send_frame(frame.view(), 0).unwrap();
        let packets = recv_n(&rx, 4, Duration::from_secs(2));
        let (bytes, seqs, syncs) = e131_rebuild(&packets, 10, 510, dev.len);
        assert_eq!(frame_from_device(out.pipeline().mapping(), &bytes), frame);
        assert_eq!(seqs, [(10, tick), (11, tick), (12, tick)]);
        assert_eq!(syncs, 1);
        assert_eq!(packets[3][44], tick, "sync sequence");
        assert_eq!(&packets[0][109..111], &[0, 7], "data packets carry the sync address");
    }
}

#[test]
fn e131_multicast_over_loopback() {
    let size = Size::new(200, 1).unwrap(); // 2 universes
    let rx = UdpSocket::bind("0.0.0.0:0").unwrap();
    rx.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let port = rx.local_addr().unwrap().port();
    for u in [1, 2] {
        if let Err(e) = rx.join_multicast_v4(&e131_multicast_addr(u), &Ipv4Addr::LOCALHOST) {
            assert!(
                !crate::tshark::strict(),
                "CI requires the multicast test, but joining on lo failed: {e}"
            );
            println!(
                "NOTICE: multicast join on lo is not possible here ({e}); only the group computation is tested"
            );
            return;
        }
    }
    let mut out =
        output(&format!("e131://multicast:{port}?universe=1&bind=127.0.0.1"), Mapping::row_major(size));
    let frame = test_frame(size, 5);
    let dev = out.send_frame(frame.view(), 0).unwrap();
    let packets = recv_n(&rx, 2, Duration::from_secs(2));
    assert_eq!(packets.len(), 2, "stats: {:?}", out.stats());
    let (bytes, seqs, _) = e131_rebuild(&packets, 1, 510, dev.len);
    assert_eq!(seqs, [(1, 0), (2, 0)]);
    assert_eq!(frame_from_device(out.pipeline().mapping(), &bytes), frame);
}

#[test]
fn artnet_frames_rebuild_with_sequences_and_sync() {
    let size = Size::new(300, 1).unwrap(); // 900 bytes: 510 + 390
    let (rx, port) = udp_receiver();
    let mut out = output(&format!("artnet://127.0.0.1:{port}?universe=255&sync=1"), Mapping::row_major(size));
    for tick in 1..=3u8 {
        let frame = test_frame(size, u64::from(tick));
        let dev = out.send_frame(frame.view(), 0).unwrap();
        let packets = recv_n(&rx, 3, Duration::from_secs(2));
        let mut bytes = vec![0u8; dev.len];
        for p in &packets[..2] {
            assert_eq!(&p[..12], b"Art-Net\0\x00\x50\x00\x0e");
            assert_eq!(p[12], tick, "sequence");
            let port_address = u16::from_le_bytes([p[14], p[15]]);
            let n = u16::from_be_bytes([p[16], p[17]]) as usize;
            let off = (port_address - 255) as usize * 510;
            let n_used = n.min(dev.len - off);
            bytes[off..off + n_used].copy_from_slice(&p[18..18 + n_used]);
        }
        assert_eq!(&packets[2][..], b"Art-Net\0\x00\x52\x00\x0e\x00\x00");
        assert_eq!(frame_from_device(out.pipeline().mapping(), &bytes), frame);
    }
}

#[test]
fn opc_frames_rebuild_bit_exactly() {
    let size = Size::new(32, 8).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut out = output(&format!("opc://127.0.0.1:{port}?channel=2"), Mapping::row_major(size));
    let (mut conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    for tick in 0..3 {
        let frame = test_frame(size, tick);
        let dev = out.send_frame(frame.view(), 0).unwrap();
        let mut header = [0u8; 4];
        conn.read_exact(&mut header).unwrap();
        assert_eq!(header[..2], [2, 0]);
        let len = u16::from_be_bytes([header[2], header[3]]) as usize;
        assert_eq!(len, dev.len);
        let mut data = vec![0u8; len];
        conn.read_exact(&mut data).unwrap();
        assert_eq!(frame_from_device(out.pipeline().mapping(), &data), frame);
        // Wait until the writer took this frame, so the next does not replace it.
        let t = std::time::Instant::now();
        while out.stats().packets_sent < tick + 1 && t.elapsed() < Duration::from_secs(2) {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    assert_eq!(out.stats().frames_dropped, 0);
}

/// 97 universes (16,384 pixels, 256×64) at 40 fps for one second: every packet arrives.
#[test]
fn e131_97_universes_at_40fps_drop_nothing() {
    let size = Size::new(256, 64).unwrap();
    let (rx, port) = udp_receiver();
    let counter = std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        let mut n = 0u32;
        let mut idle = 0;
        while idle < 5 {
            match rx.recv(&mut buf) {
                Ok(_) => {
                    n += 1;
                    idle = 0;
                }
                Err(_) => idle += 1,
            }
        }
        n
    });
    let mut out = output(&format!("e131://127.0.0.1:{port}?universe=1"), Mapping::row_major(size));
    let frames = 40;
    let start = std::time::Instant::now();
    for tick in 0..frames {
        let frame = test_frame(size, tick);
        out.send_frame(frame.view(), 0).unwrap();
        let next = Duration::from_millis(25 * (tick + 1));
        if let Some(wait) = next.checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    let received = counter.join().unwrap();
    let s = out.stats();
    assert_eq!(s.packets_sent, 97 * frames);
    assert_eq!((s.send_errors, s.frames_dropped), (0, 0));
    assert_eq!(u64::from(received), 97 * frames, "packets received on loopback");
}
