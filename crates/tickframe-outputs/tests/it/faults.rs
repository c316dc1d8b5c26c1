//! Faults: unreachable receivers, receivers that go away and come back. Sending never blocks
//! for long, errors are counted, output resumes by itself, nothing panics.

use std::io::Read;
use std::net::{TcpListener, UdpSocket};
use std::time::{Duration, Instant};

use tickframe_core::Size;
use tickframe_outputs::{ColorSettings, LedOutput, LedPipeline, Mapping, NetworkOutput, parse_output_url};

use crate::common::{free_port, recv_n, test_frame};

fn output(url: &str, size: Size) -> LedOutput {
    let net = NetworkOutput::open(&parse_output_url(url).unwrap()).unwrap();
    LedOutput::new(LedPipeline::new(Mapping::row_major(size), ColorSettings::default()), net)
}

/// Sends `n` frames; asserts no single send took longer than 50 ms.
fn send_frames(out: &mut LedOutput, size: Size, n: u64) {
    for tick in 0..n {
        let frame = test_frame(size, tick);
        let t = Instant::now();
        out.send_frame(frame.view(), 0).unwrap();
        assert!(t.elapsed() < Duration::from_millis(50), "a send blocked for {:?}", t.elapsed());
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn udp_receiver_away_and_back() {
    let size = Size::new(16, 16).unwrap();
    for scheme in ["ddp", "e131", "artnet"] {
        let port = free_port();
        let mut out = output(&format!("{scheme}://127.0.0.1:{port}"), size);
        // Nobody listening: ICMP port unreachable comes back as counted ConnectionRefused.
        send_frames(&mut out, size, 10);
        let away = out.stats();
        assert!(away.send_errors > 0 && away.frames_dropped > 0, "{scheme}: {away:?}");
        // The receiver comes back on the same port: frames arrive again by themselves.
        let rx = UdpSocket::bind(("127.0.0.1", port)).unwrap();
        rx.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        send_frames(&mut out, size, 3);
        assert!(!recv_n(&rx, 1, Duration::from_secs(1)).is_empty(), "{scheme}: output resumed");
        let back = out.stats();
        assert!(back.packets_sent > away.packets_sent, "{scheme}: {back:?}");
    }
}

#[test]
fn unreachable_host_name_is_an_open_error_not_a_panic() {
    let e = NetworkOutput::open(&parse_output_url("ddp://no-such-host.invalid").unwrap()).unwrap_err();
    assert!(e.to_string().contains("no-such-host.invalid:4048"), "{e}");
}

#[test]
fn opc_reconnects_after_the_server_goes_away_and_comes_back() {
    let size = Size::new(8, 8).unwrap();
    let port = free_port();
    let mut out = output(&format!("opc://127.0.0.1:{port}"), size);
    // No server yet: sends return at once; connect failures are counted.
    send_frames(&mut out, size, 20);
    let s = out.stats();
    assert_eq!(s.connects, 0);
    assert!(s.send_errors > 0, "{s:?}");

    // Server appears: the writer connects and frames arrive.
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let read_one = |listener: &TcpListener, out: &mut LedOutput| {
        listener.set_nonblocking(true).unwrap();
        let start = Instant::now();
        loop {
            send_frames(out, size, 1);
            if let Ok((mut c, _)) = listener.accept() {
                c.set_nonblocking(false).unwrap();
                c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                send_frames(out, size, 1);
                let mut msg = [0u8; 4 + 192];
                c.read_exact(&mut msg).unwrap();
                assert_eq!(msg[..4], [0, 0, 0, 192]);
                return c;
            }
            assert!(start.elapsed() < Duration::from_secs(5), "writer did not reconnect: {:?}", out.stats());
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    let conn = read_one(&listener, &mut out);
    assert_eq!(out.stats().connects, 1);

    // Server goes away: writes fail, are counted, sends stay fast.
    drop(conn);
    drop(listener);
    send_frames(&mut out, size, 30);
    let away = out.stats();
    assert!(away.send_errors > s.send_errors, "{away:?}");

    // And comes back.
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let _conn = read_one(&listener, &mut out);
    assert!(out.stats().connects >= 2, "{:?}", out.stats());
}
