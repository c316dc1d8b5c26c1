//! The `clock` overlay: the time of day counted from a start time written in the scene (or
//! fixed once at launch through [`crate::file::Overrides::clock_start`]), plus the tick. Never
//! the wall clock inside rendering.
//!
//! # Determinism
//! The time shown at tick `t` is `start + floor(t · den / num)` seconds, in integers: a pure
//! function of the scene and the tick.

use std::sync::Arc;

use tickframe_core::{Canvas, Font, Rect, RenderContext, Rgba, Scene, text_width};

use super::{ANCHORS, FONT_NAMES, anchored, font_named};
use crate::params::{BuildError, Params};
use crate::registry::{BuildContext, ParamDoc, SceneInfo};

/// The registry entry.
pub(super) const INFO: SceneInfo = SceneInfo {
    name: "clock",
    summary: "the time of day from a start time in the scene plus the tick (never the wall clock)",
    params: PARAMS,
    build,
};

const PARAMS: &[ParamDoc] = &[
    ParamDoc {
        name: "start",
        kind: "time or date-time string",
        default: "00:00:00",
        doc: "the time at tick 0: \"HH:MM\", \"HH:MM:SS\", \"YYYY-MM-DD\", or \"YYYY-MM-DDTHH:MM[:SS]\" (a space may replace the T); quote it. `tickframe play --clock now` replaces it at launch",
    },
    ParamDoc {
        name: "format",
        kind: "one of: 24h, 12h",
        default: "24h",
        doc: "`24h`: 18:30; `12h`: 6:30 PM",
    },
    ParamDoc { name: "seconds", kind: "bool", default: "true", doc: "show seconds" },
    ParamDoc {
        name: "date",
        kind: "bool",
        default: "false",
        doc: "show the date (YYYY-MM-DD) on a line below",
    },
    ParamDoc {
        name: "anchor",
        kind: "one of: top-left, top, top-right, left, center, right, bottom-left, bottom, bottom-right",
        default: "top-right",
        doc: "where the clock goes",
    },
    ParamDoc {
        name: "margin",
        kind: "int 0..=4096",
        default: "16",
        doc: "px between the box and the display edge",
    },
    ParamDoc {
        name: "font",
        kind: "one of: 4x6, 5x7, 5x8, 6x10, 6x13, 7x13, 8x13, 9x15, 10x20",
        default: "10x20",
        doc: "a bundled bitmap font",
    },
    ParamDoc { name: "color", kind: "colour", default: "#ffffff", doc: "text colour" },
    ParamDoc {
        name: "background",
        kind: "colour",
        default: "#00000099",
        doc: "the box behind the text (6 px padding); fully transparent draws none",
    },
];

/// A clock's start: a civil date and time (no time zone), as seconds since
/// 1970-01-01 00:00:00.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct ClockStart {
    /// Seconds since 1970-01-01 00:00:00 of the same (unspecified) time zone; may be negative.
    pub seconds: i64,
}

/// Why a clock start could not be read.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error(
    "expected a time \"HH:MM\" or \"HH:MM:SS\", a date \"YYYY-MM-DD\" or a date-time \"YYYY-MM-DDTHH:MM[:SS]\", found {0:?}"
)]
pub struct ClockStartError(pub String);

/// Why a UTC offset or a `--clock` value could not be read: "expected …, found …".
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("expected {0}")]
pub struct InstantError(pub String);

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

impl ClockStart {
    /// The start at a civil date and time.
    pub fn from_civil(year: i64, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> ClockStart {
        let days = days_from_civil(year, i64::from(month), i64::from(day));
        ClockStart { seconds: days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) }
    }

    /// Reads `HH:MM`, `HH:MM:SS`, `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS]` or the same with a space
    /// instead of `T` (a trailing `Z` or fraction of a second is not accepted). A time alone is
    /// on 1970-01-01.
    ///
    /// # Errors
    /// Any other form, or a field out of range (hour 0..=23, minute and second 0..=59, a real
    /// day of the month).
    pub fn parse(text: &str) -> Result<ClockStart, ClockStartError> {
        let bad = || ClockStartError(text.to_string());
        let num = |s: &str, len: usize| -> Result<u32, ClockStartError> {
            if s.len() == len && s.bytes().all(|b| b.is_ascii_digit()) {
                s.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        let time = |s: &str| -> Result<(u32, u32, u32), ClockStartError> {
            let parts: Vec<&str> = s.split(':').collect();
            let (h, m, sec) = match parts.as_slice() {
                [h, m] => (num(h, 2)?, num(m, 2)?, 0),
                [h, m, s] => (num(h, 2)?, num(m, 2)?, num(s, 2)?),
                _ => return Err(bad()),
            };
            if h > 23 || m > 59 || sec > 59 {
                return Err(bad());
            }
            Ok((h, m, sec))
        };
        let text_t = text.trim();
        let (date, clock) = match text_t.split_once(['T', ' ']) {
            Some((d, t)) => (Some(d), Some(t)),
            None if text_t.contains('-') => (Some(text_t), None),
            None => (None, Some(text_t)),
        };
        let (y, mo, d) = match date {
            Some(d) => {
                let parts: Vec<&str> = d.split('-').collect();
                let [y, m, dd] = parts.as_slice() else { return Err(bad()) };
                let (y, m, dd) = (num(y, 4)?, num(m, 2)?, num(dd, 2)?);
                if !(1..=12).contains(&m) || dd == 0 {
                    return Err(bad());
                }
                // A real day: the next month's day 1 minus this month's day 1.
                let len = days_from_civil(i64::from(y) + i64::from(m == 12), i64::from(m % 12 + 1), 1)
                    - days_from_civil(i64::from(y), i64::from(m), 1);
                if i64::from(dd) > len {
                    return Err(bad());
                }
                (i64::from(y), m, dd)
            }
            None => (1970, 1, 1),
        };
        let (h, mi, s) = match clock {
            Some(c) => time(c)?,
            None => (0, 0, 0),
        };
        Ok(ClockStart::from_civil(y, mo, d, h, mi, s))
    }

    /// `(year, month, day, hour, minute, second)` of this start plus `elapsed` seconds.
    pub fn civil_after(self, elapsed: i64) -> (i64, u32, u32, u32, u32, u32) {
        let t = self.seconds.saturating_add(elapsed);
        let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400) as u32);
        let (y, m, d) = civil_from_days(days);
        (y, m, d, secs / 3600, secs / 60 % 60, secs % 60)
    }
}

/// An offset from UTC, for showing an instant (unix seconds, an RFC 3339 time, `now`) as a
/// time of day. Whole minutes, at most ±23:59.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct UtcOffset {
    /// Seconds east of UTC (negative west of it).
    pub seconds: i32,
}

impl UtcOffset {
    /// UTC itself.
    pub const UTC: UtcOffset = UtcOffset { seconds: 0 };

    /// Reads `+HH:MM`, `-HH:MM`, `+HHMM`, `+HH` (a sign is required), `Z` or `UTC`.
    ///
    /// # Errors
    /// Any other form, or hours above 23 or minutes above 59.
    pub fn parse(text: &str) -> Result<UtcOffset, InstantError> {
        let bad = || InstantError(format!("a UTC offset \"+HH:MM\" or \"-HH:MM\", found {text:?}"));
        let t = text.trim();
        if t == "Z" || t.eq_ignore_ascii_case("utc") {
            return Ok(UtcOffset::UTC);
        }
        let (sign, rest) = match t.as_bytes().first() {
            Some(b'+') => (1, &t[1..]),
            Some(b'-') => (-1, &t[1..]),
            _ => return Err(bad()),
        };
        let digits: String = rest.chars().filter(|&c| c != ':').collect();
        let colons = rest.matches(':').count();
        let ok_shape = match digits.len() {
            2 => colons == 0,
            4 => colons == 0 || (colons == 1 && rest.as_bytes().get(2) == Some(&b':')),
            _ => false,
        };
        if !ok_shape || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let h: i32 = digits[..2].parse().map_err(|_| bad())?;
        let m: i32 = if digits.len() == 4 { digits[2..].parse().map_err(|_| bad())? } else { 0 };
        if h > 23 || m > 59 {
            return Err(bad());
        }
        Ok(UtcOffset { seconds: sign * (h * 3600 + m * 60) })
    }
}

impl std::fmt::Display for UtcOffset {
    /// `+HH:MM` or `-HH:MM`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let a = self.seconds.unsigned_abs();
        write!(f, "{}{:02}:{:02}", if self.seconds < 0 { '-' } else { '+' }, a / 3600, a / 60 % 60)
    }
}

impl ClockStart {
    /// The time of day at `offset` of the instant `unix` seconds after 1970-01-01 00:00:00 UTC.
    pub fn from_unix(unix: i64, offset: UtcOffset) -> ClockStart {
        ClockStart { seconds: unix.saturating_add(i64::from(offset.seconds)) }
    }

    /// Reads a start as the command line's `--clock` takes it: unix seconds (an integer, as
    /// recorded in reports), an RFC 3339 date-time (`2026-12-03T17:10:00Z`,
    /// `…T17:10:00.25+01:00`; the fraction is dropped), or a zone-less form of
    /// [`ClockStart::parse`] (a time of day, a date, a date-time), shown as written.
    ///
    /// Returns the start and, for an instant (unix seconds or RFC 3339), its unix seconds.
    /// Instants are shown at `offset`, or when it is `None`, unix seconds at UTC and an RFC 3339
    /// time at its own offset.
    ///
    /// # Errors
    /// Anything else, or a field out of range.
    pub fn parse_instant(
        text: &str,
        offset: Option<UtcOffset>,
    ) -> Result<(ClockStart, Option<i64>), InstantError> {
        let t = text.trim();
        let bad = || {
            InstantError(format!(
                "unix seconds, an RFC 3339 date-time \"YYYY-MM-DDTHH:MM:SS+HH:MM\", a time \"HH:MM[:SS]\" or a date \"YYYY-MM-DD[THH:MM[:SS]]\", found {text:?}"
            ))
        };
        let digits = t.strip_prefix('-').unwrap_or(t);
        if !digits.is_empty() && digits.len() <= 15 && digits.bytes().all(|b| b.is_ascii_digit()) {
            let unix: i64 = t.parse().map_err(|_| bad())?;
            return Ok((ClockStart::from_unix(unix, offset.unwrap_or(UtcOffset::UTC)), Some(unix)));
        }
        // RFC 3339: a date-time ending in Z or ±HH:MM.
        let zone_at = if t.ends_with(['Z', 'z']) {
            Some(t.len() - 1)
        } else if t.len() > 6
            && matches!(t.as_bytes()[t.len() - 6], b'+' | b'-')
            && t.contains(['T', 't', ' '])
        {
            Some(t.len() - 6)
        } else {
            None
        };
        let Some(at) = zone_at else {
            return ClockStart::parse(t).map(|c| (c, None)).map_err(|_| bad());
        };
        let (local, zone) = t.split_at(at);
        let zone = if zone.eq_ignore_ascii_case("z") { UtcOffset::UTC } else { UtcOffset::parse(zone)? };
        // Drop a fraction of a second.
        let local = match local.rsplit_once('.') {
            Some((whole, frac)) if !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()) => whole,
            _ => local,
        };
        let local = local.replacen(['t', ' '], "T", 1);
        if !local.contains('T') || local.matches(':').count() != 2 {
            return Err(bad());
        }
        let civil = ClockStart::parse(&local).map_err(|_| bad())?;
        let unix = civil.seconds - i64::from(zone.seconds);
        Ok((ClockStart::from_unix(unix, offset.unwrap_or(zone)), Some(unix)))
    }
}

/// A built clock.
#[derive(Debug)]
struct Clock {
    start: ClockStart,
    twelve: bool,
    seconds: bool,
    date: bool,
    anchor: &'static str,
    margin: u32,
    font: &'static Font,
    color: Rgba,
    background: Rgba,
}

/// A small text buffer on the stack (no allocation per frame).
struct Line {
    buf: [u8; 24],
    len: usize,
}

impl Line {
    fn new() -> Line {
        Line { buf: [0; 24], len: 0 }
    }
    fn push(&mut self, s: &[u8]) {
        for &b in s {
            if self.len < self.buf.len() {
                self.buf[self.len] = b;
                self.len += 1;
            }
        }
    }
    fn num(&mut self, v: u32, width: usize) {
        let mut digits = [b'0'; 10];
        let mut n = v;
        let mut i = digits.len();
        while n > 0 || digits.len() - i < width {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
        self.push(&digits[i..]);
    }
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl Scene for Clock {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        let rate = ctx.timebase.rate();
        let elapsed = (u128::from(ctx.tick) * u128::from(rate.den()) / u128::from(rate.num()))
            .min(i64::MAX as u128) as i64;
        let (y, mo, d, h, mi, s) = self.start.civil_after(elapsed);
        let mut time = Line::new();
        let hour = if self.twelve { (h + 11) % 12 + 1 } else { h };
        time.num(hour, if self.twelve { 1 } else { 2 });
        time.push(b":");
        time.num(mi, 2);
        if self.seconds {
            time.push(b":");
            time.num(s, 2);
        }
        if self.twelve {
            time.push(if h < 12 { b" AM" } else { b" PM" });
        }
        let mut date = Line::new();
        if self.date {
            if y < 0 {
                date.push(b"-");
            }
            date.num(y.unsigned_abs().min(u64::from(u32::MAX)) as u32, 4);
            date.push(b"-");
            date.num(mo, 2);
            date.push(b"-");
            date.num(d, 2);
        }
        const PAD: u32 = 6;
        let fh = self.font.character_size.height;
        let tw = text_width(time.as_str(), self.font).max(text_width(date.as_str(), self.font));
        let lines = if self.date { 2 } else { 1 };
        let (bw, bh) = (tw + 2 * PAD, lines * fh + (lines - 1) * 2 + 2 * PAD);
        let (x, y0) = anchored(self.anchor, canvas.width(), canvas.height(), bw, bh, self.margin);
        if self.background.a > 0 {
            canvas.fill_rect(Rect::new(x, y0, bw, bh), self.background);
        }
        // Each line centred in the box.
        let line_x = |s: &str| x + ((bw - text_width(s, self.font)) / 2) as i32;
        canvas.text(time.as_str(), line_x(time.as_str()), y0 + PAD as i32, self.font, self.color);
        if self.date {
            canvas.text(
                date.as_str(),
                line_x(date.as_str()),
                y0 + (PAD + fh + 2) as i32,
                self.font,
                self.color,
            );
        }
    }
}

fn build(params: &mut Params, cx: &mut BuildContext) -> Result<Arc<dyn Scene>, BuildError> {
    build_with_start(params, cx, None)
}

/// Builds a clock; `start` (from `--clock`) replaces the `start` parameter when given (the
/// parameter is still read and checked).
pub(crate) fn build_with_start(
    params: &mut Params,
    _cx: &mut BuildContext,
    start: Option<ClockStart>,
) -> Result<Arc<dyn Scene>, BuildError> {
    let text = params.string("start", "00:00:00")?;
    let parsed = ClockStart::parse(&text)
        .map_err(|e| BuildError::new(params.location_of("start"), format!("`clock.start`: {e}")))?;
    let twelve = params.choice("format", "24h", &["24h", "12h"])? == "12h";
    let seconds = params.bool("seconds", true)?;
    let date = params.bool("date", false)?;
    let anchor = params.choice("anchor", "top-right", ANCHORS)?;
    let anchor = ANCHORS.iter().copied().find(|a| *a == anchor).unwrap_or("top-right");
    let margin = params.u32_in("margin", 16, 0..=4096)?;
    let font = font_named(&params.choice("font", "10x20", FONT_NAMES)?);
    let color = params.color("color", Rgba::WHITE)?;
    let background = params.color("background", Rgba::new(0, 0, 0, 0x99))?;
    Ok(Arc::new(Clock {
        start: start.unwrap_or(parsed),
        twelve,
        seconds,
        date,
        anchor,
        margin,
        font,
        color,
        background,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_civil_round_trip() {
        let s = ClockStart::parse("18:30:05").unwrap();
        assert_eq!(s.civil_after(0), (1970, 1, 1, 18, 30, 5));
        assert_eq!(s.civil_after(5 * 3600 + 29 * 60 + 55), (1970, 1, 2, 0, 0, 0));
        let d = ClockStart::parse("2024-02-29T23:59").unwrap();
        assert_eq!(d.civil_after(60), (2024, 3, 1, 0, 0, 0));
        assert_eq!(ClockStart::parse("2000-01-01").unwrap().civil_after(0), (2000, 1, 1, 0, 0, 0));
        assert_eq!(
            ClockStart::parse("2021-12-31 10:00:00").unwrap().civil_after(14 * 3600),
            (2022, 1, 1, 0, 0, 0)
        );
        for bad in ["24:00", "2023-02-29", "12:60", "1:00", "noon", "2024-13-01", ""] {
            assert!(ClockStart::parse(bad).is_err(), "{bad}");
        }
        for z in [-800_000i64, -1, 0, 1, 19_000, 2_000_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, i64::from(m), i64::from(d)), z);
        }
    }

    #[test]
    fn instants_and_offsets() {
        let plus1 = UtcOffset::parse("+01:00").unwrap();
        assert_eq!(plus1.seconds, 3600);
        assert_eq!(UtcOffset::parse("-0530").unwrap().seconds, -(5 * 3600 + 30 * 60));
        assert_eq!(UtcOffset::parse("+09").unwrap().seconds, 9 * 3600);
        assert_eq!(UtcOffset::parse("Z").unwrap(), UtcOffset::UTC);
        assert_eq!(UtcOffset::parse("-05:30").unwrap().to_string(), "-05:30");
        for bad in ["01:00", "+1:00", "+24:00", "+01:60", "+01:00:00", "+0a00", ""] {
            assert!(UtcOffset::parse(bad).is_err(), "{bad}");
        }
        // 1796315795 = 2026-12-03 16:36:35 UTC.
        let (c, unix) = ClockStart::parse_instant("1796315795", None).unwrap();
        assert_eq!((c.civil_after(0), unix), ((2026, 12, 3, 16, 36, 35), Some(1_796_315_795)));
        let (c, _) = ClockStart::parse_instant("1796315795", Some(plus1)).unwrap();
        assert_eq!(c.civil_after(0), (2026, 12, 3, 17, 36, 35));
        let (c, unix) = ClockStart::parse_instant("2026-12-03T17:36:35.75+01:00", None).unwrap();
        assert_eq!((c.civil_after(0), unix), ((2026, 12, 3, 17, 36, 35), Some(1_796_315_795)));
        let (c, _) =
            ClockStart::parse_instant("2026-12-03T16:36:35Z", Some(UtcOffset::parse("-08:00").unwrap()))
                .unwrap();
        assert_eq!(c.civil_after(0), (2026, 12, 3, 8, 36, 35));
        let (c, unix) = ClockStart::parse_instant("07:45", Some(plus1)).unwrap();
        assert_eq!((c.civil_after(0), unix), ((1970, 1, 1, 7, 45, 0), None));
        assert_eq!(
            ClockStart::parse_instant("-60", None).unwrap().0.civil_after(0),
            (1969, 12, 31, 23, 59, 0)
        );
        for bad in ["2026-12-03T17:16Z", "2026-12-03T25:00:00Z", "17:16:35+01:00x", "now", "1e9"] {
            assert!(ClockStart::parse_instant(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn line_formats_numbers() {
        let mut l = Line::new();
        l.num(7, 2);
        l.push(b":");
        l.num(0, 2);
        l.num(12345, 4);
        assert_eq!(l.as_str(), "07:0012345");
    }
}
