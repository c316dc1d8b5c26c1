//! Deterministic colour reduction to at most 256 colours, for GIF.
//!
//! - A frame with at most 256 distinct RGB colours gets exactly those colours, in order of
//!   first appearance (raster order): the GIF is lossless then.
//! - Otherwise a **median cut** over a 15-bit (5 bits per channel) histogram: the box with the
//!   most pixels is split at its weighted median along its longest axis (ties: red, green,
//!   blue), until there are 256 boxes or none can be split; each box's colour is the rounded
//!   mean of its pixels. Integer arithmetic only, every sort over unique keys, no hashing order:
//!   the same palette and indices on every machine and thread.
//!
//! Alpha is ignored (GIF frames here are opaque).

const EXACT_SLOTS: usize = 1024;
const BINS: usize = 1 << 15;

/// Reusable colour-reduction state (about 600 KiB; keep one per thread).
pub struct Quantizer {
    keys: Vec<u32>,
    vals: Vec<u8>,
    count: Vec<u32>,
    sums: Vec<[u32; 3]>,
    map: Vec<u8>,
    used: Vec<u16>,
}

impl Default for Quantizer {
    fn default() -> Self {
        Quantizer::new()
    }
}

impl std::fmt::Debug for Quantizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Quantizer").finish_non_exhaustive()
    }
}

#[inline]
fn key15(px: &[u8]) -> usize {
    (usize::from(px[0] >> 3) << 10) | (usize::from(px[1] >> 3) << 5) | usize::from(px[2] >> 3)
}

#[inline]
fn comp(key: u16, axis: usize) -> u16 {
    (key >> (10 - 5 * axis)) & 31
}

impl Quantizer {
    /// A quantizer with empty tables.
    pub fn new() -> Quantizer {
        Quantizer {
            keys: vec![0; EXACT_SLOTS],
            vals: vec![0; EXACT_SLOTS],
            count: vec![0; BINS],
            sums: vec![[0; 3]; BINS],
            map: vec![0; BINS],
            used: Vec::new(),
        }
    }

    /// Reduces RGBA pixels (`rgba.len()` a multiple of 4) to palette indices (`indices`, one
    /// per pixel) and a palette (`palette`, RGB triples, at most 256). Returns `true` when the
    /// palette is exact (the frame had at most 256 colours).
    pub fn quantize(&mut self, rgba: &[u8], indices: &mut Vec<u8>, palette: &mut Vec<u8>) -> bool {
        indices.clear();
        palette.clear();
        if self.exact(rgba, indices, palette) {
            return true;
        }
        indices.clear();
        palette.clear();
        self.median_cut(rgba, indices, palette);
        false
    }

    fn exact(&mut self, rgba: &[u8], indices: &mut Vec<u8>, palette: &mut Vec<u8>) -> bool {
        self.keys.fill(0);
        let mut n = 0usize;
        let (mut last_rgb, mut last_idx) = (u32::MAX, 0u8);
        for px in rgba.chunks_exact(4) {
            let rgb = u32::from(px[0]) << 16 | u32::from(px[1]) << 8 | u32::from(px[2]);
            if rgb == last_rgb {
                indices.push(last_idx);
                continue;
            }
            let tagged = rgb | 1 << 24;
            let mut slot = (rgb.wrapping_mul(0x9E37_79B1) >> 22) as usize;
            let idx = loop {
                let k = self.keys[slot];
                if k == tagged {
                    break self.vals[slot];
                }
                if k == 0 {
                    if n == 256 {
                        return false;
                    }
                    self.keys[slot] = tagged;
                    self.vals[slot] = n as u8;
                    palette.extend_from_slice(&px[..3]);
                    n += 1;
                    break (n - 1) as u8;
                }
                slot = (slot + 1) % EXACT_SLOTS;
            };
            (last_rgb, last_idx) = (rgb, idx);
            indices.push(idx);
        }
        true
    }

    fn median_cut(&mut self, rgba: &[u8], indices: &mut Vec<u8>, palette: &mut Vec<u8>) {
        self.used.clear();
        for px in rgba.chunks_exact(4) {
            let k = key15(px);
            if self.count[k] == 0 {
                self.used.push(k as u16);
            }
            self.count[k] += 1;
            let s = &mut self.sums[k];
            s[0] += u32::from(px[0]);
            s[1] += u32::from(px[1]);
            s[2] += u32::from(px[2]);
        }
        // Boxes are ranges of `used`, with their pixel counts.
        let total: u64 = rgba.len() as u64 / 4;
        let mut boxes: Vec<(usize, usize, u64)> = vec![(0, self.used.len(), total)];
        while boxes.len() < 256 {
            let Some(bi) = (0..boxes.len())
                .filter(|&i| boxes[i].1 - boxes[i].0 >= 2)
                .max_by_key(|&i| (boxes[i].2, std::cmp::Reverse(i)))
            else {
                break;
            };
            let (lo, hi, pixels) = boxes[bi];
            let bins = &mut self.used[lo..hi];
            let mut min = [31u16; 3];
            let mut max = [0u16; 3];
            for &k in bins.iter() {
                for a in 0..3 {
                    min[a] = min[a].min(comp(k, a));
                    max[a] = max[a].max(comp(k, a));
                }
            }
            let mut axis = 0;
            for a in 1..3 {
                if max[a] - min[a] > max[axis] - min[axis] {
                    axis = a;
                }
            }
            bins.sort_unstable_by_key(|&k| (comp(k, axis), k));
            let mut acc = 0u64;
            let mut split = hi - 1;
            for (i, &k) in bins.iter().enumerate() {
                acc += u64::from(self.count[usize::from(k)]);
                if acc * 2 >= pixels {
                    split = lo + i + 1;
                    break;
                }
            }
            let split = split.clamp(lo + 1, hi - 1);
            let left: u64 = self.used[lo..split].iter().map(|&k| u64::from(self.count[usize::from(k)])).sum();
            boxes[bi] = (lo, split, left);
            boxes.push((split, hi, pixels - left));
        }
        for (i, &(lo, hi, _)) in boxes.iter().enumerate() {
            let (mut n, mut s) = (0u64, [0u64; 3]);
            for &k in &self.used[lo..hi] {
                let k = usize::from(k);
                n += u64::from(self.count[k]);
                for (acc, &v) in s.iter_mut().zip(&self.sums[k]) {
                    *acc += u64::from(v);
                }
                self.map[k] = i as u8;
            }
            let n = n.max(1);
            palette.extend(s.iter().map(|&v| ((v + n / 2) / n) as u8));
        }
        indices.extend(rgba.chunks_exact(4).map(|px| self.map[key15(px)]));
        for &k in &self.used {
            self.count[usize::from(k)] = 0;
            self.sums[usize::from(k)] = [0; 3];
        }
    }
}

/// Expands palette indices to opaque RGBA (`out` cleared first): what a GIF decoder shows.
pub fn expand(indices: &[u8], palette: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.reserve(indices.len() * 4);
    for &i in indices {
        let p = usize::from(i) * 3;
        match palette.get(p..p + 3) {
            Some(c) => out.extend_from_slice(&[c[0], c[1], c[2], 255]),
            None => out.extend_from_slice(&[0, 0, 0, 255]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_colours_are_exact_in_first_appearance_order() {
        let rgba = [9, 9, 9, 255, 1, 2, 3, 255, 9, 9, 9, 255, 4, 5, 6, 255];
        let (mut idx, mut pal) = (Vec::new(), Vec::new());
        assert!(Quantizer::new().quantize(&rgba, &mut idx, &mut pal));
        assert_eq!(idx, [0, 1, 0, 2]);
        assert_eq!(pal, [9, 9, 9, 1, 2, 3, 4, 5, 6]);
        let mut out = Vec::new();
        expand(&idx, &pal, &mut out);
        assert_eq!(out, rgba);
    }

    #[test]
    fn many_colours_are_reduced_deterministically() {
        let rgba: Vec<u8> =
            (0..4096u32).flat_map(|i| [(i * 7) as u8, ((i * 13) >> 2) as u8, (i >> 4) as u8, 255]).collect();
        let mut q = Quantizer::new();
        let (mut a, mut pa, mut b, mut pb) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        assert!(!q.quantize(&rgba, &mut a, &mut pa));
        assert!(!Quantizer::new().quantize(&rgba, &mut b, &mut pb));
        assert!(!q.quantize(&rgba, &mut b, &mut pb));
        assert_eq!((&a, &pa), (&b, &pb));
        assert!(pa.len() <= 768 && a.len() == 4096);
        // Every pixel is mapped near its colour.
        for (px, &i) in rgba.chunks_exact(4).zip(&a) {
            let c = &pa[usize::from(i) * 3..][..3];
            assert!((0..3).all(|k| (i32::from(px[k]) - i32::from(c[k])).abs() < 48), "{px:?} -> {c:?}");
        }
    }
}
