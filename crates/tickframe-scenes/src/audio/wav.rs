//! Writing 16-bit PCM WAV files, and the synthesised demo clip bundled with the examples.
//!
//! Tests and `examples/make_clip.rs` use these to make their own audio: nothing is downloaded.

use std::f64::consts::TAU;

/// A complete 16-bit PCM WAV file (RIFF, `fmt ` and `data` chunks) holding `samples`,
/// interleaved when `channels > 1`, at `rate` Hz.
///
/// # Panics
/// When `channels` is 0 or the data would exceed 4 GiB.
pub fn encode_wav_pcm16(rate: u32, channels: u16, samples: &[i16]) -> Vec<u8> {
    assert!(channels > 0, "a WAV file needs at least one channel");
    let data_len = u32::try_from(samples.len() * 2).expect("WAV data under 4 GiB");
    let block = u32::from(channels) * 2;
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * block).to_le_bytes());
    out.extend_from_slice(&(block as u16).to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// `x` in `-1.0..=1.0` as a 16-bit sample (scaled by 32767, rounded to nearest, clamped).
pub fn to_pcm16(x: f64) -> i16 {
    libm::round(x.clamp(-1.0, 1.0) * 32767.0) as i16
}

/// Sample rate of the demo clip, in Hz.
pub const DEMO_RATE: u32 = 22_050;
/// Length of the demo clip, in seconds.
pub const DEMO_SECONDS: u32 = 12;

/// The demo clip (`examples/assets/audio/demo-clip.wav`): 12 s of mono 16-bit audio at
/// 22.05 kHz, synthesised: a kick drum at 120 bpm, off-beat hi-hats, a bass line, an A-minor
/// arpeggio and a slow sine sweep from 200 Hz to 8 kHz, normalised to a 0.9 peak.
///
/// # Determinism
/// Only `libm` maths and a fixed xorshift noise source: the same samples on every machine, so
/// the committed file can be checked against this function.
pub fn demo_clip() -> Vec<i16> {
    let rate = f64::from(DEMO_RATE);
    let n = (DEMO_RATE * DEMO_SECONDS) as usize;
    let beat = 0.5; // seconds (120 bpm)
    let bass = [55.0, 65.406, 48.999, 82.407];
    let arp = [440.0, 523.251, 659.255, 880.0, 1046.502, 1318.510, 1760.0, 1318.510];
    let (f0, f1, total) = (200.0f64, 8000.0f64, f64::from(DEMO_SECONDS));
    let ln_r = libm::log(f1 / f0);
    let mut noise = 0x9E37_79B9_7F4A_7C15u64;
    let mut prev_noise = 0.0;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let t = i as f64 / rate;
        let mut x = 0.0;
        // Kick: a falling sine at every beat.
        let tb = t % beat;
        let kick_phase = TAU * (45.0 * tb + 105.0 * 0.04 * (1.0 - libm::exp(-tb / 0.04)));
        x += 0.8 * libm::exp(-tb / 0.15) * libm::sin(kick_phase);
        // Hi-hat: differenced white noise on the off-beats.
        noise ^= noise << 13;
        noise ^= noise >> 7;
        noise ^= noise << 17;
        let white = (noise >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
        let th = (t + beat / 2.0) % beat;
        x += 0.25 * libm::exp(-th / 0.03) * (white - prev_noise);
        prev_noise = white;
        // Bass: four harmonics, a new note every 2 s.
        let fb = bass[(t / 2.0) as usize % bass.len()];
        for h in 1..=4 {
            x += 0.12 / f64::from(h) * libm::sin(TAU * fb * f64::from(h) * t);
        }
        // Arpeggio: eighth notes with a short decay.
        let step = 0.125;
        let ta = t % step;
        let fa = arp[(t / step) as usize % arp.len()];
        x += 0.18 * libm::exp(-ta / 0.08) * libm::sin(TAU * fa * ta);
        // Exponential sweep 200 Hz → 8 kHz over the whole clip.
        let phase = TAU * f0 * total / ln_r * (libm::exp(ln_r * t / total) - 1.0);
        x += 0.1 * libm::sin(phase);
        out.push(x);
    }
    let peak = out.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let scale = if peak > 0.0 { 0.9 / peak } else { 1.0 };
    out.into_iter().map(|x| to_pcm16(x * scale)).collect()
}
