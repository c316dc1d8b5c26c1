//! Stateful effects (simulations) made pure: a state at tick `t` is rebuilt from the nearest
//! stored checkpoint at or before `t`, so any tick can still be rendered on any thread in any
//! order with identical bytes.
//!
//! # Checkpoint format
//! `b"TFCP"`, format version `1` (one byte), the raw state length (u32 little-endian), the state
//! compressed as one LZ4 block, then an XXH3-64 hash (u64 little-endian) of every byte before it.
//! The hash is checked on every load; a corrupt checkpoint is dropped and the state recomputed.

use std::sync::Mutex;

use crate::{Canvas, RenderContext, Scene, Tick};

/// A simulation: a state that advances one tick at a time.
///
/// # Determinism
/// `reset` and `step` must be pure functions of their inputs (use `ctx.rng(…)` for randomness),
/// and `decode(encode(s))` must give back `s` exactly.
pub trait Simulation: Send + Sync {
    /// The evolving state.
    type State: Send;

    /// A new state for `ctx` (may allocate; called only while the scratch pool is warming up).
    fn new_state(&self, ctx: &RenderContext) -> Self::State;

    /// The latest tick at or before `tick` at which the state does not depend on any earlier
    /// tick (the simulation restarts there, e.g. a periodic reseed), so rebuilding the state at
    /// `tick` never needs to step from before it. Must be at most `tick`, and
    /// `anchor(anchor(t)) == anchor(t)`. The default, 0, means "only tick 0".
    fn anchor(&self, tick: Tick) -> Tick {
        let _ = tick;
        0
    }

    /// Sets `state` to the state at `ctx.tick` for `ctx.seed` and `ctx.size`; called only with
    /// a tick that is its own [`Simulation::anchor`] (tick 0 for simulations that never restart).
    fn reset(&self, state: &mut Self::State, ctx: &RenderContext);

    /// Advances `state` from tick `ctx.tick - 1` to `ctx.tick`.
    fn step(&self, state: &mut Self::State, ctx: &RenderContext);

    /// Draws `state`, which is the state at `ctx.tick`.
    fn draw(&self, state: &Self::State, ctx: &RenderContext, canvas: &mut Canvas<'_>);

    /// Appends a serialised form of `state` to `out`.
    fn encode(&self, state: &Self::State, out: &mut Vec<u8>);

    /// Restores `state` from bytes written by [`Simulation::encode`] for the same `ctx`.
    ///
    /// # Errors
    /// [`CheckpointError::Malformed`] when the bytes do not describe a state.
    fn decode(
        &self,
        bytes: &[u8],
        state: &mut Self::State,
        ctx: &RenderContext,
    ) -> Result<(), CheckpointError>;
}

/// A checkpoint that cannot be used.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum CheckpointError {
    /// Wrong magic bytes or version.
    #[error("not a tickframe checkpoint (bad magic or version)")]
    NotACheckpoint,
    /// The integrity hash does not match the contents.
    #[error("checkpoint integrity hash mismatch: the data is corrupt")]
    HashMismatch,
    /// The contents do not decode.
    #[error("malformed checkpoint: {0}")]
    Malformed(String),
}

const MAGIC: &[u8; 4] = b"TFCP";
const VERSION: u8 = 1;
const HEADER: usize = 4 + 1 + 4;

/// The largest checkpoint [`seal_checkpoint`] can make from `raw_len` state bytes.
pub fn sealed_capacity(raw_len: usize) -> usize {
    HEADER + lz4_flex::block::get_maximum_output_size(raw_len) + 8
}

/// Wraps raw state bytes into a checkpoint (compressed, hashed), replacing `out`'s contents.
pub fn seal_checkpoint(raw: &[u8], out: &mut Vec<u8>) {
    seal_with(raw, out, &mut lz4_flex::block::CompressTable::default());
}

/// [`seal_checkpoint`] reusing the compressor's hash table, so sealing allocates nothing once
/// `out` is large enough.
fn seal_with(raw: &[u8], out: &mut Vec<u8>, table: &mut lz4_flex::block::CompressTable) {
    out.clear();
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    out.extend_from_slice(&(raw.len() as u32).to_le_bytes());
    let max = lz4_flex::block::get_maximum_output_size(raw.len());
    out.resize(HEADER + max, 0);
    let n = lz4_flex::block::compress_into_with_table(raw, &mut out[HEADER..], table).unwrap_or(0);
    out.truncate(HEADER + n);
    let hash = xxhash_rust::xxh3::xxh3_64(out);
    out.extend_from_slice(&hash.to_le_bytes());
}

/// Checks a checkpoint's hash and decompresses its raw state bytes into `raw`.
///
/// # Errors
/// [`CheckpointError`] when the magic, version, hash or compressed data are wrong.
pub fn open_checkpoint(bytes: &[u8], raw: &mut Vec<u8>) -> Result<(), CheckpointError> {
    if bytes.len() < HEADER + 8 || &bytes[..4] != MAGIC || bytes[4] != VERSION {
        return Err(CheckpointError::NotACheckpoint);
    }
    let (body, tail) = bytes.split_at(bytes.len() - 8);
    let hash = u64::from_le_bytes(tail.try_into().map_err(|_| CheckpointError::NotACheckpoint)?);
    if xxhash_rust::xxh3::xxh3_64(body) != hash {
        return Err(CheckpointError::HashMismatch);
    }
    let len =
        u32::from_le_bytes(body[5..9].try_into().map_err(|_| CheckpointError::NotACheckpoint)?) as usize;
    raw.clear();
    raw.resize(len, 0);
    let n = lz4_flex::block::decompress_into(&body[HEADER..], raw)
        .map_err(|e| CheckpointError::Malformed(e.to_string()))?;
    if n != len {
        return Err(CheckpointError::Malformed(format!("expected {len} bytes, got {n}")));
    }
    Ok(())
}

/// Counters of a [`Checkpointed`] scene's store.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct CheckpointStats {
    /// Checkpoints written.
    pub stored: u64,
    /// Checkpoints evicted to stay within the bound.
    pub evicted: u64,
    /// Renders that started from a stored checkpoint.
    pub restored: u64,
    /// Checkpoints that failed their integrity check (dropped and recomputed).
    pub corrupt: u64,
    /// Simulation steps run in total.
    pub steps: u64,
    /// Checkpoints held now.
    pub held: usize,
}

type Key = (u64, u32, u32, Tick);

/// Checkpoints as a flat list of `capacity` slots, scanned linearly. All slots and their
/// buffers (room for the largest sealed form of the state) are allocated together when the
/// first checkpoint is stored; from then on a slot is reused in place (free slots first, then
/// the least recently used), so storing checkpoints allocates nothing in steady state.
#[derive(Default)]
struct Store {
    entries: Vec<StoreEntry>,
    clock: u64,
    stats: CheckpointStats,
}

struct StoreEntry {
    /// `None`: a free slot.
    key: Option<Key>,
    bytes: Vec<u8>,
    last_used: u64,
}

impl Store {
    /// The index of the entry with the largest tick in `lo..=hi` for this seed and size.
    fn best(&self, seed: u64, w: u32, h: u32, lo: Tick, hi: Tick) -> Option<usize> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.key.map(|k| (i, k)))
            .filter(|(_, k)| k.0 == seed && k.1 == w && k.2 == h && (lo..=hi).contains(&k.3))
            .max_by_key(|(_, k)| k.3)
            .map(|(i, _)| i)
    }

    fn holds(&self, key: Key) -> bool {
        self.entries.iter().any(|e| e.key == Some(key))
    }
}

struct Work<St> {
    state: St,
    at: Option<Key>,
    raw: Vec<u8>,
    sealed: Vec<u8>,
    table: lz4_flex::block::CompressTable,
}

/// A [`Simulation`] as a [`Scene`]: checkpoints every `interval` ticks into a store bounded to
/// `capacity` checkpoints (least recently used evicted first). The state at tick `t` is rebuilt
/// from the state in hand or the latest checkpoint in `anchor(t)..=t`, else by a reset at
/// `anchor(t)`, so the work for any tick is bounded by the distance to its anchor. Locks are
/// held only to look up, copy or insert a checkpoint, never while stepping or drawing.
///
/// Memory: the store's `capacity` buffers, each sized for the largest sealed form of one state
/// (a little over the encoded state), are allocated when the first checkpoint is stored.
pub struct Checkpointed<S: Simulation> {
    sim: S,
    interval: u64,
    capacity: usize,
    store: Mutex<Store>,
    scratch: Mutex<Vec<Work<S::State>>>,
}

impl<S: Simulation> std::fmt::Debug for Checkpointed<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Checkpointed(every {} ticks, at most {})", self.interval, self.capacity)
    }
}

impl<S: Simulation> Checkpointed<S> {
    /// Default ticks between checkpoints.
    pub const DEFAULT_INTERVAL: u64 = 60;
    /// Default bound on stored checkpoints.
    pub const DEFAULT_CAPACITY: usize = 32;

    /// Wraps `sim`, checkpointing every `interval` ticks (at least 1), keeping at most
    /// `capacity` checkpoints (at least 1).
    pub fn new(sim: S, interval: u64, capacity: usize) -> Checkpointed<S> {
        Checkpointed {
            sim,
            interval: interval.max(1),
            capacity: capacity.max(1),
            store: Mutex::new(Store::default()),
            scratch: Mutex::new(Vec::new()),
        }
    }

    /// The wrapped simulation.
    pub fn simulation(&self) -> &S {
        &self.sim
    }

    /// Store counters.
    pub fn stats(&self) -> CheckpointStats {
        let store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        CheckpointStats { held: store.entries.iter().filter(|e| e.key.is_some()).count(), ..store.stats }
    }

    /// Corrupts every stored checkpoint's payload (for tests of the integrity check).
    #[doc(hidden)]
    pub fn corrupt_store_for_tests(&self) {
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        for e in store.entries.iter_mut().filter(|e| e.key.is_some()) {
            if let Some(b) = e.bytes.get_mut(HEADER) {
                *b ^= 0x5a;
            }
        }
    }

    fn take_work(&self, ctx: &RenderContext, key: Key) -> Work<S::State> {
        let mut pool = self.scratch.lock().unwrap_or_else(|e| e.into_inner());
        let best = pool
            .iter()
            .enumerate()
            .filter(|(_, w)| matches!(w.at, Some(k) if k.0 == key.0 && k.1 == key.1 && k.2 == key.2 && k.3 <= key.3))
            .max_by_key(|(_, w)| w.at.map_or(0, |k| k.3))
            .map(|(i, _)| i);
        match best.or(pool.len().checked_sub(1)) {
            Some(i) => pool.swap_remove(i),
            None => {
                drop(pool);
                Work {
                    state: self.sim.new_state(ctx),
                    at: None,
                    raw: Vec::new(),
                    sealed: Vec::new(),
                    table: lz4_flex::block::CompressTable::default(),
                }
            }
        }
    }

    /// Brings `work` to the state at `ctx.tick`.
    fn advance(&self, work: &mut Work<S::State>, ctx: &RenderContext) {
        let (seed, w, h, t) = (ctx.seed, ctx.width(), ctx.height(), ctx.tick);
        let anchor = self.sim.anchor(t).min(t);
        let mut current: Option<Tick> = match work.at {
            Some((s, ww, hh, at)) if s == seed && ww == w && hh == h && (anchor..=t).contains(&at) => {
                Some(at)
            }
            _ => None,
        };
        // A stored checkpoint closer to t than the state in hand?
        {
            let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
            store.clock += 1;
            let clock = store.clock;
            let lo = current.map_or(anchor, |c| c + 1);
            if lo <= t
                && let Some(i) = store.best(seed, w, h, lo, t)
            {
                let entry = &mut store.entries[i];
                entry.last_used = clock;
                let Some(k) = entry.key else { unreachable!("best() returns occupied slots only") };
                work.sealed.clear();
                work.sealed.extend_from_slice(&entry.bytes);
                drop(store);
                let restored = open_checkpoint(&work.sealed, &mut work.raw)
                    .and_then(|()| self.sim.decode(&work.raw, &mut work.state, &ctx.at_tick(k.3)));
                let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
                match restored {
                    Ok(()) => {
                        store.stats.restored += 1;
                        current = Some(k.3);
                    }
                    Err(_) => {
                        store.stats.corrupt += 1;
                        // Free the slot; the state is recomputed and the checkpoint rewritten.
                        if let Some(e) = store.entries.iter_mut().find(|e| e.key == Some(k)) {
                            e.key = None;
                            e.last_used = 0;
                        }
                    }
                }
            }
        }
        let mut cur = match current {
            Some(c) => c,
            None => {
                self.sim.reset(&mut work.state, &ctx.at_tick(anchor));
                anchor
            }
        };
        let mut steps = 0;
        while cur < t {
            cur += 1;
            self.sim.step(&mut work.state, &ctx.at_tick(cur));
            steps += 1;
            // An anchor is rebuilt by a reset as cheaply as by a load: no checkpoint there.
            if cur % self.interval == 0 && self.sim.anchor(cur) != cur {
                self.store_checkpoint(work, (seed, w, h, cur));
            }
        }
        if steps > 0 {
            self.store.lock().unwrap_or_else(|e| e.into_inner()).stats.steps += steps;
        }
        work.at = Some((seed, w, h, t));
    }

    fn store_checkpoint(&self, work: &mut Work<S::State>, key: Key) {
        {
            let store = self.store.lock().unwrap_or_else(|e| e.into_inner());
            if store.holds(key) {
                return;
            }
        }
        work.raw.clear();
        self.sim.encode(&work.state, &mut work.raw);
        seal_with(&work.raw, &mut work.sealed, &mut work.table);
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        if store.holds(key) {
            return;
        }
        if store.entries.is_empty() {
            // Every slot at once, each with room for the worst case of this state size, so
            // storing and replacing checkpoints later never allocates.
            let room = sealed_capacity(work.raw.len()).max(work.sealed.len());
            store.entries.reserve_exact(self.capacity);
            for _ in 0..self.capacity {
                store.entries.push(StoreEntry { key: None, bytes: Vec::with_capacity(room), last_used: 0 });
            }
        }
        store.clock += 1;
        let clock = store.clock;
        store.stats.stored += 1;
        // Free slots have `last_used == 0`, so they are taken before any checkpoint is evicted.
        let mut evicted = false;
        if let Some(slot) = store.entries.iter_mut().min_by_key(|e| e.last_used) {
            evicted = slot.key.is_some();
            slot.key = Some(key);
            slot.last_used = clock;
            slot.bytes.clear();
            slot.bytes.extend_from_slice(&work.sealed);
        }
        if evicted {
            store.stats.evicted += 1;
        }
    }
}

impl<S: Simulation> Scene for Checkpointed<S> {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        let key = (ctx.seed, ctx.width(), ctx.height(), ctx.tick);
        let mut work = self.take_work(ctx, key);
        self.advance(&mut work, ctx);
        self.sim.draw(&work.state, ctx, canvas);
        self.scratch.lock().unwrap_or_else(|e| e.into_inner()).push(work);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open_round_trip_and_detect_corruption() {
        let raw: Vec<u8> = (0..1000u32).map(|i| (i % 7) as u8).collect();
        let mut sealed = Vec::new();
        seal_checkpoint(&raw, &mut sealed);
        assert!(sealed.len() < raw.len(), "compressed: {} bytes", sealed.len());
        let mut back = Vec::new();
        open_checkpoint(&sealed, &mut back).unwrap();
        assert_eq!(back, raw);
        for i in [0, 4, 6, HEADER + 1, sealed.len() - 1] {
            let mut bad = sealed.clone();
            bad[i] ^= 1;
            assert!(open_checkpoint(&bad, &mut back).is_err(), "flip at {i}");
        }
        assert_eq!(open_checkpoint(&sealed[..3], &mut back), Err(CheckpointError::NotACheckpoint));
    }
}
