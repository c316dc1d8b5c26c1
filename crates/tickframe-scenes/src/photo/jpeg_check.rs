//! Is a JPEG's image data complete? JPEG decoders (zune-jpeg, jpeg-decoder, libjpeg) fill a
//! scan that ends early with grey and carry on, even in their strict modes when the early end
//! is an end-of-image marker (a file cut mid-scan with `FF D9` appended). This walks the
//! entropy-coded data of every Huffman scan without reconstructing anything (no IDCT, no
//! colour): it decodes the Huffman symbols and skips their extra bits, counting blocks, and
//! refuses a scan whose data runs out before its last block.
//!
//! Handled: baseline and extended sequential (SOF0, SOF1) and progressive (SOF2) Huffman JPEGs,
//! interleaved or not, with restart intervals. Other kinds (lossless, arithmetic-coded,
//! hierarchical) are left to the decoder. About 80 lines of Huffman walking, written here
//! because no decoder crate reports an early end of a scan.

/// Codes of at most this many bits are found with one lookup.
const FAST_BITS: usize = 10;

/// A canonical Huffman table: a [`FAST_BITS`]-bit lookup for short codes, then per-length
/// limits.
struct Huffman {
    /// `(length << 8) | symbol` for codes of at most [`FAST_BITS`] bits, indexed by the next
    /// [`FAST_BITS`] bits; 0 when the code is longer.
    fast: [u16; 1 << FAST_BITS],
    /// The largest code of each length (-1: none), for lengths 1..=16.
    max_code: [i32; 17],
    /// Index into `values` of the first code of each length, minus that code.
    offset: [i32; 17],
    values: [u8; 256],
}

impl Huffman {
    fn new(counts: &[u8; 16], symbols: &[u8]) -> Result<Huffman, String> {
        let mut h =
            Huffman { fast: [0; 1 << FAST_BITS], max_code: [-1; 17], offset: [0; 17], values: [0; 256] };
        if symbols.len() > 256 {
            return Err("a Huffman table with more than 256 symbols".into());
        }
        h.values[..symbols.len()].copy_from_slice(symbols);
        let (mut code, mut k) = (0i32, 0usize);
        for len in 1..=16usize {
            let n = usize::from(counts[len - 1]);
            if n > 0 {
                h.offset[len] = k as i32 - code;
                for _ in 0..n {
                    if len <= FAST_BITS {
                        let shift = FAST_BITS - len;
                        let base = (code as usize) << shift;
                        for e in &mut h.fast[base..base + (1 << shift)] {
                            *e = ((len as u16) << 8) | u16::from(symbols[k]);
                        }
                    }
                    code += 1;
                    k += 1;
                }
                h.max_code[len] = code - 1;
            }
            if code > (1 << len) {
                return Err("an over-full Huffman table".into());
            }
            code <<= 1;
        }
        Ok(h)
    }
}

/// MSB-first bits of entropy-coded data, byte stuffing undone. Past the end of the data (a
/// marker, or the end of the file) it supplies zero bits, and counts them: consuming one of
/// them means the scan's data ended early.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    acc: u64,
    /// Valid bits at the top of `acc`.
    n: u32,
    /// How many of the lowest valid bits are padding past the end.
    phantom: u32,
    at_marker: bool,
}

const EARLY_END: &str = "truncated: the image data ends before the last block";

impl<'a> Bits<'a> {
    fn new(data: &'a [u8], pos: usize) -> Bits<'a> {
        Bits { data, pos, acc: 0, n: 0, phantom: 0, at_marker: false }
    }

    fn fill(&mut self) {
        // The common case: the next eight bytes hold no `FF` (no stuffing, no marker), so as
        // many of them as fit go in at once.
        if !self.at_marker
            && let Some(chunk) = self.data.get(self.pos..self.pos + 8)
        {
            let word = u64::from_be_bytes(chunk.try_into().expect("eight bytes"));
            let inverted = !word;
            let has_ff = inverted.wrapping_sub(0x0101_0101_0101_0101) & !inverted & 0x8080_8080_8080_8080;
            if has_ff == 0 {
                // 1..=8 whole bytes fit below the `n` valid bits.
                let take = (64 - self.n) / 8;
                let kept = if take == 8 { word } else { word & !(u64::MAX >> (8 * take)) };
                self.acc |= kept.checked_shr(self.n).unwrap_or(0);
                self.n += 8 * take;
                self.pos += take as usize;
                return;
            }
        }
        while self.n <= 56 {
            let byte = if self.at_marker {
                self.phantom += 8;
                0
            } else {
                match (self.data.get(self.pos), self.data.get(self.pos + 1)) {
                    (Some(0xFF), Some(0x00)) => {
                        self.pos += 2;
                        0xFF
                    }
                    (Some(0xFF), _) | (None, _) => {
                        self.at_marker = true;
                        continue;
                    }
                    (Some(&b), _) => {
                        self.pos += 1;
                        b
                    }
                }
            };
            self.acc |= u64::from(byte) << (56 - self.n);
            self.n += 8;
        }
    }

    #[inline]
    fn consume(&mut self, k: u32) -> Result<(), &'static str> {
        if k > self.n {
            self.fill();
        }
        if k > self.n - self.phantom {
            return Err(EARLY_END);
        }
        self.acc = self.acc.checked_shl(k).unwrap_or(0);
        self.n -= k;
        Ok(())
    }

    fn get(&mut self, k: u32) -> Result<u32, &'static str> {
        if k == 0 {
            return Ok(0);
        }
        if k > self.n {
            self.fill();
        }
        let v = (self.acc >> (64 - k)) as u32;
        self.consume(k)?;
        Ok(v)
    }

    fn symbol(&mut self, h: &Huffman) -> Result<u8, &'static str> {
        if self.n < 16 {
            self.fill();
        }
        let peek = (self.acc >> 48) as u32;
        let e = h.fast[(peek >> (16 - FAST_BITS)) as usize];
        if e != 0 {
            self.consume(u32::from(e >> 8))?;
            return Ok(e as u8);
        }
        for len in FAST_BITS + 1..=16 {
            let code = (peek >> (16 - len)) as i32;
            if code <= h.max_code[len] {
                let i = (h.offset[len] + code) as usize;
                self.consume(len as u32)?;
                return h.values.get(i).copied().ok_or("corrupt: a bad Huffman code");
            }
        }
        if self.phantom > 0 && self.n - self.phantom < 16 {
            return Err(EARLY_END);
        }
        Err("corrupt: a bad Huffman code")
    }

    /// A symbol, then the `symbol & 15` extra bits after it skipped (a DC difference's or an
    /// AC coefficient's value bits): the symbol. One step for the common short code.
    #[inline]
    fn symbol_skip_extra(&mut self, h: &Huffman) -> Result<u8, &'static str> {
        if self.n < 32 {
            self.fill();
        }
        let e = h.fast[(self.acc >> (64 - FAST_BITS)) as usize];
        if e != 0 {
            self.consume(u32::from(e >> 8) + u32::from(e & 15))?;
            return Ok(e as u8);
        }
        let s = self.symbol(h)?;
        self.consume(u32::from(s & 15))?;
        Ok(s)
    }

    /// Drops the bits left in the current byte and moves to the next marker: the position of
    /// its `FF`.
    fn marker_pos(&self) -> usize {
        let mut p = self.pos;
        while p + 1 < self.data.len() {
            if self.data[p] == 0xFF && self.data[p + 1] != 0x00 && self.data[p + 1] != 0xFF {
                return p;
            }
            p += 1;
        }
        self.data.len()
    }
}

#[derive(Clone, Copy, Default)]
struct Component {
    id: u8,
    h: usize,
    v: usize,
}

/// `Ok` when every Huffman scan of the JPEG in `data` has all its blocks and the file ends with
/// an end-of-image marker (or is of a kind this does not check); otherwise why not.
pub(crate) fn check(data: &[u8]) -> Result<(), String> {
    if !data.starts_with(&[0xFF, 0xD8]) {
        return Err("not a JPEG file".into());
    }
    let mut dc: [Option<Huffman>; 4] = [None, None, None, None];
    let mut ac: [Option<Huffman>; 4] = [None, None, None, None];
    let mut comps: Vec<Component> = Vec::new();
    let (mut width, mut height, mut progressive, mut restart) = (0usize, 0usize, false, 0usize);
    // AC coefficients known to be non-zero, per block of each component (progressive only).
    let mut nonzero: Vec<Vec<u64>> = Vec::new();
    let mut scans = 0;
    let mut pos = 2;
    loop {
        // The next marker (fill bytes skipped).
        while pos < data.len() && data[pos] != 0xFF {
            pos += 1;
        }
        while pos < data.len() && data[pos] == 0xFF {
            pos += 1;
        }
        let Some(&m) = data.get(pos) else {
            return Err("truncated: no end-of-image marker".into());
        };
        pos += 1;
        match m {
            0xD9 => {
                return if scans == 0 { Err("truncated: no image data".into()) } else { Ok(()) };
            }
            0x01 | 0xD0..=0xD8 => continue,
            _ => {}
        }
        let len = match data.get(pos..pos + 2) {
            Some(b) => usize::from(u16::from_be_bytes([b[0], b[1]])),
            None => return Err("truncated: in a header".into()),
        };
        let Some(seg) = data.get(pos + 2..pos + len.max(2)) else {
            return Err("truncated: in a header".into());
        };
        pos += len.max(2);
        let short = || "corrupt: a short header".to_string();
        match m {
            0xC0..=0xC2 => {
                if seg.len() < 6 {
                    return Err(short());
                }
                height = usize::from(u16::from_be_bytes([seg[1], seg[2]]));
                width = usize::from(u16::from_be_bytes([seg[3], seg[4]]));
                progressive = m == 0xC2;
                let n = usize::from(seg[5]);
                if seg.len() < 6 + 3 * n || n == 0 {
                    return Err(short());
                }
                comps = (0..n)
                    .map(|i| Component {
                        id: seg[6 + 3 * i],
                        h: usize::from(seg[7 + 3 * i] >> 4).max(1),
                        v: usize::from(seg[7 + 3 * i] & 15).max(1),
                    })
                    .collect();
                if height == 0 || width == 0 {
                    // The height comes later (DNL): leave it to the decoder.
                    return Ok(());
                }
            }
            // Lossless, hierarchical or arithmetic-coded: not checked here.
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return Ok(()),
            0xC4 => {
                let mut s = seg;
                while !s.is_empty() {
                    if s.len() < 17 {
                        return Err(short());
                    }
                    let (class, slot) = (s[0] >> 4, usize::from(s[0] & 3));
                    let counts: [u8; 16] = s[1..17].try_into().expect("16 bytes");
                    let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
                    let symbols = s.get(17..17 + total).ok_or_else(short)?;
                    let table = Huffman::new(&counts, symbols)?;
                    if class == 0 {
                        dc[slot] = Some(table);
                    } else {
                        ac[slot] = Some(table);
                    }
                    s = &s[17 + total..];
                }
            }
            0xDD => {
                let b = seg.get(..2).ok_or_else(short)?;
                restart = usize::from(u16::from_be_bytes([b[0], b[1]]));
            }
            0xDA => {
                if comps.is_empty() {
                    return Err("corrupt: a scan before the frame header".into());
                }
                let ns = usize::from(*seg.first().ok_or_else(short)?);
                if seg.len() < 1 + 2 * ns + 3 || ns == 0 {
                    return Err(short());
                }
                let mut members = Vec::with_capacity(ns);
                for i in 0..ns {
                    let (id, tables) = (seg[1 + 2 * i], seg[2 + 2 * i]);
                    let c = comps
                        .iter()
                        .position(|c| c.id == id)
                        .ok_or("corrupt: a scan of an unknown component")?;
                    members.push((c, usize::from(tables >> 4) & 3, usize::from(tables & 15) & 3));
                }
                let (ss, se, ah) = (seg[1 + 2 * ns], seg[2 + 2 * ns], seg[3 + 2 * ns] >> 4);
                if progressive && nonzero.is_empty() {
                    nonzero = comps.iter().map(|_| Vec::new()).collect();
                }
                let scan = Scan { comps: &comps, width, height, members: &members, ss, se, ah, restart };
                pos = scan.walk(data, pos, &dc, &ac, progressive, &mut nonzero)?;
                scans += 1;
            }
            _ => {}
        }
    }
}

struct Scan<'a> {
    comps: &'a [Component],
    width: usize,
    height: usize,
    /// (component index, DC table, AC table).
    members: &'a [(usize, usize, usize)],
    ss: u8,
    se: u8,
    ah: u8,
    restart: usize,
}

impl Scan<'_> {
    /// Walks the scan's data from `pos`; the position of the marker after it.
    fn walk(
        &self,
        data: &[u8],
        pos: usize,
        dc: &[Option<Huffman>; 4],
        ac: &[Option<Huffman>; 4],
        progressive: bool,
        nonzero: &mut [Vec<u64>],
    ) -> Result<usize, String> {
        let hmax = self.comps.iter().map(|c| c.h).max().unwrap_or(1);
        let vmax = self.comps.iter().map(|c| c.v).max().unwrap_or(1);
        let (mcux, mcuy) = (self.width.div_ceil(8 * hmax), self.height.div_ceil(8 * vmax));
        let no_table = || "corrupt: a scan uses a missing Huffman table".to_string();
        let (is_dc, refine) = (progressive && self.ss == 0, progressive && self.ah > 0);
        let single = self.members.len() == 1;
        if progressive && !is_dc && !single {
            return Err("corrupt: a progressive AC scan of several components".into());
        }
        // Per member: the tables it needs (sequential: both; progressive: DC tables for a first
        // DC scan, AC tables for AC scans).
        let mut tables: Vec<(Option<&Huffman>, Option<&Huffman>)> = Vec::with_capacity(self.members.len());
        for &(_, d, a) in self.members {
            let need_dc = !progressive || (is_dc && !refine);
            let need_ac = !progressive || !is_dc;
            let dt = if need_dc { Some(dc[d].as_ref().ok_or_else(no_table)?) } else { None };
            let at = if need_ac { Some(ac[a].as_ref().ok_or_else(no_table)?) } else { None };
            tables.push((dt, at));
        }
        let mut bits = Bits::new(data, pos);
        let mut eobrun = 0u32;
        // Every block of one component (non-interleaved), or every MCU (interleaved).
        let (units_x, units_y, stride) = if single {
            let c = self.comps[self.members[0].0];
            let bw = (self.width * c.h).div_ceil(hmax).div_ceil(8);
            let bh = (self.height * c.v).div_ceil(vmax).div_ceil(8);
            (bw, bh, mcux * c.h)
        } else {
            (mcux, mcuy, 0)
        };
        if progressive && !is_dc {
            let c = self.members[0].0;
            let (w, h) = (mcux * self.comps[c].h, mcuy * self.comps[c].v);
            if nonzero[c].len() < w * h {
                nonzero[c] = vec![0; w * h];
            }
        }
        let total = units_x * units_y;
        for unit in 0..total {
            if self.restart > 0 && unit > 0 && unit % self.restart == 0 {
                let p = bits.marker_pos();
                match data.get(p + 1) {
                    Some(0xD0..=0xD7) => {}
                    _ => return Err(EARLY_END.into()),
                }
                bits = Bits::new(data, p + 2);
                eobrun = 0;
            }
            let (ux, uy) = (unit % units_x, unit / units_x);
            for (m, &(c, _, _)) in self.members.iter().enumerate() {
                let comp = self.comps[c];
                let blocks = if single { 1 } else { comp.h * comp.v };
                for _ in 0..blocks {
                    let (dt, at) = tables[m];
                    if !progressive {
                        block_sequential(&mut bits, dt.ok_or_else(no_table)?, at.ok_or_else(no_table)?)?;
                    } else if is_dc {
                        if refine {
                            bits.consume(1)?;
                        } else {
                            bits.symbol_skip_extra(dt.ok_or_else(no_table)?)?;
                        }
                    } else {
                        let mask = &mut nonzero[c][uy * stride + ux];
                        let at = at.ok_or_else(no_table)?;
                        if refine {
                            block_ac_refine(&mut bits, at, self.ss, self.se, &mut eobrun, mask)?;
                        } else {
                            block_ac_first(&mut bits, at, self.ss, self.se, &mut eobrun, mask)?;
                        }
                    }
                }
            }
        }
        Ok(bits.marker_pos())
    }
}

fn block_sequential(bits: &mut Bits<'_>, dc: &Huffman, ac: &Huffman) -> Result<(), &'static str> {
    bits.symbol_skip_extra(dc)?;
    let mut k = 1;
    while k < 64 {
        let rs = bits.symbol_skip_extra(ac)?;
        let (r, s) = (rs >> 4, rs & 15);
        if s == 0 {
            if r != 15 {
                break;
            }
            k += 16;
            continue;
        }
        k += usize::from(r) + 1;
    }
    Ok(())
}

fn block_ac_first(
    bits: &mut Bits<'_>,
    ac: &Huffman,
    ss: u8,
    se: u8,
    eobrun: &mut u32,
    mask: &mut u64,
) -> Result<(), &'static str> {
    if *eobrun > 0 {
        *eobrun -= 1;
        return Ok(());
    }
    let mut k = u32::from(ss);
    while k <= u32::from(se) {
        let rs = bits.symbol_skip_extra(ac)?;
        let (r, s) = (u32::from(rs >> 4), u32::from(rs & 15));
        if s == 0 {
            if r < 15 {
                *eobrun = (1 << r) - 1 + bits.get(r)?;
                break;
            }
            k += 16;
            continue;
        }
        k += r;
        if k < 64 {
            *mask |= 1 << k;
        }
        k += 1;
    }
    Ok(())
}

fn block_ac_refine(
    bits: &mut Bits<'_>,
    ac: &Huffman,
    ss: u8,
    se: u8,
    eobrun: &mut u32,
    mask: &mut u64,
) -> Result<(), &'static str> {
    let (mut k, se) = (u32::from(ss), u32::from(se).min(63));
    let nz = |mask: u64, k: u32| k < 64 && mask & (1 << k) != 0;
    if *eobrun == 0 {
        while k <= se {
            let rs = bits.symbol(ac)?;
            let (mut r, s) = (i32::from(rs >> 4), rs & 15);
            if s != 0 {
                bits.consume(1)?;
            } else if r != 15 {
                *eobrun = (1 << r) + bits.get(r as u32)?;
                break;
            }
            while k <= se {
                if nz(*mask, k) {
                    bits.consume(1)?;
                } else {
                    r -= 1;
                    if r < 0 {
                        break;
                    }
                }
                k += 1;
            }
            if s != 0 && k < 64 {
                *mask |= 1 << k;
            }
            k += 1;
        }
    }
    if *eobrun > 0 {
        while k <= se {
            if nz(*mask, k) {
                bits.consume(1)?;
            }
            k += 1;
        }
        *eobrun -= 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(w: u32, h: u32, gray: bool) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([((x * 7) ^ (y * 3)) as u8, (x + y * 2) as u8, (x.wrapping_mul(y) >> 3) as u8])
        });
        let mut out = Vec::new();
        let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
        if gray {
            enc.encode_image(&image::DynamicImage::ImageRgb8(img).to_luma8()).unwrap();
        } else {
            enc.encode_image(&img).unwrap();
        }
        out
    }

    #[test]
    fn complete_jpegs_pass_and_cut_ones_fail_even_with_an_end_marker() {
        for (w, h, gray) in
            [(1, 1, false), (17, 9, false), (160, 90, false), (64, 48, true), (333, 211, false)]
        {
            let good = jpeg(w, h, gray);
            assert_eq!(check(&good), Ok(()), "{w}x{h}");
            // Where the scan data starts: after the SOS header.
            let sos = good.windows(2).position(|p| p == [0xFF, 0xDA]).unwrap();
            let start = sos + 2 + usize::from(u16::from_be_bytes([good[sos + 2], good[sos + 3]]));
            let end = good.len() - 2;
            for cut in
                [start, start + 1, (start + end) / 2, end - 8, end - 1].into_iter().filter(|&c| c >= start)
            {
                if cut + 2 >= good.len() || (w, h) == (1, 1) && cut > start {
                    continue;
                }
                let mut t = good[..cut].to_vec();
                assert!(check(&t).is_err(), "{w}x{h} cut at {cut} of {}", good.len());
                t.extend_from_slice(&[0xFF, 0xD9]);
                let e = check(&t).unwrap_err();
                assert!(e.contains("truncated"), "{w}x{h} cut at {cut} + EOI: {e}");
            }
        }
    }

    #[test]
    fn every_cut_of_the_image_data_is_found() {
        // Every length from the start of the scan data to just before the end marker, so each
        // path of the bit reader (eight bytes at once, byte by byte, stuffed `FF 00`) meets the
        // end.
        let good = jpeg(61, 37, false);
        let sos = good.windows(2).position(|p| p == [0xFF, 0xDA]).unwrap();
        let start = sos + 2 + usize::from(u16::from_be_bytes([good[sos + 2], good[sos + 3]]));
        assert!(good[start..].windows(2).any(|p| p == [0xFF, 0x00]), "the test wants stuffed bytes");
        for cut in start..good.len() - 2 {
            let mut t = good[..cut].to_vec();
            t.extend_from_slice(&[0xFF, 0xD9]);
            // The last bytes may hold only padding bits: a cut there loses no block.
            if let Err(e) = check(&t) {
                assert!(e.contains("truncated"), "cut at {cut}: {e}");
            } else {
                assert!(cut >= good.len() - 4, "cut at {cut} of {} passed", good.len());
            }
        }
    }

    #[test]
    fn other_files_are_refused() {
        assert!(check(b"not a jpeg").is_err());
        assert!(check(&[0xFF, 0xD8]).is_err());
        assert!(check(&[0xFF, 0xD8, 0xFF, 0xD9]).is_err());
    }
}
