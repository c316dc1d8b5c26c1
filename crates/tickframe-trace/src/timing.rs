//! Frame delays for GIF (centiseconds) and APNG (fractions), without drift.

use tickframe_core::{FrameRate, Tick};

/// The GIF clock at tick `t`: the start of tick `t` in whole centiseconds, rounded **up**
/// (`ceil(t · den · 100 / num)`).
///
/// A GIF frame covering ticks `[a, b)` gets the delay `gif_centis_at(b) - gif_centis_at(a)`, so
/// the accumulated GIF time at every frame start is the exact time rounded up to a centisecond:
/// it never drifts, and is never more than 10 ms (strictly less) from exact. At 60 fps the
/// delays follow the pattern 2, 2, 1 cs (50 ms per 3 frames).
pub fn gif_centis_at(rate: FrameRate, t: Tick) -> u128 {
    (u128::from(t) * u128::from(rate.den()) * 100).div_ceil(u128::from(rate.num()))
}

/// APNG delay `(numerator, denominator)` seconds for each tick in `ticks`.
///
/// When the frame duration `den / num` fits APNG's 16-bit fields (every rate up to 1000 fps
/// written as a fraction of 16-bit numbers, e.g. `60`, `30000/1001`) every frame gets exactly
/// `den / num`. Otherwise delays are in units of 1/10 000 s distributed like
/// [`gif_centis_at`] (rounded up, never drifting, within 0.1 ms of exact).
pub fn apng_delays(rate: FrameRate, ticks: std::ops::Range<Tick>) -> impl Iterator<Item = (u16, u16)> {
    let exact = u16::try_from(rate.den()).ok().zip(u16::try_from(rate.num()).ok());
    ticks.map(move |t| match exact {
        Some(d) => d,
        None => {
            let at =
                |t: Tick| (u128::from(t) * u128::from(rate.den()) * 10_000).div_ceil(u128::from(rate.num()));
            (u16::try_from(at(t + 1) - at(t)).unwrap_or(u16::MAX), 10_000)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixty_fps_is_2_2_1_and_never_drifts() {
        let r = FrameRate::whole(60).unwrap();
        let d: Vec<u128> = (0..6).map(|t| gif_centis_at(r, t + 1) - gif_centis_at(r, t)).collect();
        assert_eq!(d, [2, 2, 1, 2, 2, 1]);
        let ntsc = FrameRate::new(30000, 1001).unwrap();
        for t in 0..100_000u64 {
            let exact_ms = t as f64 * 1001.0 / 30.0;
            let gif_ms = gif_centis_at(ntsc, t) as f64 * 10.0;
            assert!(gif_ms >= exact_ms - 1e-6 && gif_ms - exact_ms < 10.0, "{t}");
        }
    }

    #[test]
    fn apng_delays_are_exact_when_they_fit() {
        let r = FrameRate::new(30000, 1001).unwrap();
        assert!(apng_delays(r, 0..3).all(|d| d == (1001, 30000)));
        let odd = FrameRate::new(29_970_001, 1_000_000).unwrap();
        let sum: u64 = apng_delays(odd, 0..1000).map(|(n, _)| u64::from(n)).sum();
        let exact = 1000.0 * 1_000_000.0 / 29_970_001.0 * 10_000.0;
        assert!((sum as f64 - exact).abs() < 1.0);
    }
}
