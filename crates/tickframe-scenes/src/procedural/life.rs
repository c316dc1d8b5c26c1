//! `life`: Conway's Game of Life on a toroidal board, as a stateful simulation made pure by
//! [`Checkpointed`].
//!
//! Tick 0 is a random soup from the seed (`density` alive). Each tick advances one generation;
//! after the step, the board is reseeded with a fresh soup (keyed by `(seed, tick)`) when no
//! cell is alive or every `reseed_seconds`: both decided from the state and the tick only.
//! A periodic reseed replaces the whole board, so the state at tick `t` depends only on the
//! ticks since the latest multiple of the reseed period ([`Simulation::anchor`]): rendering any
//! tick costs at most one period of steps, however large `t` is.
//!
//! # Checkpoint format
//! `cols` (u32 LE), `rows` (u32 LE), then the cells row-major, one bit each, least significant
//! bit first, padded with zero bits to a whole byte. Decoding checks the dimensions against the
//! frame, the length, and that the padding is zero.

use std::sync::Arc;

use tickframe_core::{
    Canvas, CheckpointError, Checkpointed, RenderContext, Rgba, Scene, Simulation, Tick, Timebase,
};

use crate::params::{BuildError, Params};
use crate::registry::{BuildContext, ParamDoc, SceneInfo};

/// The registry entry.
pub const INFO: SceneInfo = SceneInfo {
    name: "life",
    summary: "Conway's Game of Life on a wrapping board, reseeded when it dies out",
    params: &[
        ParamDoc { name: "cell", kind: "integer 1..=256", default: "1", doc: "cell size in pixels" },
        ParamDoc {
            name: "density",
            kind: "float 0..=1",
            default: "0.3",
            doc: "fraction of cells alive in a fresh soup",
        },
        ParamDoc {
            name: "reseed_seconds",
            kind: "float 0..=86400",
            default: "30",
            doc: "a fresh soup every this many seconds (rounded to whole ticks; 0 = only when the board dies out)",
        },
        ParamDoc {
            name: "interval",
            kind: "integer 1..=100000",
            default: "60",
            doc: "ticks between stored checkpoints (smaller = faster random access, more memory)",
        },
        ParamDoc {
            name: "checkpoints",
            kind: "integer 1..=4096",
            default: "32",
            doc: "most checkpoints kept (least recently used evicted first; all allocated at the first checkpoint)",
        },
        ParamDoc { name: "alive", kind: "colour", default: "\"#ffffff\"", doc: "colour of live cells" },
        ParamDoc { name: "dead", kind: "colour", default: "\"#000000\"", doc: "colour of dead cells" },
    ],
    build,
};

/// RNG stream of the soups.
const SOUP_STREAM: u64 = 1;

/// The Game of Life simulation (wrap it in [`Checkpointed`] to render it).
#[derive(Clone, Debug)]
pub struct Life {
    cell: u32,
    /// Alive when a random u32 is below this.
    threshold: u64,
    reseed_ticks: u64,
    alive: Rgba,
    dead: Rgba,
}

/// A board: `cols × rows` cells, 0 dead, 1 alive, row-major.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Board {
    cols: u32,
    rows: u32,
    cells: Vec<u8>,
    next: Vec<u8>,
}

impl Board {
    /// Columns.
    pub fn cols(&self) -> u32 {
        self.cols
    }

    /// Rows.
    pub fn rows(&self) -> u32 {
        self.rows
    }

    /// Live cells.
    pub fn population(&self) -> usize {
        self.cells.iter().filter(|&&c| c != 0).count()
    }

    /// Whether the cell at (`col`, `row`) is alive.
    pub fn alive(&self, col: u32, row: u32) -> bool {
        self.cells[(row * self.cols + col) as usize] != 0
    }
}

impl Life {
    /// A simulation of `cell`-pixel cells, soups of `density`, reseeded every `reseed_ticks`
    /// ticks (0 = only when the board dies out), drawn in `alive` / `dead`.
    pub fn new(cell: u32, density: f64, reseed_ticks: u64, alive: Rgba, dead: Rgba) -> Life {
        let threshold = (density.clamp(0.0, 1.0) * 4_294_967_296.0) as u64;
        Life { cell: cell.max(1), threshold, reseed_ticks, alive, dead }
    }

    /// The board size for `ctx`: the frame divided by the cell size, rounded up.
    pub fn dims(&self, ctx: &RenderContext) -> (u32, u32) {
        (ctx.width().div_ceil(self.cell), ctx.height().div_ceil(self.cell))
    }

    fn soup(&self, board: &mut Board, ctx: &RenderContext) {
        let mut rng = ctx.rng(SOUP_STREAM);
        for c in &mut board.cells {
            *c = u8::from(u64::from(rng.next_u32()) < self.threshold);
        }
    }

    fn shape(&self, board: &mut Board, ctx: &RenderContext) {
        let (cols, rows) = self.dims(ctx);
        let n = (cols * rows) as usize;
        board.cols = cols;
        board.rows = rows;
        board.cells.resize(n, 0);
        board.next.resize(n, 0);
    }
}

impl Simulation for Life {
    type State = Board;

    fn new_state(&self, ctx: &RenderContext) -> Board {
        let mut b = Board { cols: 0, rows: 0, cells: Vec::new(), next: Vec::new() };
        self.shape(&mut b, ctx);
        b
    }

    fn anchor(&self, tick: Tick) -> Tick {
        // `step` at a multiple of the period ends with a fresh soup keyed by that tick, which is
        // exactly what `reset` makes there (and at tick 0).
        if self.reseed_ticks > 0 { tick - tick % self.reseed_ticks } else { 0 }
    }

    fn reset(&self, state: &mut Board, ctx: &RenderContext) {
        self.shape(state, ctx);
        self.soup(state, ctx);
    }

    fn step(&self, state: &mut Board, ctx: &RenderContext) {
        let (cols, rows) = (state.cols as usize, state.rows as usize);
        let mut population = 0usize;
        for y in 0..rows {
            let up = if y == 0 { rows - 1 } else { y - 1 };
            let down = if y + 1 == rows { 0 } else { y + 1 };
            let (ru, rc, rd) = (up * cols, y * cols, down * cols);
            for x in 0..cols {
                let left = if x == 0 { cols - 1 } else { x - 1 };
                let right = if x + 1 == cols { 0 } else { x + 1 };
                let c = &state.cells;
                let n = c[ru + left]
                    + c[ru + x]
                    + c[ru + right]
                    + c[rc + left]
                    + c[rc + right]
                    + c[rd + left]
                    + c[rd + x]
                    + c[rd + right];
                let alive = n == 3 || (n == 2 && c[rc + x] != 0);
                state.next[rc + x] = u8::from(alive);
                population += usize::from(alive);
            }
        }
        std::mem::swap(&mut state.cells, &mut state.next);
        if population == 0 || (self.reseed_ticks > 0 && ctx.tick.is_multiple_of(self.reseed_ticks)) {
            self.soup(state, ctx);
        }
    }

    fn draw(&self, state: &Board, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        let w = ctx.width() as usize;
        let cell = self.cell as usize;
        let cols = state.cols as usize;
        let colors = [self.dead, self.alive];
        let px = canvas.pixels_mut();
        for (y, row) in px.chunks_exact_mut(w).enumerate() {
            let r = y / cell;
            if r >= state.rows as usize {
                break;
            }
            let cells = &state.cells[r * cols..(r + 1) * cols];
            for (x, p) in row.iter_mut().enumerate() {
                *p = colors[usize::from(cells[x / cell] & 1)];
            }
        }
    }

    fn encode(&self, state: &Board, out: &mut Vec<u8>) {
        out.extend_from_slice(&state.cols.to_le_bytes());
        out.extend_from_slice(&state.rows.to_le_bytes());
        for chunk in state.cells.chunks(8) {
            let mut byte = 0u8;
            for (i, &c) in chunk.iter().enumerate() {
                byte |= (c & 1) << i;
            }
            out.push(byte);
        }
    }

    fn decode(&self, bytes: &[u8], state: &mut Board, ctx: &RenderContext) -> Result<(), CheckpointError> {
        let bad = |m: String| Err(CheckpointError::Malformed(m));
        if bytes.len() < 8 {
            return bad(format!("life state of {} bytes: too short for its header", bytes.len()));
        }
        let cols = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        let rows = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
        let (ec, er) = self.dims(ctx);
        if (cols, rows) != (ec, er) {
            return bad(format!("life board {cols}x{rows}, expected {ec}x{er}"));
        }
        let n = (cols as usize) * (rows as usize);
        let body = &bytes[8..];
        if body.len() != n.div_ceil(8) {
            return bad(format!(
                "life board of {n} cells needs {} bytes, found {}",
                n.div_ceil(8),
                body.len()
            ));
        }
        if !n.is_multiple_of(8) && body[body.len() - 1] >> (n % 8) != 0 {
            return bad("life board: nonzero padding bits".to_string());
        }
        self.shape(state, ctx);
        for (i, c) in state.cells.iter_mut().enumerate() {
            *c = (body[i / 8] >> (i % 8)) & 1;
        }
        Ok(())
    }
}

fn build(p: &mut Params, cx: &mut BuildContext) -> Result<Arc<dyn Scene>, BuildError> {
    let cell = p.u32_in("cell", 1, 1..=256)?;
    let density = p.float_in("density", 0.3, 0.0..=1.0)?;
    let reseed = p.float_in("reseed_seconds", 30.0, 0.0..=86_400.0)?;
    let interval = p.u32_in("interval", 60, 1..=100_000)?;
    let capacity = p.u32_in("checkpoints", 32, 1..=4096)?;
    let alive = p.color("alive", Rgba::WHITE)?;
    let dead = p.color("dead", Rgba::BLACK)?;
    let reseed_ticks = if reseed > 0.0 { Timebase::new(cx.rate).ticks_for_seconds(reseed).max(1) } else { 0 };
    let sim = Life::new(cell, density, reseed_ticks, alive, dead);
    Ok(Arc::new(Checkpointed::new(sim, u64::from(interval), capacity as usize)))
}
