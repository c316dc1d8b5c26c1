//! The prepared-photo cache: bounded in bytes, filled ahead of need by background workers.
//!
//! The lock guards only bookkeeping (lookups, inserts, the request queue); decoding always
//! happens outside it. Frames are shared as `Arc<Frame>`, never copied.
//!
//! # Which photos are usable
//! A photo is usable when its bytes decode (JPEG scans complete to their last block, see
//! `jpeg_check.rs`). That is decided the first time it is prepared, by whichever thread
//! prepares it, and remembered: a pure function of the file's bytes, so cache size, eviction,
//! workers and timing never change it. Each file is pinned when first read: its length must
//! equal the length seen when the folder was listed, and the XXH3-64 of its bytes is recorded
//! then; a later read (after an eviction) with other bytes makes the photo unusable from then
//! on (counted in [`CacheStats::changed`]). Only such a change during a run, which the run
//! reports, makes it differ from a run without one.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use tickframe_core::Frame;

use super::prepare::{
    PhotoError, PhotoScratch, PrepareOptions, prepare_photo_bytes_with, prepare_verified_photo_bytes_with,
};
use super::schedule::PhotoList;

/// Counters of a slideshow's photo cache.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct CacheStats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that had to wait for a photo a worker was preparing.
    pub waits: u64,
    /// Lookups that prepared the photo on the rendering thread (the slow path).
    pub sync_prepares: u64,
    /// Photos prepared ahead of need by the workers.
    pub prefetched: u64,
    /// Photos dropped to stay within the byte budget.
    pub evictions: u64,
    /// Photos that failed to decode when prepared (they were accepted at build), each counted
    /// once; the slideshow shows the next usable photo in sorted order in their place.
    pub failures: u64,
    /// Of those, photos whose file changed during the run (length or content hash).
    pub changed: u64,
    /// Bytes of prepared photos held now.
    pub bytes: u64,
}

struct Slot {
    index: usize,
    frame: Arc<Frame>,
    last_use: u64,
}

/// Queued prefetch requests at most (more are dropped: they will be asked for again).
const QUEUE: usize = 64;

struct State {
    slots: Vec<Slot>,
    queue: VecDeque<usize>,
    in_flight: Vec<usize>,
    /// Photos that failed to decode, with why, in the order found (rare: caught when
    /// prepared, not at build).
    failed: Vec<(usize, String)>,
    clock: u64,
    budget: u64,
    /// Evicted frames nobody else held, for the workers to build the next photos in (at most
    /// one per worker, outside the byte budget), so steady state faults in no fresh frames.
    spare: Vec<Frame>,
    spare_cap: usize,
    shutdown: bool,
    stats: CacheStats,
}

pub(crate) struct Shared {
    state: Mutex<State>,
    /// Wakes workers (new requests, shutdown) and waiters (a photo finished).
    changed: Condvar,
    /// The photos (append-only: a rescan may add some), with their content pins.
    pub(crate) photos: PhotoList,
    opts: PrepareOptions,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl State {
    fn has_failed(&self, index: usize) -> bool {
        self.failed.iter().any(|&(i, _)| i == index)
    }

    fn find(&self, index: usize) -> Option<usize> {
        self.slots.iter().position(|s| s.index == index)
    }

    fn insert(&mut self, index: usize, frame: Arc<Frame>) {
        if self.find(index).is_some() {
            return;
        }
        let bytes = frame.as_bytes().len() as u64;
        // Least recently used out first, until the new one fits (it is kept even alone).
        while !self.slots.is_empty() && self.stats.bytes + bytes > self.budget {
            let (i, _) = self.slots.iter().enumerate().min_by_key(|(_, s)| s.last_use).expect("non-empty");
            let old = self.slots.swap_remove(i);
            self.stats.bytes -= old.frame.as_bytes().len() as u64;
            self.stats.evictions += 1;
            if self.spare.len() < self.spare_cap
                && let Ok(frame) = Arc::try_unwrap(old.frame)
            {
                self.spare.push(frame);
            }
        }
        self.clock += 1;
        self.stats.bytes += bytes;
        self.slots.push(Slot { index, frame, last_use: self.clock });
    }
}

impl Shared {
    /// A cache for `photos` prepared with `opts`, holding at most `budget` bytes.
    pub(crate) fn new(photos: PhotoList, opts: PrepareOptions, budget: u64, workers: usize) -> Arc<Shared> {
        let frame_bytes = opts.size.area() as u64 * 4;
        let slots = (budget / frame_bytes.max(1)) as usize + 4;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                slots: Vec::with_capacity(slots.min(4096)),
                queue: VecDeque::with_capacity(QUEUE),
                in_flight: Vec::with_capacity(workers + 8),
                failed: Vec::new(),
                clock: 0,
                budget,
                spare: Vec::with_capacity(workers),
                spare_cap: workers,
                shutdown: false,
                stats: CacheStats::default(),
            }),
            changed: Condvar::new(),
            photos,
            opts,
        });
        for i in 0..workers {
            let s = Arc::clone(&shared);
            // A worker that cannot start only costs prefetching: rendering prepares on a miss.
            let _ = std::thread::Builder::new().name(format!("tickframe-photo-{i}")).spawn(move || s.work());
        }
        shared
    }

    pub(crate) fn stats(&self) -> CacheStats {
        lock(&self.state).stats
    }

    /// Stops the workers (they finish the photo in hand first).
    pub(crate) fn shutdown(&self) {
        lock(&self.state).shutdown = true;
        self.changed.notify_all();
    }

    fn work(&self) {
        // Kept from photo to photo (decode buffer, resampler), used outside the lock.
        let mut scratch = PhotoScratch::new();
        loop {
            let index = {
                let mut st = lock(&self.state);
                loop {
                    if st.shutdown {
                        return;
                    }
                    if let Some(i) = st.queue.pop_front() {
                        if st.find(i).is_none() && !st.in_flight.contains(&i) && !st.has_failed(i) {
                            st.in_flight.push(i);
                            if let Some(frame) = st.spare.pop() {
                                scratch.recycle(frame);
                            }
                            break i;
                        }
                        continue;
                    }
                    st = self.changed.wait(st).unwrap_or_else(std::sync::PoisonError::into_inner);
                }
            };
            let result = self.prepare(index, &mut scratch);
            let mut st = lock(&self.state);
            st.in_flight.retain(|&i| i != index);
            match result {
                Ok(frame) => {
                    st.stats.prefetched += 1;
                    st.insert(index, Arc::new(frame));
                }
                Err(e) => self.fail(&mut st, index, &e),
            }
            drop(st);
            self.changed.notify_all();
        }
    }

    /// Reads photo `index`, checks it against its pin, and prepares it with `scratch`.
    fn prepare(&self, index: usize, scratch: &mut PhotoScratch) -> Result<Frame, PhotoError> {
        let entry = self.photos.get(index);
        let bytes = std::fs::read(&entry.path).map_err(|e| PhotoError(format!("cannot read: {e}")))?;
        if bytes.len() as u64 != entry.len {
            return Err(PhotoError(format!(
                "changed during the run: {} bytes when the folder was listed, {} now",
                entry.len,
                bytes.len()
            )));
        }
        let hash = xxhash_rust::xxh3::xxh3_64(&bytes);
        let pinned = *self.photos.pin(index).get_or_init(|| hash);
        if pinned != hash {
            return Err(PhotoError(format!(
                "changed during the run: its bytes hash to {hash:016x}, {pinned:016x} when first read"
            )));
        }
        // The same bytes as when first prepared (length and hash): they passed the completeness
        // walk then, so it is not repeated (same frame, about a quarter less work).
        let frame = if self.photos.was_prepared(index) {
            prepare_verified_photo_bytes_with(scratch, &bytes, &self.opts)
        } else {
            prepare_photo_bytes_with(scratch, &bytes, &self.opts)
        }?;
        self.photos.set_prepared(index);
        Ok(frame)
    }

    fn fail(&self, st: &mut State, index: usize, e: &PhotoError) {
        if !st.has_failed(index) {
            st.failed.push((index, e.0.clone()));
            st.stats.failures += 1;
            if e.0.starts_with("changed during the run") {
                st.stats.changed += 1;
            }
            tracing::warn!(
                file = %self.photos.get(index).path.display(),
                "slideshow: skipping `{}`: {e} (the next photo in sorted order shows in its place)",
                self.photos.get(index).path.display()
            );
        }
    }

    /// The photos found unusable when prepared so far, with why, in sorted order.
    pub(crate) fn skipped(&self) -> Vec<(PathBuf, String)> {
        let mut v = lock(&self.state).failed.clone();
        v.sort_unstable();
        v.into_iter().map(|(i, why)| (self.photos.get(i).path.clone(), why)).collect()
    }

    /// Asks the workers to prepare `index` (does nothing when cached, queued or in flight).
    /// Allocates nothing.
    pub(crate) fn request(&self, index: usize) {
        let mut st = lock(&self.state);
        if st.find(index).is_some() || st.in_flight.contains(&index) || st.queue.contains(&index) {
            return;
        }
        if st.queue.len() < QUEUE {
            st.queue.push_back(index);
            drop(st);
            self.changed.notify_one();
        }
    }

    /// The prepared photo `index`: from the cache, or by waiting for the worker preparing it, or
    /// prepared here (the slow path). `Err` when it does not decode.
    pub(crate) fn get(&self, index: usize) -> Result<Arc<Frame>, ()> {
        let mut st = lock(&self.state);
        let mut waited = false;
        loop {
            if let Some(i) = st.find(index) {
                st.clock += 1;
                let now = st.clock;
                st.slots[i].last_use = now;
                if !waited {
                    st.stats.hits += 1;
                }
                return Ok(Arc::clone(&st.slots[i].frame));
            }
            if st.has_failed(index) {
                return Err(());
            }
            if !st.in_flight.contains(&index) {
                break;
            }
            if !waited {
                st.stats.waits += 1;
                waited = true;
            }
            st = self.changed.wait(st).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        st.stats.sync_prepares += 1;
        drop(st);
        // The slow path on the rendering thread: no scratch kept there (it would hold memory
        // on a thread that rarely decodes).
        let result = self.prepare(index, &mut PhotoScratch::new());
        let mut st = lock(&self.state);
        match result {
            Ok(frame) => {
                let frame = Arc::new(frame);
                st.insert(index, Arc::clone(&frame));
                Ok(frame)
            }
            Err(e) => {
                self.fail(&mut st, index, &e);
                Err(())
            }
        }
    }
}
