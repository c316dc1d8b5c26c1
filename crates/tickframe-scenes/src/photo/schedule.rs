//! Which photo each slot shows, when photos can be added during a run (`rescan`, `added`).
//!
//! The photo list only grows, and it grows in **epochs**: epoch `e` starts at slot
//! `from_slot(e)` and shows the first `count(e)` photos of the list. Slot `k` belongs to the
//! last epoch starting at or before it, so the photo of a slot is a pure function of (the
//! epochs, seed, slot); epoch 0 starts at slot 0 with the photos found at build, which is the
//! whole schedule of a slideshow that never adds any.
//!
//! # Why an added epoch never changes a frame already rendered
//! Every render first raises a **watermark** (the highest tick rendered so far, plus one) and
//! then reads the epochs; an epoch is published with `from_slot` at least two slots past the
//! slot of the watermark (the frames of slot `s` can show slot `s + 1`'s photo, in the
//! transition), and the watermark is read inside a short window that renders wait out (a few
//! stores, no I/O or allocation). So a render either raised the watermark before the window
//! (its tick is below the new epoch, which does not change it) or reads the epochs after it.
//! No frame cached anywhere can hold a slot that a later epoch changed.
//!
//! Both arrays are allocated at build with their final capacity and written once per element
//! (`OnceLock`) by the one thread that adds photos, under its own lock; readers take no lock.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use super::source::PhotoEntry;

/// An append-only photo list with its capacity fixed at build.
pub(crate) struct PhotoList {
    entries: Box<[OnceLock<PhotoEntry>]>,
    /// XXH3-64 of each file's bytes, recorded when it is first read.
    pins: Box<[OnceLock<u64>]>,
    /// Set once a photo was prepared successfully from its pinned bytes.
    prepared: Box<[AtomicBool]>,
    len: AtomicUsize,
}

impl PhotoList {
    /// `initial` photos, with room for `extra` more.
    pub(crate) fn new(initial: Vec<PhotoEntry>, extra: usize) -> PhotoList {
        let cap = initial.len() + extra;
        let n = initial.len();
        let mut entries: Vec<OnceLock<PhotoEntry>> = initial.into_iter().map(OnceLock::from).collect();
        entries.resize_with(cap, OnceLock::new);
        PhotoList {
            entries: entries.into_boxed_slice(),
            pins: (0..cap).map(|_| OnceLock::new()).collect(),
            prepared: (0..cap).map(|_| AtomicBool::new(false)).collect(),
            len: AtomicUsize::new(n),
        }
    }

    /// Photos in the list now (some may belong to an epoch that starts later).
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Photo `index` (below [`PhotoList::len`]).
    ///
    /// # Panics
    /// When `index` was never added.
    pub(crate) fn get(&self, index: usize) -> &PhotoEntry {
        self.entries[index].get().expect("a photo index below the list's length")
    }

    /// Photo `index`'s content pin.
    pub(crate) fn pin(&self, index: usize) -> &OnceLock<u64> {
        &self.pins[index]
    }

    /// Whether photo `index` was prepared successfully from its pinned bytes before.
    pub(crate) fn was_prepared(&self, index: usize) -> bool {
        self.prepared[index].load(Ordering::Acquire)
    }

    /// Records that photo `index` was prepared successfully from its pinned bytes.
    pub(crate) fn set_prepared(&self, index: usize) {
        self.prepared[index].store(true, Ordering::Release);
    }

    /// Room left.
    pub(crate) fn room(&self) -> usize {
        self.entries.len() - self.len()
    }

    /// Appends `entry`; `None` when full. One writer at a time (the caller's lock).
    pub(crate) fn push(&self, entry: PhotoEntry) -> Option<usize> {
        let i = self.len();
        self.entries.get(i)?.set(entry).ok()?;
        self.len.store(i + 1, Ordering::Release);
        Some(i)
    }

    /// The photos in the list now, in index order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &PhotoEntry> {
        self.entries[..self.len()].iter().filter_map(OnceLock::get)
    }
}

/// One epoch of the schedule.
#[derive(Debug)]
pub(crate) struct Epoch {
    /// The first slot it schedules.
    pub(crate) from_slot: u64,
    /// It shows photos `0..count` of the list.
    pub(crate) count: u64,
    /// Those photos' indices sorted by path (`order = "sorted"`).
    pub(crate) sorted: Box<[u32]>,
    /// Position in `sorted` of the photo at `from_slot` (sorted order goes on after the photo
    /// the previous epoch ended with).
    pub(crate) sorted_start: u64,
}

/// The epochs, the watermark and the publishing window.
pub(crate) struct Schedule {
    epochs: Box<[OnceLock<Epoch>]>,
    len: AtomicUsize,
    /// The highest tick rendered so far, plus one (0: none yet).
    watermark: AtomicU64,
    publishing: AtomicBool,
}

impl Schedule {
    /// Epoch 0 (`count` photos, sorted as listed, from slot 0), with room for `extra` more.
    pub(crate) fn new(count: usize, extra: usize) -> Schedule {
        let epochs: Box<[OnceLock<Epoch>]> = (0..1 + extra).map(|_| OnceLock::new()).collect();
        let first =
            Epoch { from_slot: 0, count: count as u64, sorted: (0..count as u32).collect(), sorted_start: 0 };
        let _ = epochs[0].set(first);
        Schedule {
            epochs,
            len: AtomicUsize::new(1),
            watermark: AtomicU64::new(0),
            publishing: AtomicBool::new(false),
        }
    }

    /// Called by every render before it reads the schedule: raises the watermark to `tick` and
    /// waits out a publication in progress (a few stores long). Allocates nothing.
    pub(crate) fn enter(&self, tick: u64) {
        self.watermark.fetch_max(tick.saturating_add(1), Ordering::SeqCst);
        while self.publishing.load(Ordering::SeqCst) {
            std::hint::spin_loop();
        }
    }

    /// Epochs published so far.
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Epoch `e` (below [`Schedule::len`]).
    pub(crate) fn epoch(&self, e: usize) -> &Epoch {
        self.epochs[e].get().expect("a published epoch")
    }

    /// The epoch scheduling `slot`, with its number.
    pub(crate) fn epoch_for(&self, slot: u64) -> (usize, &Epoch) {
        let (mut lo, mut hi) = (0, self.len());
        // The last epoch with from_slot <= slot (epoch 0 starts at slot 0).
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.epoch(mid).from_slot <= slot {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        (lo, self.epoch(lo))
    }

    /// Room left for epochs.
    pub(crate) fn room(&self) -> usize {
        self.epochs.len() - self.len()
    }

    /// Publishes an epoch of `count` photos (`sorted` by path) starting no earlier than
    /// `earliest` and at least two slots past every slot rendered so far (slots are
    /// `slot_ticks` long); `start_of(from_slot)` gives its position in `sorted`. Returns its
    /// first slot, or `None` when there is no room. One writer at a time (the caller's lock).
    pub(crate) fn publish(
        &self,
        count: u64,
        sorted: Box<[u32]>,
        earliest: u64,
        slot_ticks: u64,
        start_of: impl FnOnce(u64, &[u32]) -> u64,
    ) -> Option<u64> {
        let e = self.len();
        if e >= self.epochs.len() {
            return None;
        }
        let after = self.epoch(e - 1).from_slot + 1;
        self.publishing.store(true, Ordering::SeqCst);
        let mark = self.watermark.load(Ordering::SeqCst);
        let rendered = if mark == 0 { None } else { Some((mark - 1) / slot_ticks.max(1)) };
        let from_slot = rendered.map_or(0, |s| s + 2).max(after).max(earliest);
        let sorted_start = start_of(from_slot, &sorted);
        let _ = self.epochs[e].set(Epoch { from_slot, count, sorted, sorted_start });
        self.len.store(e + 1, Ordering::Release);
        self.publishing.store(false, Ordering::SeqCst);
        Some(from_slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_start_two_slots_past_the_watermark_and_are_found_by_slot() {
        let s = Schedule::new(3, 4);
        assert_eq!(s.epoch_for(1_000).0, 0);
        // Nothing rendered: the epoch may start at once, but not before `earliest`.
        assert_eq!(s.publish(4, vec![0, 1, 2, 3].into(), 5, 10, |_, _| 0), Some(5));
        // Tick 123 is in slot 12: the next epoch starts at slot 14.
        s.enter(123);
        assert_eq!(s.publish(5, vec![0, 1, 2, 3, 4].into(), 0, 10, |_, _| 0), Some(14));
        // A render far behind the watermark does not lower it.
        s.enter(3);
        assert_eq!(s.publish(6, (0..6).collect(), 0, 10, |_, _| 0), Some(15));
        let found: Vec<usize> = [0u64, 4, 5, 13, 14, 15, 99].iter().map(|&k| s.epoch_for(k).0).collect();
        assert_eq!(found, [0, 0, 1, 1, 2, 3, 3]);
        assert_eq!(s.epoch(2).count, 5);
        assert_eq!(s.room(), 1);
        assert!(s.publish(7, (0..7).collect(), 0, 10, |_, _| 0).is_some());
        assert_eq!(s.publish(8, (0..8).collect(), 0, 10, |_, _| 0), None, "full");
    }
}
