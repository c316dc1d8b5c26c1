//! Criterion benches of the send path: DDP encode+send of a 256×64 frame, E1.31 over 97
//! universes, mapping + gamma for 16,384 pixels, the dirty-screen adapter.

use std::hint::black_box;
use std::net::UdpSocket;

use criterion::{Criterion, criterion_group, criterion_main};
use tickframe_core::{Frame, Rgba, Size, mix64};
use tickframe_outputs::{
    ChannelOrder, ColorSettings, DdpEncoder, E131Config, E131Encoder, LedOutput, LedPipeline, Mapping,
    NetworkOutput, Panel, Rotation, UdpSender, parse_output_url,
};

fn frame(size: Size, tick: u64) -> Frame {
    let mut f = Frame::new(size);
    for (i, px) in f.pixels_mut().iter_mut().enumerate() {
        let v = mix64(tick ^ i as u64);
        *px = Rgba::rgb(v as u8, (v >> 8) as u8, (v >> 16) as u8);
    }
    f
}

/// A loopback receiver that drains its socket on a thread (so the kernel buffer never fills).
fn drain() -> u16 {
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = rx.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while rx.recv(&mut buf).is_ok() {}
    });
    port
}

fn benches(c: &mut Criterion) {
    let size = Size::new(256, 64).unwrap();
    let f = frame(size, 1);
    let panels: Vec<Panel> = (0..4)
        .map(|i| Panel { x: i * 64, y: 0, width: 64, height: 64, rotation: Rotation::R90, serpentine: true })
        .collect();
    let mapping = Mapping::panels(size, &panels, Default::default()).unwrap();
    let settings = ColorSettings { gamma: 2.2, brightness: 200, power_limit: None, order: ChannelOrder::Grb };

    let mut leds = LedPipeline::new(mapping.clone(), settings);
    c.bench_function("map_gamma_16384px", |b| {
        b.iter(|| black_box(leds.process(black_box(f.view())).unwrap()))
    });

    let mut limited =
        LedPipeline::new(mapping.clone(), ColorSettings { power_limit: Some(1_000_000), ..settings });
    c.bench_function("map_gamma_power_limit_16384px", |b| {
        b.iter(|| black_box(limited.process(black_box(f.view())).unwrap()))
    });

    let device = leds.device_bytes().to_vec();
    let mut ddp = DdpEncoder::new(1);
    c.bench_function("ddp_encode_256x64", |b| {
        b.iter(|| black_box(ddp.encode(black_box(&device), None).len()))
    });

    let port = drain();
    let mut udp = UdpSender::unicast("127.0.0.1", port, None).unwrap();
    c.bench_function("ddp_encode_send_256x64", |b| {
        b.iter(|| black_box(udp.send_all(ddp.encode(black_box(&device), None))))
    });

    let mut e131 = E131Encoder::new(E131Config::default()).unwrap();
    c.bench_function("e131_encode_97_universes", |b| {
        b.iter(|| black_box(e131.encode(black_box(&device)).len()))
    });
    let mut udp2 = UdpSender::unicast("127.0.0.1", drain(), None).unwrap();
    c.bench_function("e131_encode_send_97_universes", |b| {
        b.iter(|| black_box(udp2.send_all(e131.encode(black_box(&device)))))
    });

    let net =
        NetworkOutput::open(&parse_output_url(&format!("ddp://127.0.0.1:{}", drain())).unwrap()).unwrap();
    let mut out = LedOutput::new(LedPipeline::new(mapping, settings), net);
    c.bench_function("led_output_ddp_full_256x64", |b| {
        b.iter(|| black_box(out.send_frame(black_box(f.view()), 0).unwrap()))
    });
}

criterion_group!(outputs, benches);
criterion_main!(outputs);
