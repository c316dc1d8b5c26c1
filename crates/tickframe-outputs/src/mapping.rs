//! LED mapping: which frame pixel drives which device channels.

use std::path::Path;

use tickframe_core::Size;

/// One LED of a mapping: frame pixel `(x, y)` drives the three channels starting at `channel`
/// (0-based) of output `output` (0-based; an output is `channels_per_output` channels long,
/// e.g. one 510-channel universe).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct Led {
    /// Frame column, 0-based.
    pub x: u32,
    /// Frame row, 0-based.
    pub y: u32,
    /// Output (universe, port or strip), 0-based.
    pub output: u32,
    /// First of the LED's three channels within the output, 0-based.
    pub channel: u32,
}

/// What a mapping may leave out or share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MappingOptions {
    /// Channels per output; an LED's three channels must fit inside one output. Default 510
    /// (170 RGB pixels, one DMX universe as E1.31/Art-Net outputs use it).
    pub channels_per_output: u32,
    /// Allow frame pixels that no LED shows; default `false` (an error).
    pub allow_unmapped: bool,
    /// Allow two LEDs on the same channel (the later one wins); default `false` (an error).
    pub allow_shared_channels: bool,
}

impl Default for MappingOptions {
    fn default() -> MappingOptions {
        MappingOptions { channels_per_output: 510, allow_unmapped: false, allow_shared_channels: false }
    }
}

/// A mapping that cannot be used. File errors name the line (CSV) or entry (JSON).
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    /// The mapping file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line or entry of a mapping file is malformed or out of range.
    #[error("{at}: {message} (expected e.g. {example})")]
    Invalid {
        /// Where: `file:line` for CSV, `file: leds[i]` or `file:line:column` for JSON.
        at: String,
        /// What is wrong.
        message: String,
        /// An example of a correct line or entry.
        example: &'static str,
    },
    /// Frame pixels that no LED shows (and `allow_unmapped` is off).
    #[error(
        "{at}: {count} frame pixel(s) are not mapped to any LED, first at ({x}, {y}); map them or allow unmapped pixels"
    )]
    Unmapped {
        /// The mapping file, or `mapping` for one built in code.
        at: String,
        /// How many.
        count: usize,
        /// Column of the first one.
        x: u32,
        /// Row of the first one.
        y: u32,
    },
    /// Two LEDs on one channel (and `allow_shared_channels` is off).
    #[error(
        "{at}: output {output} channel {channel} is already used by {previous}; allow shared channels if intended"
    )]
    SharedChannel {
        /// The second LED (file position or LED index).
        at: String,
        /// The first LED.
        previous: String,
        /// Output.
        output: u32,
        /// Channel.
        channel: u32,
    },
}

/// The most device bytes a mapping may address: every E1.31 universe (64,000 × 512 channels).
pub const MAX_DEVICE_BYTES: u64 = 64_000 * 512;

const CSV_EXAMPLE: &str = "`x,y,output,channel` then rows like `3,0,0,9`";
const JSON_EXAMPLE: &str =
    r#"`{"leds": [{"x": 3, "y": 0, "output": 0, "channel": 9}]}` or `{"leds": [[3, 0, 0, 9]]}`"#;

const JSON_PANELS_EXAMPLE: &str =
    r#"`{"panels": [{"x": 0, "y": 0, "width": 64, "height": 64, "rotation": 180, "serpentine": false}]}`"#;

/// Start offsets of the elements of the top-level array `"key": [...]` in valid JSON text.
fn json_array_starts(text: &str, key: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut starts = Vec::new();
    let (mut depth, mut i) = (0usize, 0usize);
    let mut in_array = false; // inside the wanted array, at its depth + 1
    let mut array_depth = 0;
    let mut expect_element = false;
    let mut last_key: Option<(usize, usize)> = None;
    while i < b.len() {
        let c = b[i];
        if in_array && expect_element && !c.is_ascii_whitespace() && c != b']' {
            starts.push(i);
            expect_element = false;
        }
        match c {
            b'"' => {
                let s = i + 1;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                if depth == 1 {
                    last_key = Some((s, i.min(b.len())));
                }
            }
            b'{' | b'[' => {
                depth += 1;
                if c == b'[' && depth == 2 && !in_array && last_key.is_some_and(|(s, e)| &text[s..e] == key) {
                    in_array = true;
                    array_depth = depth;
                    expect_element = true;
                }
            }
            b'}' | b']' => {
                if in_array && depth == array_depth {
                    return starts;
                }
                depth = depth.saturating_sub(1);
            }
            b',' if in_array && depth == array_depth => expect_element = true,
            _ => {}
        }
        i += 1;
    }
    starts
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// A chain of equal panels in one line: `WxH:COUNT[:option…]`, options `cube` (four panels
/// around a cube's sides, left to right: `64x64:4:cube` shows a 256×64 frame), `columns=C`
/// (panels per row of a grid, filled left to right, top to bottom; default all in one row),
/// `rotate=R` or `rotate=R,R,…` (clockwise degrees, one for all or one per panel),
/// `serpentine` (each panel's rows zig-zag).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PanelChain {
    /// One panel's width in its own pixels.
    pub width: u32,
    /// One panel's height.
    pub height: u32,
    /// Panels in the chain.
    pub count: u32,
    /// Panels per row.
    pub columns: u32,
    /// Each panel's rotation.
    pub rotations: Vec<Rotation>,
    /// Zig-zag rows within each panel.
    pub serpentine: bool,
}

impl PanelChain {
    /// Parses `WxH:COUNT[:option…]`.
    ///
    /// # Examples
    /// ```
    /// use tickframe_outputs::PanelChain;
    /// let c = PanelChain::parse("64x64:4:cube").unwrap();
    /// assert_eq!(c.frame_size().to_string(), "256x64");
    /// ```
    ///
    /// # Errors
    /// A message naming the bad part, with an example.
    pub fn parse(text: &str) -> Result<PanelChain, String> {
        let fail = |m: String| {
            format!(
                "invalid panel chain `{text}`: {m} (expected e.g. `64x64:4:cube` or `32x16:6:columns=3:rotate=0,0,0,180,180,180:serpentine`)"
            )
        };
        let mut parts = text.split(':');
        let dims = parts.next().unwrap_or("");
        let (w, h) = dims
            .split_once(['x', 'X'])
            .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
            .filter(|&(w, h)| (1..=1024).contains(&w) && (1..=1024).contains(&h))
            .ok_or_else(|| fail(format!("`{dims}` is not a panel size WxH (each 1..=1024)")))?;
        let count_text = parts.next().ok_or_else(|| fail("missing the panel count after the size".into()))?;
        let count = count_text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=256).contains(n))
            .ok_or_else(|| fail(format!("`{count_text}` is not a panel count in 1..=256")))?;
        let mut chain = PanelChain {
            width: w,
            height: h,
            count,
            columns: count,
            rotations: vec![Rotation::R0; count as usize],
            serpentine: false,
        };
        for opt in parts {
            match opt.split_once('=') {
                None if opt == "cube" => {
                    if count != 4 {
                        return Err(fail(format!("`cube` is four panels, not {count}")));
                    }
                    chain.columns = 4;
                }
                None if opt == "serpentine" => chain.serpentine = true,
                Some(("columns", c)) => {
                    chain.columns = c
                        .parse::<u32>()
                        .ok()
                        .filter(|c| (1..=count).contains(c) && count % c == 0)
                        .ok_or_else(|| fail(format!("`columns={c}` must divide the panel count {count}")))?;
                }
                Some(("rotate", r)) => {
                    let rs: Vec<Rotation> = r
                        .split(',')
                        .map(|d| match d {
                            "0" => Ok(Rotation::R0),
                            "90" => Ok(Rotation::R90),
                            "180" => Ok(Rotation::R180),
                            "270" => Ok(Rotation::R270),
                            _ => Err(fail(format!("rotation `{d}` is not 0, 90, 180 or 270"))),
                        })
                        .collect::<Result<_, _>>()?;
                    chain.rotations = match rs.len() {
                        1 => vec![rs[0]; count as usize],
                        n if n == count as usize => rs,
                        n => {
                            return Err(fail(format!(
                                "{n} rotations for {count} panels: give one, or one per panel"
                            )));
                        }
                    };
                }
                _ => {
                    return Err(fail(format!(
                        "unknown option `{opt}` (known: cube, columns=C, rotate=R[,R…], serpentine)"
                    )));
                }
            }
        }
        let square = w == h;
        if !square && chain.rotations.iter().any(|r| matches!(r, Rotation::R90 | Rotation::R270)) {
            return Err(fail("90° and 270° rotations need square panels in a chain".into()));
        }
        Ok(chain)
    }

    /// The frame the chain shows: `columns·W × rows·H`.
    pub fn frame_size(&self) -> Size {
        let rows = self.count / self.columns.max(1);
        Size::new(self.width * self.columns, self.height * rows).unwrap_or_else(|_| Size::new(1, 1).unwrap())
    }

    /// The panels, in chain order.
    pub fn panels(&self) -> Vec<Panel> {
        (0..self.count)
            .map(|i| Panel {
                x: (i % self.columns) * self.width,
                y: (i / self.columns) * self.height,
                width: self.width,
                height: self.height,
                rotation: self.rotations[i as usize],
                serpentine: self.serpentine,
            })
            .collect()
    }
}

/// Panel rotation, clockwise, of a panel's own pixel grid within the frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Rotation {
    /// As is.
    #[default]
    R0,
    /// 90° clockwise: the panel's first row becomes the region's last column.
    R90,
    /// 180°.
    R180,
    /// 270° clockwise (90° anticlockwise).
    R270,
}

/// One panel of a chain: the panel's own `width × height` pixel grid, wired row by row (or
/// serpentine), shown at frame offset `(x, y)` after `rotation` (so a 90°/270° panel covers
/// `height × width` frame pixels).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Panel {
    /// Frame column of the region's left edge.
    pub x: u32,
    /// Frame row of the region's top edge.
    pub y: u32,
    /// Panel width in its own pixels.
    pub width: u32,
    /// Panel height in its own pixels.
    pub height: u32,
    /// How the panel is turned in the frame.
    pub rotation: Rotation,
    /// Whether odd rows of the panel run right to left (zig-zag wiring).
    pub serpentine: bool,
}

impl Panel {
    /// The frame region it covers, `(width, height)` after rotation.
    pub fn region(&self) -> (u32, u32) {
        match self.rotation {
            Rotation::R0 | Rotation::R180 => (self.width, self.height),
            Rotation::R90 | Rotation::R270 => (self.height, self.width),
        }
    }

    /// Whether two panels' frame regions share a pixel.
    pub fn overlaps(&self, other: &Panel) -> bool {
        let ((aw, ah), (bw, bh)) = (self.region(), other.region());
        let (ax, ay, bx, by) = (u64::from(self.x), u64::from(self.y), u64::from(other.x), u64::from(other.y));
        ax < bx + u64::from(bw)
            && bx < ax + u64::from(aw)
            && ay < by + u64::from(bh)
            && by < ay + u64::from(ah)
    }

    /// The frame pixel shown by the panel's own pixel `(px, py)`.
    pub fn frame_pixel(&self, px: u32, py: u32) -> (u32, u32) {
        let (w, h) = (self.width, self.height);
        let (rx, ry) = match self.rotation {
            Rotation::R0 => (px, py),
            Rotation::R90 => (h - 1 - py, px),
            Rotation::R180 => (w - 1 - px, h - 1 - py),
            Rotation::R270 => (py, w - 1 - px),
        };
        (self.x + rx, self.y + ry)
    }
}

/// A compiled mapping: for every LED, the frame pixel it shows and the device byte offset of
/// its first channel. Built once; applied per frame by [`LedPipeline`](crate::LedPipeline).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    frame_size: Size,
    pub(crate) sources: Vec<u32>,
    pub(crate) offsets: Vec<u32>,
    device_len: usize,
}

impl Mapping {
    /// Builds a mapping from LEDs, in order, checking every rule in `options`.
    ///
    /// # Errors
    /// A pixel outside the frame, channels crossing an output's end, unmapped pixels or shared
    /// channels (unless allowed).
    pub fn new(frame_size: Size, leds: &[Led], options: MappingOptions) -> Result<Mapping, MappingError> {
        let located: Vec<(Led, String)> =
            leds.iter().enumerate().map(|(i, l)| (*l, format!("LED {i}"))).collect();
        Mapping::build(frame_size, &located, options, "", "")
    }

    fn build(
        frame_size: Size,
        leds: &[(Led, String)],
        options: MappingOptions,
        example: &'static str,
        name: &str,
    ) -> Result<Mapping, MappingError> {
        let cpo = options.channels_per_output;
        if cpo < 3 {
            return Err(MappingError::Invalid {
                at: if name.is_empty() { "options".into() } else { name.to_string() },
                message: format!("channels_per_output {cpo} is below 3"),
                example: "510",
            });
        }
        let (w, h) = (frame_size.width(), frame_size.height());
        let mut sources = Vec::with_capacity(leds.len());
        let mut offsets = Vec::with_capacity(leds.len());
        let mut covered = vec![false; frame_size.area()];
        let mut device_len = 0u64;
        for (led, at) in leds {
            let invalid = |message: String| MappingError::Invalid { at: at.clone(), message, example };
            if led.x >= w || led.y >= h {
                return Err(invalid(format!("pixel ({}, {}) is outside the {w}×{h} frame", led.x, led.y)));
            }
            if u64::from(led.channel) + 3 > u64::from(cpo) {
                return Err(invalid(format!(
                    "channels {}..={} do not fit in an output of {cpo} channels",
                    led.channel,
                    u64::from(led.channel) + 2
                )));
            }
            let offset = u64::from(led.output) * u64::from(cpo) + u64::from(led.channel);
            if offset + 3 > MAX_DEVICE_BYTES {
                return Err(invalid(format!(
                    "output {} channel {} is past the last device byte a mapping may address ({MAX_DEVICE_BYTES}: 64,000 outputs of 512 channels)",
                    led.output, led.channel
                )));
            }
            device_len = device_len.max(offset + 3);
            let src = led.y as usize * w as usize + led.x as usize;
            covered[src] = true;
            sources.push(src as u32);
            offsets.push(offset as u32);
        }
        if !options.allow_shared_channels {
            // Sorted by offset, two LEDs share a channel exactly when neighbours overlap.
            let mut order: Vec<u32> = (0..leds.len() as u32).collect();
            order.sort_by_key(|&i| (offsets[i as usize], i));
            for pair in order.windows(2) {
                let (a, b) = (pair[0] as usize, pair[1] as usize);
                if offsets[b] < offsets[a] + 3 {
                    let (first, second) = (a.min(b), a.max(b));
                    // The first shared channel is the start of the LED further along.
                    let led = if offsets[first] >= offsets[second] { leds[first].0 } else { leds[second].0 };
                    return Err(MappingError::SharedChannel {
                        at: leds[second].1.clone(),
                        previous: leds[first].1.clone(),
                        output: led.output,
                        channel: led.channel,
                    });
                }
            }
        }
        if !options.allow_unmapped {
            let count = covered.iter().filter(|c| !**c).count();
            if let Some(first) = covered.iter().position(|c| !*c) {
                return Err(MappingError::Unmapped {
                    at: if name.is_empty() { "mapping".into() } else { name.to_string() },
                    count,
                    x: first as u32 % w,
                    y: first as u32 / w,
                });
            }
        }
        Ok(Mapping { frame_size, sources, offsets, device_len: device_len as usize })
    }

    /// Every pixel in row-major order, 3 channels each, packed densely (LED *i* at channel
    /// 3*i* of one long channel space).
    pub fn row_major(size: Size) -> Mapping {
        Mapping::dense(size, (0..size.height()).flat_map(|y| (0..size.width()).map(move |x| (x, y))))
    }

    /// A zig-zag strip: row by row (or, when `vertical`, column by column) from the top-left
    /// corner, every other row (column) running backwards. Packed densely.
    ///
    /// # Examples
    /// ```
    /// use tickframe_core::Size;
    /// let m = tickframe_outputs::Mapping::serpentine(Size::new(3, 2).unwrap(), false);
    /// // LED order: (0,0) (1,0) (2,0) (2,1) (1,1) (0,1)
    /// assert_eq!(m.led_pixels().collect::<Vec<_>>(), [0, 1, 2, 5, 4, 3]);
    /// ```
    pub fn serpentine(size: Size, vertical: bool) -> Mapping {
        let (w, h) = (size.width(), size.height());
        if vertical {
            Mapping::dense(
                size,
                (0..w).flat_map(move |x| (0..h).map(move |i| (x, if x % 2 == 0 { i } else { h - 1 - i }))),
            )
        } else {
            Mapping::dense(
                size,
                (0..h).flat_map(move |y| (0..w).map(move |i| (if y % 2 == 0 { i } else { w - 1 - i }, y))),
            )
        }
    }

    /// A chain of panels (e.g. four 64×64 panels around a cube showing a 256×64 frame), LEDs
    /// numbered panel after panel, `⌊channels_per_output / 3⌋` LEDs per output (so no LED
    /// straddles two universes).
    ///
    /// # Errors
    /// A panel reaching outside the frame, overlapping panels, or frame pixels no panel covers
    /// (unless `options.allow_unmapped`).
    pub fn panels(
        frame_size: Size,
        panels: &[Panel],
        options: MappingOptions,
    ) -> Result<Mapping, MappingError> {
        let mut leds = Vec::new();
        let cpo = (options.channels_per_output / 3 * 3).max(3); // below 3: an error from `build`
        let mut n: u64 = 0;
        for (pi, p) in panels.iter().enumerate() {
            let (rw, rh) = p.region();
            if let Some(qi) = panels[..pi].iter().position(|q| p.overlaps(q)) {
                let q = &panels[qi];
                return Err(MappingError::Invalid {
                    at: format!("panel {pi}"),
                    message: format!(
                        "its {rw}×{rh} region at ({}, {}) overlaps panel {qi} ({}×{} at ({}, {}))",
                        p.x,
                        p.y,
                        q.region().0,
                        q.region().1,
                        q.x,
                        q.y
                    ),
                    example: "panels side by side: x = 0, 64, 128, 192 for four 64×64 panels",
                });
            }
            if p.width == 0
                || p.height == 0
                || u64::from(p.x) + u64::from(rw) > u64::from(frame_size.width())
                || u64::from(p.y) + u64::from(rh) > u64::from(frame_size.height())
            {
                return Err(MappingError::Invalid {
                    at: format!("panel {pi}"),
                    message: format!(
                        "a {rw}×{rh} region at ({}, {}) is not inside the {} frame",
                        p.x, p.y, frame_size
                    ),
                    example: "Panel { x: 64, y: 0, width: 64, height: 64, .. } in a 256×64 frame",
                });
            }
            for py in 0..p.height {
                for i in 0..p.width {
                    let px = if p.serpentine && py % 2 == 1 { p.width - 1 - i } else { i };
                    let (x, y) = p.frame_pixel(px, py);
                    let byte = n * 3;
                    let led = Led {
                        x,
                        y,
                        output: (byte / u64::from(cpo)) as u32,
                        channel: (byte % u64::from(cpo)) as u32,
                    };
                    leds.push((led, format!("panel {pi} pixel ({px}, {py})")));
                    n += 1;
                }
            }
        }
        // Whole LEDs per output (170 in 510 or 512 channels); outputs keep their real length, so
        // a 512-channel universe leaves its last 2 channels unused.
        Mapping::build(frame_size, &leds, options, "", "panels")
    }

    fn dense(size: Size, order: impl Iterator<Item = (u32, u32)>) -> Mapping {
        let w = size.width() as usize;
        let sources: Vec<u32> = order.map(|(x, y)| (y as usize * w + x as usize) as u32).collect();
        let offsets = (0..sources.len() as u32).map(|i| i * 3).collect();
        Mapping { frame_size: size, device_len: sources.len() * 3, sources, offsets }
    }

    /// Parses a CSV mapping: an optional header `x,y,output,channel`, then one LED a line
    /// (0-based numbers). Blank lines and lines starting with `#` are ignored. `name` is used
    /// in messages.
    ///
    /// # Errors
    /// [`MappingError::Invalid`] naming `name:line`, or the mapping rules of [`Mapping::new`].
    pub fn from_csv(
        text: &str,
        name: &str,
        frame_size: Size,
        options: MappingOptions,
    ) -> Result<Mapping, MappingError> {
        let mut leds = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = format!("{name}:{}", i + 1);
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            if leds.is_empty() && fields.first().is_some_and(|f| f.eq_ignore_ascii_case("x")) {
                if fields.iter().map(|f| f.to_ascii_lowercase()).ne(["x", "y", "output", "channel"]) {
                    return Err(MappingError::Invalid {
                        at,
                        message: format!("header `{line}` is not `x,y,output,channel`"),
                        example: CSV_EXAMPLE,
                    });
                }
                continue;
            }
            if fields.len() != 4 {
                return Err(MappingError::Invalid {
                    at,
                    message: format!("{} field(s), expected 4", fields.len()),
                    example: CSV_EXAMPLE,
                });
            }
            let mut n = [0u32; 4];
            for (k, f) in fields.iter().enumerate() {
                n[k] = f.parse().map_err(|_| MappingError::Invalid {
                    at: at.clone(),
                    message: format!("`{f}` is not a whole number ≥ 0"),
                    example: CSV_EXAMPLE,
                })?;
            }
            leds.push((Led { x: n[0], y: n[1], output: n[2], channel: n[3] }, at));
        }
        Mapping::build(frame_size, &leds, options, CSV_EXAMPLE, name)
    }

    /// Parses a JSON mapping: `{"leds": [...]}` with each LED either an object
    /// `{"x", "y", "output", "channel"}` or an array `[x, y, output, channel]`, or
    /// `{"panels": [...]}` with each panel `{"x", "y", "width", "height", "rotation": 0|90|180|270,
    /// "serpentine": false}` (as [`Mapping::panels`]); an optional `"channels_per_output"`
    /// overrides `options`.
    ///
    /// # Errors
    /// Syntax errors and bad entries name `name:line:column` (of the entry).
    pub fn from_json(
        text: &str,
        name: &str,
        frame_size: Size,
        options: MappingOptions,
    ) -> Result<Mapping, MappingError> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Entry {
            Object(Led),
            Array([u32; 4]),
        }
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct JsonPanel {
            x: u32,
            y: u32,
            width: u32,
            height: u32,
            #[serde(default)]
            rotation: u32,
            #[serde(default)]
            serpentine: bool,
        }
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            channels_per_output: Option<u32>,
            leds: Option<Vec<serde_json::Value>>,
            panels: Option<Vec<serde_json::Value>>,
        }
        let file: File = serde_json::from_str(text).map_err(|e| MappingError::Invalid {
            at: format!("{name}:{}:{}", e.line(), e.column()),
            message: e.to_string(),
            example: JSON_EXAMPLE,
        })?;
        let options = MappingOptions {
            channels_per_output: file.channels_per_output.unwrap_or(options.channels_per_output),
            ..options
        };
        let (key, entries) = match (file.leds, file.panels) {
            (Some(l), None) => ("leds", l),
            (None, Some(p)) => ("panels", p),
            _ => {
                return Err(MappingError::Invalid {
                    at: format!("{name}:1:1"),
                    message: "expected exactly one of `leds` and `panels`".into(),
                    example: JSON_EXAMPLE,
                });
            }
        };
        let starts = json_array_starts(text, key);
        let at = |i: usize| match starts.get(i) {
            Some(&offset) => {
                let (line, column) = line_column(text, offset);
                format!("{name}:{line}:{column}")
            }
            None => format!("{name}: {key}[{i}]"),
        };
        if key == "panels" {
            let mut panels = Vec::with_capacity(entries.len());
            for (i, v) in entries.into_iter().enumerate() {
                let bad = |message: String| MappingError::Invalid {
                    at: at(i),
                    message,
                    example: JSON_PANELS_EXAMPLE,
                };
                let p: JsonPanel = serde_json::from_value(v).map_err(|e| bad(format!("panels[{i}]: {e}")))?;
                let rotation = match p.rotation {
                    0 => Rotation::R0,
                    90 => Rotation::R90,
                    180 => Rotation::R180,
                    270 => Rotation::R270,
                    r => return Err(bad(format!("panels[{i}]: rotation {r} is not 0, 90, 180 or 270"))),
                };
                panels.push(Panel {
                    x: p.x,
                    y: p.y,
                    width: p.width,
                    height: p.height,
                    rotation,
                    serpentine: p.serpentine,
                });
            }
            return Mapping::panels(frame_size, &panels, options).map_err(|e| match e {
                MappingError::Invalid { at: panel, message, example } => {
                    let i: usize =
                        panel.strip_prefix("panel ").and_then(|n| n.parse().ok()).unwrap_or(usize::MAX);
                    MappingError::Invalid {
                        at: if i == usize::MAX { name.to_string() } else { at(i) },
                        message,
                        example,
                    }
                }
                MappingError::Unmapped { count, x, y, .. } => {
                    MappingError::Unmapped { at: name.to_string(), count, x, y }
                }
                other => other,
            });
        }
        let mut leds = Vec::with_capacity(entries.len());
        for (i, v) in entries.into_iter().enumerate() {
            let e: Entry = serde_json::from_value(v).map_err(|_| MappingError::Invalid {
                at: at(i),
                message: format!("leds[{i}] is not `[x, y, output, channel]` or an object with those keys (whole numbers ≥ 0)"),
                example: JSON_EXAMPLE,
            })?;
            let led = match e {
                Entry::Object(l) => l,
                Entry::Array([x, y, output, channel]) => Led { x, y, output, channel },
            };
            leds.push((led, at(i)));
        }
        Mapping::build(frame_size, &leds, options, JSON_EXAMPLE, name)
    }

    /// A chain of equal panels described in one line (see [`PanelChain`]).
    ///
    /// # Errors
    /// As [`Mapping::panels`].
    pub fn panel_chain(
        frame_size: Size,
        chain: &PanelChain,
        options: MappingOptions,
    ) -> Result<Mapping, MappingError> {
        Mapping::panels(frame_size, &chain.panels(), options)
    }

    /// Loads a mapping file: `.json` as JSON, anything else as CSV.
    ///
    /// # Errors
    /// As [`Mapping::from_csv`] / [`Mapping::from_json`], or [`MappingError::Io`].
    pub fn load(path: &Path, frame_size: Size, options: MappingOptions) -> Result<Mapping, MappingError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|source| MappingError::Io { path: name.clone(), source })?;
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
            Mapping::from_json(&text, &name, frame_size, options)
        } else {
            Mapping::from_csv(&text, &name, frame_size, options)
        }
    }

    /// The frame size this mapping reads.
    pub fn frame_size(&self) -> Size {
        self.frame_size
    }

    /// Number of LEDs.
    pub fn led_count(&self) -> usize {
        self.sources.len()
    }

    /// Device bytes per frame (highest used channel + 1; channels no LED uses stay 0).
    pub fn device_len(&self) -> usize {
        self.device_len
    }

    /// The row-major frame pixel index of each LED, in LED order.
    pub fn led_pixels(&self) -> impl ExactSizeIterator<Item = usize> + '_ {
        self.sources.iter().map(|&s| s as usize)
    }

    /// The device byte offset of each LED's first channel, in LED order.
    pub fn led_offsets(&self) -> impl ExactSizeIterator<Item = usize> + '_ {
        self.offsets.iter().map(|&o| o as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(w: u32, h: u32) -> Size {
        Size::new(w, h).unwrap()
    }

    #[test]
    fn serpentine_vertical() {
        let m = Mapping::serpentine(size(2, 3), true);
        assert_eq!(m.led_pixels().collect::<Vec<_>>(), [0, 2, 4, 5, 3, 1]);
        assert_eq!(m.device_len(), 18);
    }

    #[test]
    fn panel_rotations_cover_the_region() {
        // A 3×2 panel at each rotation: check the first LED's pixel and full coverage.
        for (rot, first) in [
            (Rotation::R0, (0, 0)),
            (Rotation::R90, (1, 0)),
            (Rotation::R180, (2, 1)),
            (Rotation::R270, (0, 2)),
        ] {
            let p = Panel { x: 0, y: 0, width: 3, height: 2, rotation: rot, serpentine: false };
            assert_eq!(p.frame_pixel(0, 0), first, "{rot:?}");
            let fs = if matches!(rot, Rotation::R90 | Rotation::R270) { size(2, 3) } else { size(3, 2) };
            Mapping::panels(fs, &[p], MappingOptions::default()).unwrap();
        }
    }

    #[test]
    fn cube_of_four_panels() {
        let panels: Vec<Panel> = (0..4)
            .map(|i| Panel {
                x: i * 64,
                y: 0,
                width: 64,
                height: 64,
                rotation: if i % 2 == 0 { Rotation::R0 } else { Rotation::R180 },
                serpentine: false,
            })
            .collect();
        let m = Mapping::panels(size(256, 64), &panels, MappingOptions::default()).unwrap();
        assert_eq!(m.led_count(), 16_384);
        assert_eq!(m.device_len(), 16_384 * 3);
        let px: Vec<usize> = m.led_pixels().collect();
        assert_eq!(
            px[4096],
            64 + 63 + 63 * 256,
            "panel 1 is turned 180°: its first LED is its region's bottom-right"
        );
    }

    #[test]
    fn csv_errors_name_the_line() {
        let opts = MappingOptions { allow_unmapped: true, ..Default::default() };
        let e =
            Mapping::from_csv("x,y,output,channel\n0,0,0,0\n# c\n1,0,zero,3\n", "m.csv", size(2, 1), opts)
                .unwrap_err();
        assert!(e.to_string().starts_with("m.csv:4: `zero` is not a whole number"), "{e}");
        let e = Mapping::from_csv("0,0,0,0\n1,0,0,2\n", "m.csv", size(2, 1), opts).unwrap_err();
        assert_eq!(
            e.to_string(),
            "m.csv:2: output 0 channel 2 is already used by m.csv:1; allow shared channels if intended"
        );
        let e = Mapping::from_csv("0,0,0,0\n5,0,0,3\n", "m.csv", size(2, 1), opts).unwrap_err();
        assert!(e.to_string().contains("m.csv:2: pixel (5, 0) is outside the 2×1 frame"), "{e}");
        let e = Mapping::from_csv("0,0,0,0\n", "m.csv", size(2, 1), MappingOptions::default()).unwrap_err();
        assert!(e.to_string().contains("1 frame pixel(s) are not mapped"), "{e}");
        let e = Mapping::from_csv("0,0,0,509\n", "m.csv", size(1, 1), opts).unwrap_err();
        assert!(e.to_string().contains("do not fit in an output of 510"), "{e}");
        let ok =
            Mapping::from_csv("0,0,0,0\n0,0,0,3\n0,0,1,0\n", "m.csv", size(1, 1), MappingOptions::default())
                .unwrap();
        assert_eq!(ok.led_offsets().collect::<Vec<_>>(), [0, 3, 510], "one pixel may drive several LEDs");
        let shared = MappingOptions { allow_shared_channels: true, ..opts };
        assert!(Mapping::from_csv("0,0,0,0\n1,0,0,1\n", "m.csv", size(2, 1), shared).is_ok());
    }

    #[test]
    fn json_forms_and_errors() {
        let m = Mapping::from_json(
            r#"{"channels_per_output": 512, "leds": [[0,0,0,0], {"x":1,"y":0,"output":1,"channel":0}]}"#,
            "m.json",
            size(2, 1),
            MappingOptions::default(),
        )
        .unwrap();
        assert_eq!(m.led_offsets().collect::<Vec<_>>(), [0, 512]);
        let e = Mapping::from_json(
            "{\"leds\": [\n[0,0,0,0],\n[0,0,0,]]}",
            "m.json",
            size(1, 1),
            MappingOptions::default(),
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("m.json:3:"), "{e}");
        let e = Mapping::from_json(
            r#"{"leds": [[0,0,0,0],[3,0,0,3]]}"#,
            "m.json",
            size(1, 1),
            MappingOptions::default(),
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("m.json:1:21: pixel (3, 0)"), "{e}");
        let e = Mapping::from_json(
            "{\"leds\": [\n  [0, 0, 0, 0],\n  {\"x\": \"a\"}\n]}",
            "m.json",
            size(1, 1),
            MappingOptions::default(),
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("m.json:3:3: leds[1] is not"), "{e}");
    }

    #[test]
    fn json_entry_locations_skip_strings_and_nesting() {
        let text = "{\"x\": \"leds: [\\\"\", \"leds\": [ [1,2,3,4],\n\t{\"a\": [5]} , 7]}";
        let starts = json_array_starts(text, "leds");
        let found: Vec<&str> = starts.iter().map(|&o| &text[o..o + 1]).collect();
        assert_eq!(found, ["[", "{", "7"]);
        assert_eq!(line_column(text, starts[1]), (2, 2));
    }

    #[test]
    fn unmapped_pixels_name_the_file() {
        let e = Mapping::from_csv("0,0,0,0\n", "m.csv", size(2, 1), MappingOptions::default()).unwrap_err();
        assert!(e.to_string().starts_with("m.csv: 1 frame pixel(s) are not mapped"), "{e}");
        let e =
            Mapping::from_json(r#"{"leds": [[0,0,0,0]]}"#, "m.json", size(2, 1), MappingOptions::default())
                .unwrap_err();
        assert!(e.to_string().starts_with("m.json: 1 frame pixel(s)"), "{e}");
    }

    #[test]
    fn huge_channels_and_outputs_are_errors_naming_the_line() {
        let opts = MappingOptions::default();
        let e = Mapping::from_csv("0,0,0,4294967295\n", "m.csv", size(1, 1), opts).unwrap_err();
        assert!(e.to_string().starts_with("m.csv:1: channels 4294967295..=4294967297 do not fit"), "{e}");
        let e = Mapping::from_csv("# big\n0,0,4294967295,0\n", "m.csv", size(1, 1), opts).unwrap_err();
        assert!(
            e.to_string().starts_with("m.csv:2: output 4294967295 channel 0 is past the last device byte"),
            "{e}"
        );
        // The last addressable LED is accepted without allocating more than its bytes.
        let last = MAX_DEVICE_BYTES / 510 - 1;
        let m = Mapping::from_csv(&format!("0,0,{last},0\n"), "m.csv", size(1, 1), opts).unwrap();
        assert_eq!(m.device_len() as u64, last * 510 + 3);
    }

    #[test]
    fn overlapping_panels_are_an_error() {
        let p = |x| Panel { x, y: 0, width: 64, height: 64, rotation: Rotation::R0, serpentine: false };
        let e = Mapping::panels(
            size(192, 64),
            &[p(0), p(32), p(128)],
            MappingOptions { allow_unmapped: true, ..Default::default() },
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("panel 1: its 64×64 region at (32, 0) overlaps panel 0"), "{e}");
        let e = Mapping::from_json(
            "{\"panels\": [\n{\"x\": 0, \"y\": 0, \"width\": 2, \"height\": 1},\n{\"x\": 1, \"y\": 0, \"width\": 2, \"height\": 1}]}",
            "p.json",
            size(3, 1),
            MappingOptions::default(),
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("p.json:3:1: its 2×1 region at (1, 0) overlaps panel 0"), "{e}");
    }

    #[test]
    fn panel_chains_in_one_line() {
        let c = PanelChain::parse("64x64:4:cube").unwrap();
        assert_eq!(c.frame_size(), size(256, 64));
        assert_eq!(c.panels().iter().map(|p| p.x).collect::<Vec<_>>(), [0, 64, 128, 192]);
        let m = Mapping::panel_chain(size(256, 64), &c, MappingOptions::default()).unwrap();
        assert_eq!(m.led_count(), 16_384);
        let c = PanelChain::parse("32x16:6:columns=3:rotate=0,0,0,180,180,180:serpentine").unwrap();
        assert_eq!(c.frame_size(), size(96, 32));
        let p = c.panels();
        assert_eq!((p[4].x, p[4].y, p[4].rotation, p[4].serpentine), (32, 16, Rotation::R180, true));
        let json = Mapping::from_json(
            r#"{"panels": [{"x": 0, "y": 0, "width": 64, "height": 64}, {"x": 64, "y": 0, "width": 64, "height": 64, "rotation": 180},
                           {"x": 128, "y": 0, "width": 64, "height": 64}, {"x": 192, "y": 0, "width": 64, "height": 64, "rotation": 180}]}"#,
            "cube.json",
            size(256, 64),
            MappingOptions::default(),
        )
        .unwrap();
        let line = Mapping::panel_chain(
            size(256, 64),
            &PanelChain::parse("64x64:4:cube:rotate=0,180,0,180").unwrap(),
            MappingOptions::default(),
        )
        .unwrap();
        assert_eq!(json, line, "the JSON form and the one-line form build the same mapping");
        for (bad, needle) in [
            ("64x64", "missing the panel count"),
            ("64:4", "not a panel size"),
            ("64x64:3:cube", "four panels"),
            ("64x64:4:columns=3", "must divide"),
            ("64x32:2:rotate=90", "square panels"),
            ("64x64:2:rotate=0,90,180", "3 rotations for 2 panels"),
            ("64x64:2:spin", "unknown option `spin`"),
        ] {
            let e = PanelChain::parse(bad).unwrap_err();
            assert!(e.contains(needle) && e.contains("expected e.g."), "{bad}: {e}");
        }
    }
}
