//! The frame cache: keys never mix, the byte budget always holds, eviction order.

use std::sync::Arc;

use tickframe_core::Frame;
use tickframe_engine::{CachedFrame, FrameCache, SceneKey};

use crate::common::{serial, size};

fn frame() -> CachedFrame {
    CachedFrame { frame: Arc::new(Frame::new(size(4, 4))), render_ns: 1, faulted: false }
}

const FB: usize = 4 * 4 * 4;

#[test]
fn never_returns_a_frame_of_another_scene_key() {
    let _g = serial();
    let (a, b) = (SceneKey(1), SceneKey(2));
    let mut pool = Vec::with_capacity(16);
    let mut c = FrameCache::new(10 * FB, FB);
    for t in 0..5 {
        assert!(c.insert(a, t, frame(), 0, &mut pool));
    }
    for t in 0..5 {
        assert!(c.get(b, t).is_none(), "key B served key A's tick {t}");
        assert!(c.get(a, t).is_some());
        assert!(!c.contains(b, t));
    }
    // A reloaded scene (new key) pushes the old key's frames out first.
    for t in 0..10 {
        assert!(c.insert(b, t, frame(), 0, &mut pool));
    }
    for t in 0..5 {
        assert!(c.get(a, t).is_none(), "stale frame of key A kept at tick {t}");
    }
    let s = c.stats(b, 0);
    assert_eq!(s.frames, 10);
    assert!(s.peak_bytes <= 10 * FB);
}

#[test]
fn eviction_keeps_within_the_byte_budget_in_the_documented_order() {
    let _g = serial();
    let k = SceneKey(7);
    let budget = 3 * FB + FB / 2; // 3.5 frames: 3 fit
    let mut pool = Vec::with_capacity(16);
    let mut c = FrameCache::new(budget, FB);
    for t in [10, 11, 12] {
        assert!(c.insert(k, t, frame(), 10, &mut pool));
    }
    // Presenter at 11: tick 10 is behind, evicted first.
    assert!(c.insert(k, 13, frame(), 11, &mut pool));
    assert!(!c.contains(k, 10));
    assert!(c.contains(k, 11) && c.contains(k, 12) && c.contains(k, 13));
    // Nothing behind: a nearer tick evicts the furthest ahead.
    assert!(c.insert(k, 14, frame(), 11, &mut pool) || !c.contains(k, 14));
    assert!(!c.contains(k, 14), "a frame further ahead than everything held is refused");
    // Fill a hole closer than the furthest.
    c.evict_behind(k, 12, &mut pool);
    assert!(c.insert(k, 15, frame(), 12, &mut pool));
    assert!(c.insert(k, 14, frame(), 12, &mut pool), "14 is nearer than 15");
    assert!(!c.contains(k, 15), "the furthest ahead made room");
    let mut rng = tickframe_core::Rng::new(1, 2, 3);
    let mut low = 0;
    for _ in 0..2000 {
        let r = rng.next_u64();
        low += r % 2;
        c.insert(k, low + (r >> 8) % 8, frame(), low, &mut pool);
        let s = c.stats(k, low);
        assert!(s.bytes <= budget && s.peak_bytes <= budget, "{s:?}");
    }
    let s = c.stats(k, low);
    assert!(s.evictions > 0 && s.hits == 0);
    assert!(pool.len() <= pool.capacity() && pool.capacity() == 16, "recycling never grows the pool");
}

#[test]
fn streams_share_the_budget_and_evict_behind_their_own_low() {
    let _g = serial();
    let (a, b, gone) = (SceneKey(1), SceneKey(2), SceneKey(3));
    let mut pool = Vec::with_capacity(16);
    let mut c = FrameCache::new(6 * FB, FB);
    // Stream a's presenters need tick 10 on, b's tick 2 on.
    let lows = [(a, 10), (b, 2)];
    assert!(c.insert_among(gone, 0, frame(), &[(gone, 0)], &mut pool));
    for t in 10..13 {
        assert!(c.insert_among(a, t, frame(), &lows, &mut pool));
    }
    for t in 2..4 {
        assert!(c.insert_among(b, t, frame(), &lows, &mut pool));
    }
    // Full (6 frames). The next insert evicts the key no stream uses, not another stream's
    // frames, although their ticks are higher than b's.
    assert!(c.insert_among(b, 4, frame(), &lows, &mut pool));
    assert!(!c.contains(gone, 0));
    assert!((10..13).all(|t| c.contains(a, t)) && (2..5).all(|t| c.contains(b, t)));
    // Nothing stale: the frame furthest ahead of its own stream's low goes (a's 12 is 2 ahead,
    // b's 4 is 2 ahead; b's 5 would be 3 ahead and is refused).
    assert!(!c.insert_among(b, 5, frame(), &lows, &mut pool));
    assert!(c.insert_among(a, 11, frame(), &lows, &mut pool), "a replacement always fits");
    // b moves on to 4: its 2 and 3 are stale, a's frames are not.
    let lows = [(a, 10), (b, 4)];
    assert_eq!(c.evict_stale_among(&lows, &mut pool), 2);
    assert!((10..13).all(|t| c.contains(a, t)) && c.contains(b, 4));
    // A frame of a key no stream uses is refused.
    assert!(!c.insert_among(gone, 20, frame(), &lows, &mut pool));
    // Lookups never cross keys.
    assert!(c.get(b, 10).is_none() && c.get(a, 4).is_none());
    assert!(c.bytes() <= 6 * FB);
}
