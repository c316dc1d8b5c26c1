//! A fixed-size log-linear histogram of durations in nanoseconds: recording never allocates.

/// Values below `SUB` are exact; above, every power of two has `SUB / 2` buckets (relative
/// bucket width 1/64, so a bucket's middle is within 0.8 % of any value in it).
const SUB: u64 = 128;
const SUB_BITS: u32 = 7;
/// Values up to 2^41 ns (about 36 minutes) are bucketed; larger ones land in the last bucket.
const MAX_EXP: u32 = 40;
const BUCKETS: usize = ((MAX_EXP - SUB_BITS + 3) as usize) * (SUB as usize / 2);

/// A histogram of durations in nanoseconds with about 0.8 % relative precision.
///
/// All memory is allocated by [`Histogram::new`]; [`Histogram::record`] never allocates, so
/// presenters can record every frame. The exact minimum, maximum, count and sum are kept besides
/// the buckets.
#[derive(Clone)]
pub struct Histogram {
    counts: Box<[u64]>,
    count: u64,
    sum: u128,
    min: u64,
    max: u64,
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Histogram(n={}, max={} ns)", self.count, self.max)
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::new()
    }
}

fn index(v: u64) -> usize {
    if v < SUB {
        return v as usize;
    }
    let top = 63 - v.leading_zeros(); // position of the highest set bit, >= SUB_BITS
    if top > MAX_EXP {
        return BUCKETS - 1;
    }
    let shift = top - SUB_BITS + 1;
    let sub = ((v >> shift) & (SUB / 2 - 1)) | (SUB / 2); // top SUB_BITS bits, the highest always set
    (shift as usize) * (SUB as usize / 2) + sub as usize
}

/// The middle of bucket `i` (inverse of `index`).
fn value_of(i: usize) -> u64 {
    let half = SUB as usize / 2;
    if i < SUB as usize {
        return i as u64;
    }
    let shift = i / half - 1;
    let sub = (i % half + half) as u64;
    let lo = sub << shift;
    lo + (1u64 << shift) / 2
}

impl Histogram {
    /// An empty histogram (allocates its buckets, about 36 KiB, once).
    pub fn new() -> Histogram {
        Histogram { counts: vec![0; BUCKETS].into_boxed_slice(), count: 0, sum: 0, min: u64::MAX, max: 0 }
    }

    /// Records one duration in nanoseconds. Never allocates.
    pub fn record(&mut self, nanos: u64) {
        self.counts[index(nanos)] += 1;
        self.count += 1;
        self.sum += u128::from(nanos);
        self.min = self.min.min(nanos);
        self.max = self.max.max(nanos);
    }

    /// Adds every sample of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += *b;
        }
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Samples recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The largest sample in nanoseconds (exact; 0 when empty).
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The mean in nanoseconds (0 when empty).
    pub fn mean(&self) -> f64 {
        if self.count == 0 { 0.0 } else { self.sum as f64 / self.count as f64 }
    }

    /// The `q`-quantile (`0.0..=1.0`) in nanoseconds, to within 0.8 %, clamped to the exact
    /// minimum and maximum (0 when empty).
    pub fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((self.count as f64 * q.clamp(0.0, 1.0)).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return value_of(i).clamp(self.min, self.max);
            }
        }
        self.max
    }

    /// The `q`-quantile in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        self.quantile(q) as f64 / 1e6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_precise() {
        let mut last = 0;
        for v in (0..1u64 << 36).step_by(7919 * 13) {
            let i = index(v);
            assert!(i >= last, "{v}");
            last = i;
            let mid = value_of(i);
            let err = (mid as f64 - v as f64).abs() / (v.max(1) as f64);
            assert!(err < 0.01, "{v} -> {mid}");
        }
        assert!(index(u64::MAX) < BUCKETS);
    }

    #[test]
    fn quantiles() {
        let mut h = Histogram::new();
        for v in 1..=1000u64 {
            h.record(v * 1_000_000);
        }
        assert!((h.quantile_ms(0.5) - 500.0).abs() < 5.0);
        assert!((h.quantile_ms(0.99) - 990.0).abs() < 9.0);
        assert_eq!(h.max(), 1_000_000_000);
        assert_eq!(h.quantile(1.0), 1_000_000_000);
    }
}
