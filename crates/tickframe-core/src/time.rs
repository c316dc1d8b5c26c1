//! Ticks, rational frame rates, and exact conversions between ticks and time.
//!
//! # Rounding rules
//! - A tick's start time is exact: tick `t` starts at `t · den / num` seconds
//!   ([`Timebase::tick_time`]); [`Timebase::tick_to_nanos`] rounds that up to whole nanoseconds.
//! - A moment maps to the tick being shown then: `floor(seconds · num / den)`
//!   ([`Timebase::tick_at_nanos`]).
//! - A duration maps to the nearest whole number of ticks, halves rounded up
//!   ([`Timebase::ticks_for_millis`], [`Timebase::ticks_for_seconds`]). So at 60 fps 50 ms is 3 ticks
//!   and 25 ms (1.5 ticks) is 2 ticks.

use std::fmt;

/// A frame index: tick 0 is the first frame of a run. At a given [`FrameRate`], tick `t` is shown
/// from `t / fps` seconds on.
pub type Tick = u64;

/// A frame rate as a reduced fraction `num / den` frames per second, e.g. `60/1` or `30000/1001`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct FrameRate {
    num: u32,
    den: u32,
}

/// A frame rate that is zero, negative, not a number, or above 1000 fps.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error(
    "invalid frame rate `{0}`: expected frames per second in (0, 1000], as a whole number (60), a fraction (30000/1001) or a decimal (29.97)"
)]
pub struct FrameRateError(pub String);

const fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

impl FrameRate {
    /// The highest frame rate accepted, in frames per second.
    pub const MAX_FPS: u32 = 1000;

    /// `num / den` frames per second, reduced.
    ///
    /// # Errors
    /// When either part is 0 or the rate is above [`FrameRate::MAX_FPS`].
    pub fn new(num: u32, den: u32) -> Result<FrameRate, FrameRateError> {
        if num == 0 || den == 0 || u64::from(num) > u64::from(Self::MAX_FPS) * u64::from(den) {
            return Err(FrameRateError(format!("{num}/{den}")));
        }
        let g = gcd(u64::from(num), u64::from(den)) as u32;
        Ok(FrameRate { num: num / g, den: den / g })
    }

    /// A whole number of frames per second.
    ///
    /// # Errors
    /// When `fps` is 0 or above [`FrameRate::MAX_FPS`].
    pub fn whole(fps: u32) -> Result<FrameRate, FrameRateError> {
        FrameRate::new(fps, 1)
    }

    /// Parses `60`, `30000/1001` or a decimal such as `29.97` (taken exactly as `2997/100`).
    ///
    /// # Errors
    /// [`FrameRateError`] naming the text.
    pub fn parse(text: &str) -> Result<FrameRate, FrameRateError> {
        let bad = || FrameRateError(text.to_string());
        let t = text.trim();
        if let Some((n, d)) = t.split_once('/') {
            let n = n.trim().parse().map_err(|_| bad())?;
            let d = d.trim().parse().map_err(|_| bad())?;
            return FrameRate::new(n, d).map_err(|_| bad());
        }
        if let Some((int, frac)) = t.split_once('.') {
            if frac.is_empty() || frac.len() > 6 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let den = 10u32.pow(frac.len() as u32);
            let int: u32 = if int.is_empty() { 0 } else { int.parse().map_err(|_| bad())? };
            let frac: u32 = frac.parse().map_err(|_| bad())?;
            let num = int.checked_mul(den).and_then(|v| v.checked_add(frac)).ok_or_else(bad)?;
            return FrameRate::new(num, den).map_err(|_| bad());
        }
        FrameRate::new(t.parse().map_err(|_| bad())?, 1).map_err(|_| bad())
    }

    /// Numerator (frames).
    pub const fn num(self) -> u32 {
        self.num
    }

    /// Denominator (seconds).
    pub const fn den(self) -> u32 {
        self.den
    }

    /// Frames per second as a float (for display only; conversions use the exact fraction).
    pub fn as_f64(self) -> f64 {
        f64::from(self.num) / f64::from(self.den)
    }
}

impl fmt::Display for FrameRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 { write!(f, "{}", self.num) } else { write!(f, "{}/{}", self.num, self.den) }
    }
}

/// An exact moment: `numer / denom` seconds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ExactTime {
    /// Numerator, in seconds · `denom`.
    pub numer: u128,
    /// Denominator (the frame rate's numerator).
    pub denom: u32,
}

/// Maps ticks to time and back at one [`FrameRate`]. Copy it freely.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Timebase {
    rate: FrameRate,
}

const NANOS: u128 = 1_000_000_000;

impl Timebase {
    /// A timebase at `rate`.
    pub const fn new(rate: FrameRate) -> Timebase {
        Timebase { rate }
    }

    /// The frame rate.
    pub const fn rate(self) -> FrameRate {
        self.rate
    }

    /// The exact start time of tick `t`: `t · den / num` seconds.
    pub fn tick_time(self, t: Tick) -> ExactTime {
        ExactTime { numer: u128::from(t) * u128::from(self.rate.den), denom: self.rate.num }
    }

    /// Start of tick `t` in whole nanoseconds, rounded up: the first nanosecond at which tick `t`
    /// is shown, so `tick_at_nanos(tick_to_nanos(t)) == t`.
    pub fn tick_to_nanos(self, t: Tick) -> u128 {
        (u128::from(t) * u128::from(self.rate.den) * NANOS).div_ceil(u128::from(self.rate.num))
    }

    /// Start of tick `t` in seconds as a float: the value scenes animate with.
    /// Computed as `(t · den) / num` in `f64`, the same on every IEEE-754 machine.
    pub fn tick_to_seconds(self, t: Tick) -> f64 {
        (t as f64 * f64::from(self.rate.den)) / f64::from(self.rate.num)
    }

    /// The tick being shown `nanos` nanoseconds after tick 0 started (rounded down).
    pub fn tick_at_nanos(self, nanos: u128) -> Tick {
        let t = nanos * u128::from(self.rate.num) / (u128::from(self.rate.den) * NANOS);
        Tick::try_from(t).unwrap_or(Tick::MAX)
    }

    /// A duration in milliseconds as whole ticks: nearest, halves rounded up.
    pub fn ticks_for_millis(self, millis: u64) -> Tick {
        let num = u128::from(millis) * u128::from(self.rate.num) * 2 + u128::from(self.rate.den) * 1000;
        let den = u128::from(self.rate.den) * 2000;
        Tick::try_from(num / den).unwrap_or(Tick::MAX)
    }

    /// A duration in seconds as whole ticks: nearest, halves rounded up. Negative and NaN
    /// durations give 0. The seconds are first taken to whole microseconds (nearest), so
    /// `0.1` behaves as exactly 100 ms.
    pub fn ticks_for_seconds(self, seconds: f64) -> Tick {
        if seconds.is_nan() || seconds <= 0.0 {
            return 0;
        }
        let micros = (seconds * 1e6 + 0.5).min(u64::MAX as f64) as u128;
        let num = micros * u128::from(self.rate.num) * 2 + u128::from(self.rate.den) * 1_000_000;
        let den = u128::from(self.rate.den) * 2_000_000;
        Tick::try_from(num / den).unwrap_or(Tick::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_rates() {
        assert_eq!(FrameRate::parse("60").unwrap(), FrameRate::new(60, 1).unwrap());
        assert_eq!(FrameRate::parse("30000/1001").unwrap().to_string(), "30000/1001");
        assert_eq!(FrameRate::parse("29.97").unwrap(), FrameRate::new(2997, 100).unwrap());
        assert_eq!(FrameRate::parse("120/2").unwrap().to_string(), "60");
        for bad in ["0", "-5", "abc", "60/0", "1001", "1.", ""] {
            assert!(FrameRate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn exact_ntsc_times() {
        let tb = Timebase::new(FrameRate::new(30000, 1001).unwrap());
        // 30000 ticks at 29.97 fps take exactly 1001 seconds.
        assert_eq!(tb.tick_to_nanos(30_000), 1001 * 1_000_000_000);
        assert_eq!(tb.tick_at_nanos(1001 * 1_000_000_000), 30_000);
        assert_eq!(tb.tick_at_nanos(1001 * 1_000_000_000 - 1), 29_999);
        let t = tb.tick_time(3);
        assert_eq!((t.numer, t.denom), (3003, 30000));
    }

    #[test]
    fn duration_rounding() {
        let tb = Timebase::new(FrameRate::whole(60).unwrap());
        assert_eq!(tb.ticks_for_millis(50), 3);
        assert_eq!(tb.ticks_for_millis(25), 2); // 1.5 ticks: halves round up
        assert_eq!(tb.ticks_for_millis(24), 1);
        assert_eq!(tb.ticks_for_seconds(0.1), 6);
        assert_eq!(tb.ticks_for_seconds(120.0), 7200);
        assert_eq!(tb.ticks_for_seconds(-1.0), 0);
        assert_eq!(tb.ticks_for_seconds(f64::NAN), 0);
        // Round trip: every tick's start maps back to itself.
        for t in [0u64, 1, 59, 60, 12_345_678] {
            assert_eq!(tb.tick_at_nanos(tb.tick_to_nanos(t)), t);
        }
    }
}
