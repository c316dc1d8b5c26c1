//! The `text` scene: static or scrolling text in a bundled bitmap font.
//!
//! # Layout
//! The text (lines split at `\n`) is one block: as wide as its widest line, one font cell high per
//! line; each line is aligned inside the block by `align`. A static block is placed by `align` and
//! `valign`; centring rounds toward the top-left.
//!
//! # Scrolling
//! The scroll offset of tick `t` is `floor(seconds(t) · speed)` pixels, computed exactly in
//! integers as `t · den · speed / num` (the speed taken to millionths of a px/s). So 60 px/s at
//! 60 fps moves exactly one pixel a tick, and any tick can be drawn on its own.
//!
//! `left` starts with the block just beyond the right edge and moves it left (`right`, `up`,
//! `down` likewise from the opposite edge). With `loop = true` the block repeats every
//! `extent + gap` pixels along the scroll axis, forever; with `loop = false` it passes once and
//! the display is then empty (apart from `background`).

use std::sync::Arc;

use tickframe_core::{Canvas, Font, RenderContext, Rgba, Scene, fonts, text_width};

use super::{micros_of, opt_color, scaled_time};
use crate::params::{BuildError, Params};
use crate::registry::{BuildContext, ParamDoc, SceneInfo};

/// The registry entry.
pub(super) const INFO: SceneInfo = SceneInfo {
    name: "text",
    summary: "static or scrolling (marquee) text in a bundled bitmap font",
    params: PARAMS,
    build,
};

const FONT_NAMES: &[&str] = &["4x6", "5x7", "5x8", "6x10", "6x13", "7x13", "8x13", "9x15", "10x20"];

fn font_named(name: &str) -> &'static Font {
    match name {
        "4x6" => &fonts::FONT_4X6,
        "5x7" => &fonts::FONT_5X7,
        "5x8" => &fonts::FONT_5X8,
        "6x13" => &fonts::FONT_6X13,
        "7x13" => &fonts::FONT_7X13,
        "8x13" => &fonts::FONT_8X13,
        "9x15" => &fonts::FONT_9X15,
        "10x20" => &fonts::FONT_10X20,
        _ => &fonts::FONT_6X10,
    }
}

const PARAMS: &[ParamDoc] = &[
    ParamDoc {
        name: "text",
        kind: "string",
        default: "tickframe",
        doc: "the text; `\\n` starts a new line; characters outside ASCII show as the font's `?`",
    },
    ParamDoc {
        name: "font",
        kind: "one of: 4x6, 5x7, 5x8, 6x10, 6x13, 7x13, 8x13, 9x15, 10x20",
        default: "6x10",
        doc: "a bundled monospaced bitmap font, by its cell size in px",
    },
    ParamDoc { name: "color", kind: "colour", default: "#ffffff", doc: "the text colour" },
    ParamDoc {
        name: "background",
        kind: "colour",
        default: ParamDoc::NONE,
        doc: "fills the whole display first; default: none (what is underneath shows)",
    },
    ParamDoc {
        name: "align",
        kind: "one of: left, center, right",
        default: "center",
        doc: "horizontal placement (ignored along the scroll axis); also aligns lines inside the block",
    },
    ParamDoc {
        name: "valign",
        kind: "one of: top, middle, bottom",
        default: "middle",
        doc: "vertical placement (ignored along the scroll axis)",
    },
    ParamDoc {
        name: "scroll",
        kind: "one of: none, left, right, up, down",
        default: "none",
        doc: "the direction the text moves",
    },
    ParamDoc {
        name: "speed",
        kind: "float 0..=10000",
        default: "30",
        doc: "scroll speed in px/s (offset = floor(seconds × speed), exact)",
    },
    ParamDoc {
        name: "loop",
        kind: "bool",
        default: "true",
        doc: "repeat the text forever (wrap around); false: one pass, then nothing",
    },
    ParamDoc {
        name: "gap",
        kind: "int 0..=16384",
        default: "display width (left/right) or height (up/down)",
        doc: "px between the end of the text and its next repeat",
    },
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scroll {
    None,
    Left,
    Right,
    Up,
    Down,
}

/// A prepared text block.
#[derive(Debug)]
struct TextScene {
    /// Lines and their widths in px.
    lines: Vec<(String, u32)>,
    font: &'static Font,
    color: Rgba,
    background: Option<Rgba>,
    /// 0 = left/top, 1 = centre/middle, 2 = right/bottom.
    align: u8,
    valign: u8,
    scroll: Scroll,
    speed_micros: u128,
    looping: bool,
    gap: u32,
    block: (u32, u32),
}

/// Where a box of `inner` px goes in `outer` px for alignment `a` (0 start, 1 centre, 2 end).
fn place(a: u8, outer: u32, inner: u32) -> i64 {
    let free = i64::from(outer) - i64::from(inner);
    match a {
        0 => 0,
        1 => free.div_euclid(2),
        _ => free,
    }
}

fn to_i32(v: i64) -> i32 {
    v.clamp(i64::from(i32::MIN / 2), i64::from(i32::MAX / 2)) as i32
}

impl TextScene {
    fn draw_block(&self, canvas: &mut Canvas<'_>, x: i64, y: i64) {
        let line_h = i64::from(self.font.character_size.height);
        let height = i64::from(canvas.height());
        for (i, (line, width)) in self.lines.iter().enumerate() {
            let ly = y + i as i64 * line_h;
            if ly + line_h <= 0 || ly >= height || line.is_empty() {
                continue;
            }
            let lx = x + place(self.align, self.block.0, *width);
            canvas.text(line, to_i32(lx), to_i32(ly), self.font, self.color);
        }
    }
}

impl Scene for TextScene {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        // The most glyph commands a frame can issue: glyphs sit on a grid of one advance by one
        // line height, and repeats of the block never overlap, so at most a screenful of cells
        // plus a partial cell at each edge, twice over for a repeat boundary. Scrolling text
        // varies its count per frame; reserving the worst case keeps the list from growing later.
        let (cw, ch) =
            (self.font.character_size.width + self.font.character_spacing, self.font.character_size.height);
        let cells = (canvas.width() / cw.max(1) + 2) as usize * (canvas.height() / ch.max(1) + 2) as usize;
        canvas.reserve(2 * cells + 1);
        if let Some(bg) = self.background {
            canvas.clear(bg);
        }
        let (w, h) = (canvas.width(), canvas.height());
        let (bw, bh) = self.block;
        let x = place(self.align, w, bw);
        let y = place(self.valign, h, bh);
        if self.scroll == Scroll::None {
            self.draw_block(canvas, x, y);
            return;
        }
        let off = scaled_time(ctx.timebase, ctx.tick, self.speed_micros, 1);
        let off = i64::try_from(off).unwrap_or(i64::MAX / 4).min(i64::MAX / 4);
        let (screen, extent) = match self.scroll {
            Scroll::Left | Scroll::Right => (i64::from(w), i64::from(bw)),
            _ => (i64::from(h), i64::from(bh)),
        };
        let pos = match self.scroll {
            Scroll::Left | Scroll::Up => screen - off,
            _ => off - extent,
        };
        let mut draw_at = |p: i64| match self.scroll {
            Scroll::Left | Scroll::Right => self.draw_block(canvas, p, y),
            _ => self.draw_block(canvas, x, p),
        };
        if self.looping {
            let period = (extent + i64::from(self.gap)).max(1);
            let mut p = pos.rem_euclid(period) - period;
            while p < screen {
                if p + extent > 0 {
                    draw_at(p);
                }
                p += period;
            }
        } else if pos + extent > 0 && pos < screen {
            draw_at(pos);
        }
    }
}

fn build(params: &mut Params, cx: &mut BuildContext) -> Result<Arc<dyn Scene>, BuildError> {
    let text = params.string("text", "tickframe")?;
    let font = font_named(&params.choice("font", "6x10", FONT_NAMES)?);
    let color = params.color("color", Rgba::WHITE)?;
    let background = opt_color(params, "background")?;
    let align = match params.choice("align", "center", &["left", "center", "right"])?.as_str() {
        "left" => 0,
        "center" => 1,
        _ => 2,
    };
    let valign = match params.choice("valign", "middle", &["top", "middle", "bottom"])?.as_str() {
        "top" => 0,
        "middle" => 1,
        _ => 2,
    };
    let scroll = match params.choice("scroll", "none", &["none", "left", "right", "up", "down"])?.as_str() {
        "left" => Scroll::Left,
        "right" => Scroll::Right,
        "up" => Scroll::Up,
        "down" => Scroll::Down,
        _ => Scroll::None,
    };
    let speed = params.float_in("speed", 30.0, 0.0..=10_000.0)?;
    let looping = params.bool("loop", true)?;
    let default_gap = match scroll {
        Scroll::Up | Scroll::Down => cx.size.height(),
        _ => cx.size.width(),
    };
    let gap = params.u32_in("gap", default_gap, 0..=16_384)?;

    let lines: Vec<(String, u32)> = text
        .split('\n')
        .map(|l| {
            let l = l.strip_suffix('\r').unwrap_or(l).to_string();
            let w = text_width(&l, font);
            (l, w)
        })
        .collect();
    let bw = lines.iter().map(|(_, w)| *w).max().unwrap_or(0);
    let bh = lines.len() as u32 * font.character_size.height;
    Ok(Arc::new(TextScene {
        lines,
        font,
        color,
        background,
        align,
        valign,
        scroll,
        speed_micros: micros_of(speed),
        looping,
        gap,
        block: (bw, bh),
    }))
}
