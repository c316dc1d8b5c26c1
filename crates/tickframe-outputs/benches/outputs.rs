//! Criterion benches of the send path: DDP encode+send of a 256×64 frame, E1.31 over 97
//! universes, mapping + gamma for 16,384 pixels, what `DeviceOutput::present` costs the
//! presenter (mapping + colour + hand-off to the sender thread), the dirty-screen adapter.

use std::hint::black_box;
use std::net::UdpSocket;

use criterion::{Criterion, criterion_group, criterion_main};
use embedded_graphics::Pixel;
use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::{DrawTarget, OriginDimensions};
use tickframe_core::convert::MonoMode;
use tickframe_core::{Frame, Rgba, Size, mix64};
use tickframe_engine::{Output, RunInfo};
use tickframe_outputs::{
    ChannelOrder, ColorSettings, DdpEncoder, DeviceOutput, DirtyScreen, E131Config, E131Encoder, LedOutput,
    LedPipeline, Mapping, NetworkOutput, Panel, Rotation, UdpSender, mono, parse_output_url,
};

/// A 128×64 1-bit framebuffer, as an SSD1306 driver keeps in memory.
struct Oled([u8; 128 * 64 / 8]);

impl OriginDimensions for Oled {
    fn size(&self) -> embedded_graphics::prelude::Size {
        embedded_graphics::prelude::Size::new(128, 64)
    }
}

impl DrawTarget for Oled {
    type Color = BinaryColor;
    type Error = core::convert::Infallible;
    fn draw_iter<I: IntoIterator<Item = Pixel<BinaryColor>>>(
        &mut self,
        pixels: I,
    ) -> Result<(), Self::Error> {
        for Pixel(p, c) in pixels {
            if (0..128).contains(&p.x) && (0..64).contains(&p.y) {
                let (i, bit) = ((p.y as usize / 8) * 128 + p.x as usize, p.y as u32 % 8);
                if c.is_on() {
                    self.0[i] |= 1 << bit;
                } else {
                    self.0[i] &= !(1 << bit);
                }
            }
        }
        Ok(())
    }
}

/// A `DeviceOutput` to `url`, begun: `present` is what a presenter thread pays per frame.
fn device_output(url: &str, mapping: Mapping, settings: ColorSettings, size: Size) -> DeviceOutput {
    let mut out = DeviceOutput::new(url, parse_output_url(url).unwrap(), LedPipeline::new(mapping, settings));
    let rate = tickframe_core::FrameRate::whole(60).unwrap();
    out.begin(&RunInfo { size, rate, seed: 0, scene: "bench".into(), frames: None }).unwrap();
    out
}

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
    let mut out = LedOutput::new(LedPipeline::new(mapping.clone(), settings), net);
    c.bench_function("led_output_ddp_full_256x64", |b| {
        b.iter(|| black_box(out.send_frame(black_box(f.view()), 0).unwrap()))
    });

    // Presenter time per frame of a device output (target: under 0.2 ms for DDP at 256×64):
    // mapping + gamma + channel order + hash + copy into the hand-off slot; the sockets are the
    // sender thread's.
    let mut ddp_out = device_output(&format!("ddp://127.0.0.1:{}", drain()), mapping.clone(), settings, size);
    let mut tick = 0;
    c.bench_function("device_output_present_ddp_256x64", |b| {
        b.iter(|| {
            tick += 1;
            black_box(ddp_out.present(tick, black_box(f.view())).unwrap())
        })
    });
    let mut e131_out =
        device_output(&format!("e131://127.0.0.1:{}?universe=1", drain()), mapping.clone(), settings, size);
    c.bench_function("device_output_present_e131_97_universes", |b| {
        b.iter(|| {
            tick += 1;
            black_box(e131_out.present(tick, black_box(f.view())).unwrap())
        })
    });

    // The small-screen adapter on a 128×64 SSD1306-style framebuffer: a frame where one 16×8
    // area changed (a ticking clock's seconds), and a frame where everything changed.
    let oled = Size::new(128, 64).unwrap();
    let a = frame(oled, 1);
    let mut b_small = a.clone();
    for y in 8..16 {
        for x in 40..56 {
            let p = &mut b_small.pixels_mut()[y * 128 + x];
            *p = Rgba::rgb(255 - p.r, 255 - p.g, 255 - p.b);
        }
    }
    let b_all = frame(oled, 2);
    let mut screen = DirtyScreen::new(Oled([0; 1024]), oled, mono(MonoMode::Threshold(128)));
    let mut flip = false;
    c.bench_function("dirty_screen_oled_one_tile_row_changed", |b| {
        b.iter(|| {
            flip = !flip;
            black_box(screen.show(if flip { a.view() } else { b_small.view() }).unwrap())
        })
    });
    c.bench_function("dirty_screen_oled_all_changed", |b| {
        b.iter(|| {
            flip = !flip;
            black_box(screen.show(if flip { a.view() } else { b_all.view() }).unwrap())
        })
    });
    ddp_out.finish(0).unwrap();
    e131_out.finish(0).unwrap();
}

criterion_group!(outputs, benches);
criterion_main!(outputs);
