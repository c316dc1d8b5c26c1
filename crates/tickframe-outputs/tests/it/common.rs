//! Shared helpers: deterministic test frames, loopback receivers, a frame rebuilt from device
//! bytes.

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use tickframe_core::{Frame, Rgba, Size, mix64};
use tickframe_outputs::Mapping;

/// A frame whose every pixel differs from frame to frame (seeded, deterministic).
pub fn test_frame(size: Size, tick: u64) -> Frame {
    let mut f = Frame::new(size);
    for (i, px) in f.pixels_mut().iter_mut().enumerate() {
        let v = mix64(tick.wrapping_mul(0x9e37_79b9) ^ i as u64);
        *px = Rgba::rgb(v as u8, (v >> 8) as u8, (v >> 16) as u8);
    }
    f
}

/// A UDP receiver on 127.0.0.1 with a short read timeout.
pub fn udp_receiver() -> (UdpSocket, u16) {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let port = s.local_addr().unwrap().port();
    (s, port)
}

/// Receives datagrams until `n` arrived or `limit` passed.
pub fn recv_n(s: &UdpSocket, n: usize, limit: Duration) -> Vec<Vec<u8>> {
    let start = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 2048];
    while out.len() < n && start.elapsed() < limit {
        if let Ok(len) = s.recv(&mut buf) {
            out.push(buf[..len].to_vec());
        }
    }
    out
}

/// Rebuilds a frame's RGB from device bytes through an RGB-order mapping (alpha 255).
pub fn frame_from_device(mapping: &Mapping, device: &[u8]) -> Frame {
    let mut f = Frame::new(mapping.frame_size());
    for (src, off) in mapping.led_pixels().zip(mapping.led_offsets()) {
        f.pixels_mut()[src] = Rgba::rgb(device[off], device[off + 1], device[off + 2]);
    }
    f
}

/// An unused loopback TCP/UDP port (bound and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
