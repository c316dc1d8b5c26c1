//! The frame cache: finished frames keyed by `(SceneKey, Tick)`, bounded in bytes.

use std::sync::Arc;

use tickframe_core::{Frame, Tick};

use crate::SceneKey;

/// A finished frame in the cache.
#[derive(Clone, Debug)]
pub struct CachedFrame {
    /// The pixels (shared read-only with presenters).
    pub frame: Arc<Frame>,
    /// How long the render took, in nanoseconds (wall time on the worker).
    pub render_ns: u64,
    /// The render panicked twice and `frame` is the error frame.
    pub faulted: bool,
}

#[derive(Debug)]
struct Entry {
    key: SceneKey,
    tick: Tick,
    bytes: usize,
    value: CachedFrame,
}

/// Cache statistics.
///
/// In a [`RunReport`](crate::RunReport), `bytes`, `frames` and `frames_ahead` are the values
/// sampled at the last presented frame (the presenters sample them once per frame, before the
/// run tears down), and `frames_max`, `frames_ahead_mean` and `frames_ahead_max` summarise those
/// samples.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct CacheStats {
    /// Lookups that found their frame.
    pub hits: u64,
    /// Lookups that did not.
    pub misses: u64,
    /// Frames evicted to make room (stale ones behind the presenter included).
    pub evictions: u64,
    /// Frames refused because they were further ahead than everything held and did not fit.
    pub rejected: u64,
    /// Bytes held (see the type's documentation for when it is sampled).
    pub bytes: usize,
    /// The most bytes ever held (never above `budget_bytes`).
    pub peak_bytes: usize,
    /// The byte budget.
    pub budget_bytes: usize,
    /// Entry slots (allocated once; at most this many frames are held whatever the budget).
    pub slots: usize,
    /// Frames held.
    pub frames: usize,
    /// Frames held at or ahead of the presenter's tick.
    pub frames_ahead: usize,
    /// The most frames held at any sample.
    pub frames_max: usize,
    /// Frames ahead of the presenter, mean over the samples.
    pub frames_ahead_mean: f64,
    /// Frames ahead of the presenter, largest sample.
    pub frames_ahead_max: usize,
}

/// Finished frames keyed by `(SceneKey, Tick)` and bounded in bytes.
///
/// # Streams and eviction
/// Several streams (one scene at several seeds, each with its own [`SceneKey`]) can share one
/// cache and its byte budget. The `_among` methods take the live streams as `(key, low)` pairs,
/// `low` being the lowest tick that stream's presenters still need; an entry is **stale** when
/// its key is not among them or its tick is behind its own stream's `low`. The single-key
/// methods ([`insert`](FrameCache::insert), [`evict_behind`](FrameCache::evict_behind)) are the
/// same with one live stream: every other key is stale.
///
/// When an insert does not fit the budget, entries are evicted in this order until it does:
/// 1. stale entries: those of keys no stream uses first, then those behind their stream's
///    `low`, oldest tick first;
/// 2. the entry furthest ahead of its own stream's `low`, if further ahead than the new frame
///    is of its own; otherwise the new frame itself is refused (it is the least urgent).
///
/// The same order applies when every entry slot is taken (the slot count is fixed when the
/// cache is made, independent of the budget: a huge budget never preallocates anything).
///
/// Evicted frames whose `Arc` is not shared elsewhere go to a caller-supplied recycling list
/// (pushed only within its capacity), so steady-state operation allocates nothing: entries live
/// in a vector whose slots are allocated once.
#[derive(Debug)]
pub struct FrameCache {
    entries: Vec<Entry>,
    stats: CacheStats,
}

/// Pushes `frame` onto `pool` when nobody else holds it and the pool has spare capacity
/// (so it never grows); otherwise drops it.
pub fn recycle(pool: &mut Vec<Arc<Frame>>, mut frame: Arc<Frame>) {
    if Arc::get_mut(&mut frame).is_some() && pool.len() < pool.capacity() {
        pool.push(frame);
    }
}

/// The most entry slots [`FrameCache::new`] allocates.
pub const DEFAULT_MAX_SLOTS: usize = 1024;

impl FrameCache {
    /// A cache holding at most `budget_bytes` of frames, sized for frames of `frame_bytes` bytes:
    /// `min(budget_bytes / frame_bytes + 1, DEFAULT_MAX_SLOTS)` entry slots, allocated once.
    pub fn new(budget_bytes: usize, frame_bytes: usize) -> FrameCache {
        let slots = (budget_bytes / frame_bytes.max(1)).saturating_add(1).min(DEFAULT_MAX_SLOTS);
        FrameCache::with_slots(budget_bytes, slots)
    }

    /// A cache holding at most `budget_bytes` of frames in at most `slots` entries (at least 1),
    /// allocated once.
    pub fn with_slots(budget_bytes: usize, slots: usize) -> FrameCache {
        let slots = slots.max(1);
        FrameCache {
            entries: Vec::with_capacity(slots),
            stats: CacheStats { budget_bytes, slots, ..CacheStats::default() },
        }
    }

    /// Bytes held now.
    pub fn bytes(&self) -> usize {
        self.stats.bytes
    }

    /// Frames held now.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many frames of `frame_bytes` fit the budget.
    pub fn capacity_frames(&self, frame_bytes: usize) -> usize {
        self.stats.budget_bytes / frame_bytes.max(1)
    }

    fn position(&self, key: SceneKey, tick: Tick) -> Option<usize> {
        self.entries.iter().position(|e| e.key == key && e.tick == tick)
    }

    /// Looks up a frame, counting a hit or a miss. Never returns a frame of another key.
    pub fn get(&mut self, key: SceneKey, tick: Tick) -> Option<&CachedFrame> {
        match self.position(key, tick) {
            Some(i) => {
                self.stats.hits += 1;
                Some(&self.entries[i].value)
            }
            None => {
                self.stats.misses += 1;
                None
            }
        }
    }

    /// Whether the frame is held (no statistics counted).
    pub fn contains(&self, key: SceneKey, tick: Tick) -> bool {
        self.position(key, tick).is_some()
    }

    /// Looks up without counting (for presenters that already counted a miss).
    pub fn peek(&self, key: SceneKey, tick: Tick) -> Option<&CachedFrame> {
        self.position(key, tick).map(|i| &self.entries[i].value)
    }

    fn remove(&mut self, i: usize, pool: &mut Vec<Arc<Frame>>) {
        let e = self.entries.swap_remove(i);
        self.stats.bytes -= e.bytes;
        self.stats.evictions += 1;
        recycle(pool, e.value.frame);
    }

    /// Evicts every entry of another key than `key` or behind `low`; returns how many.
    pub fn evict_behind(&mut self, key: SceneKey, low: Tick, pool: &mut Vec<Arc<Frame>>) -> usize {
        self.evict_stale_among(&[(key, low)], pool)
    }

    /// Evicts every stale entry (see the type's documentation: a key not in `lows`, or a tick
    /// behind its stream's `low`); returns how many.
    pub fn evict_stale_among(&mut self, lows: &[(SceneKey, Tick)], pool: &mut Vec<Arc<Frame>>) -> usize {
        let mut n = 0;
        let mut i = 0;
        while i < self.entries.len() {
            let e = &self.entries[i];
            if staleness(lows, e.key, e.tick).is_some() {
                self.remove(i, pool);
                n += 1;
            } else {
                i += 1;
            }
        }
        n
    }

    /// Inserts a frame (replacing one with the same key and tick), evicting as documented on
    /// [`FrameCache`]; `low` is the lowest tick any presenter still needs and every other key is
    /// stale. Returns whether the frame was kept; a refused frame goes to `pool`.
    pub fn insert(
        &mut self,
        key: SceneKey,
        tick: Tick,
        value: CachedFrame,
        low: Tick,
        pool: &mut Vec<Arc<Frame>>,
    ) -> bool {
        self.insert_among(key, tick, value, &[(key, low)], pool)
    }

    /// Inserts a frame of the stream `key` (replacing one with the same key and tick), evicting
    /// as documented on [`FrameCache`] with the live streams `lows` (`key` should be among them;
    /// if it is not, the frame is refused). Returns whether the frame was kept; a refused frame
    /// goes to `pool`.
    pub fn insert_among(
        &mut self,
        key: SceneKey,
        tick: Tick,
        value: CachedFrame,
        lows: &[(SceneKey, Tick)],
        pool: &mut Vec<Arc<Frame>>,
    ) -> bool {
        let bytes = value.frame.as_bytes().len();
        if let Some(i) = self.position(key, tick) {
            self.remove(i, pool);
            self.stats.evictions -= 1; // a replacement, not an eviction
        }
        let Some(&(_, own_low)) = lows.iter().find(|(k, _)| *k == key) else {
            self.stats.rejected += 1;
            recycle(pool, value.frame);
            return false;
        };
        let ahead = tick.saturating_sub(own_low);
        while self.stats.bytes + bytes > self.stats.budget_bytes || self.entries.len() == self.stats.slots {
            // 1. stale: unknown keys first, then behind their stream's low, oldest first.
            let stale = self
                .entries
                .iter()
                .enumerate()
                .filter_map(|(i, e)| staleness(lows, e.key, e.tick).map(|rank| (i, rank, e.tick)))
                .min_by_key(|&(_, rank, t)| (rank, t))
                .map(|(i, _, _)| i);
            if let Some(i) = stale {
                self.remove(i, pool);
                continue;
            }
            // 2. the furthest ahead of its stream, if further than the new frame.
            let far = self
                .entries
                .iter()
                .enumerate()
                .map(|(i, e)| (i, e.tick.saturating_sub(low_of(lows, e.key))))
                .max_by_key(|&(_, a)| a);
            match far {
                Some((i, a)) if a > ahead => self.remove(i, pool),
                _ => {
                    self.stats.rejected += 1;
                    recycle(pool, value.frame);
                    return false;
                }
            }
        }
        self.entries.push(Entry { key, tick, bytes, value });
        self.stats.bytes += bytes;
        self.stats.peak_bytes = self.stats.peak_bytes.max(self.stats.bytes);
        true
    }

    /// Frames held at or ahead of `low` for `key`.
    pub fn frames_ahead(&self, key: SceneKey, low: Tick) -> usize {
        self.entries.iter().filter(|e| e.key == key && e.tick >= low).count()
    }

    /// The statistics, with `bytes` and `frames` as of now and `frames_ahead` counted from `low`
    /// for `key` (the sampled summaries are left at 0: the engine fills them in).
    pub fn stats(&self, key: SceneKey, low: Tick) -> CacheStats {
        CacheStats { frames: self.entries.len(), frames_ahead: self.frames_ahead(key, low), ..self.stats }
    }

    /// Drops every frame (recycling what it can).
    pub fn clear(&mut self, pool: &mut Vec<Arc<Frame>>) {
        while let Some(e) = self.entries.pop() {
            self.stats.bytes -= e.bytes;
            recycle(pool, e.value.frame);
        }
    }
}

/// The low of `key` among `lows` (`Tick::MAX` for a key no stream uses).
fn low_of(lows: &[(SceneKey, Tick)], key: SceneKey) -> Tick {
    lows.iter().find(|(k, _)| *k == key).map_or(Tick::MAX, |&(_, low)| low)
}

/// Whether an entry is stale, and how: `Some(0)` for a key no stream uses, `Some(1)` for a tick
/// behind its stream's low, `None` when a presenter may still need it.
fn staleness(lows: &[(SceneKey, Tick)], key: SceneKey, tick: Tick) -> Option<u8> {
    match lows.iter().find(|(k, _)| *k == key) {
        None => Some(0),
        Some(&(_, low)) if tick < low => Some(1),
        Some(_) => None,
    }
}
