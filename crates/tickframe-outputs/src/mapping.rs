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
        "{count} frame pixel(s) are not mapped to any LED, first at ({x}, {y}); map them or allow unmapped pixels"
    )]
    Unmapped {
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

const CSV_EXAMPLE: &str = "`x,y,output,channel` then rows like `3,0,0,9`";
const JSON_EXAMPLE: &str =
    r#"`{"leds": [{"x": 3, "y": 0, "output": 0, "channel": 9}]}` or `{"leds": [[3, 0, 0, 9]]}`"#;

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
        Mapping::build(frame_size, &located, options, "")
    }

    fn build(
        frame_size: Size,
        leds: &[(Led, String)],
        options: MappingOptions,
        example: &'static str,
    ) -> Result<Mapping, MappingError> {
        let cpo = options.channels_per_output;
        if cpo < 3 {
            return Err(MappingError::Invalid {
                at: "options".into(),
                message: format!("channels_per_output {cpo} is below 3"),
                example: "510",
            });
        }
        let (w, h) = (frame_size.width(), frame_size.height());
        let mut sources = Vec::with_capacity(leds.len());
        let mut offsets = Vec::with_capacity(leds.len());
        let mut covered = vec![false; frame_size.area()];
        let mut owner: Vec<u32> = Vec::new(); // LED index + 1 per device channel, 0 = free
        for (i, (led, at)) in leds.iter().enumerate() {
            let invalid = |message: String| MappingError::Invalid { at: at.clone(), message, example };
            if led.x >= w || led.y >= h {
                return Err(invalid(format!("pixel ({}, {}) is outside the {w}×{h} frame", led.x, led.y)));
            }
            if led.channel + 3 > cpo {
                return Err(invalid(format!(
                    "channels {}..={} do not fit in an output of {cpo} channels",
                    led.channel,
                    led.channel + 2
                )));
            }
            let offset = u64::from(led.output) * u64::from(cpo) + u64::from(led.channel);
            if offset + 3 > u64::from(u32::MAX) {
                return Err(invalid(format!("output {} is too far out", led.output)));
            }
            let offset = offset as usize;
            if owner.len() < offset + 3 {
                owner.resize(offset + 3, 0);
            }
            for (k, slot) in owner[offset..offset + 3].iter_mut().enumerate() {
                let prev = *slot;
                if prev != 0 && !options.allow_shared_channels {
                    return Err(MappingError::SharedChannel {
                        at: at.clone(),
                        previous: leds[prev as usize - 1].1.clone(),
                        output: led.output,
                        channel: led.channel + k as u32,
                    });
                }
                *slot = i as u32 + 1;
            }
            let src = led.y as usize * w as usize + led.x as usize;
            covered[src] = true;
            sources.push(src as u32);
            offsets.push(offset as u32);
        }
        if !options.allow_unmapped {
            let count = covered.iter().filter(|c| !**c).count();
            if let Some(first) = covered.iter().position(|c| !*c) {
                return Err(MappingError::Unmapped { count, x: first as u32 % w, y: first as u32 / w });
            }
        }
        Ok(Mapping { frame_size, sources, offsets, device_len: owner.len() })
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
    /// numbered panel after panel, packed densely.
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
        let cpo = options.channels_per_output / 3 * 3;
        let mut n: u64 = 0;
        for (pi, p) in panels.iter().enumerate() {
            let (rw, rh) = match p.rotation {
                Rotation::R0 | Rotation::R180 => (p.width, p.height),
                Rotation::R90 | Rotation::R270 => (p.height, p.width),
            };
            if p.width == 0
                || p.height == 0
                || p.x + rw > frame_size.width()
                || p.y + rh > frame_size.height()
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
        Mapping::build(frame_size, &leds, MappingOptions { channels_per_output: cpo, ..options }, "")
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
        Mapping::build(frame_size, &leds, options, CSV_EXAMPLE)
    }

    /// Parses a JSON mapping: `{"leds": [...]}` with each LED either an object
    /// `{"x", "y", "output", "channel"}` or an array `[x, y, output, channel]`; an optional
    /// `"channels_per_output"` overrides `options`.
    ///
    /// # Errors
    /// Syntax errors name `name:line:column`; bad entries name `name: leds[i]`.
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
        struct File {
            channels_per_output: Option<u32>,
            leds: Vec<Entry>,
        }
        let file: File = serde_json::from_str(text).map_err(|e| MappingError::Invalid {
            at: format!("{name}:{}:{}", e.line(), e.column()),
            message: e.to_string(),
            example: JSON_EXAMPLE,
        })?;
        let leds: Vec<(Led, String)> = file
            .leds
            .into_iter()
            .enumerate()
            .map(|(i, e)| {
                let led = match e {
                    Entry::Object(l) => l,
                    Entry::Array([x, y, output, channel]) => Led { x, y, output, channel },
                };
                (led, format!("{name}: leds[{i}]"))
            })
            .collect();
        let options = MappingOptions {
            channels_per_output: file.channels_per_output.unwrap_or(options.channels_per_output),
            ..options
        };
        Mapping::build(frame_size, &leds, options, JSON_EXAMPLE)
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
        assert!(e.to_string().starts_with("m.json: leds[1]: pixel (3, 0)"), "{e}");
    }
}
