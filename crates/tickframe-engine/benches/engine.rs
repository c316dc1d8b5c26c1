//! Criterion benchmarks of the engine's hot pieces: cache lookup, insert and eviction with a
//! full cache, histogram recording, and the bookkeeping of one presenter iteration on a cache
//! hit (lock, publish the tick, count frames ahead, look up, record metrics, log the record).
//!
//! Run: `cargo bench -p tickframe-engine --bench engine`. Every group reports time per
//! operation. The cache benches use the window sizes the engine uses in practice (a quarter
//! second to ten seconds of 60 fps frames).

use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use tickframe_core::{Frame, Size};
use tickframe_engine::{CachedFrame, FrameCache, FrameLogWriter, FrameRecord, Histogram, SceneKey};

const KEY: SceneKey = SceneKey(7);

fn frame() -> CachedFrame {
    CachedFrame { frame: Arc::new(Frame::new(Size::new(16, 8).unwrap())), render_ns: 1000, faulted: false }
}

/// A cache holding `n` frames of ticks `0..n` (budget exactly `n` frames).
fn full_cache(n: usize) -> (FrameCache, Vec<Arc<Frame>>) {
    let fb = 16 * 8 * 4;
    let mut c = FrameCache::with_slots(n * fb, n + 8);
    let mut pool = Vec::with_capacity(n + 8);
    for t in 0..n as u64 {
        c.insert(KEY, t, frame(), 0, &mut pool);
    }
    (c, pool)
}

fn cache(c: &mut Criterion) {
    let mut g = c.benchmark_group("cache");
    g.sample_size(30).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(2));
    for n in [15usize, 120, 600] {
        let (mut cache, _pool) = full_cache(n);
        let mut t = 0u64;
        g.bench_with_input(BenchmarkId::new("get_hit", n), &n, |b, &n| {
            b.iter(|| {
                t = (t + 1) % n as u64;
                black_box(cache.get(KEY, t).map(|c| c.render_ns))
            })
        });
        g.bench_with_input(BenchmarkId::new("contains_miss", n), &n, |b, _| {
            b.iter(|| black_box(cache.contains(KEY, u64::MAX - 1)))
        });
        g.bench_with_input(BenchmarkId::new("frames_ahead", n), &n, |b, _| {
            b.iter(|| black_box(cache.frames_ahead(KEY, 3)))
        });
        // Steady state of a sliding window: the presenter advances one tick, the tick behind it
        // is evicted and the next one ahead inserted (its buffer recycled through the pool).
        let (mut cache, mut pool) = full_cache(n);
        let mut low = 0u64;
        g.bench_with_input(BenchmarkId::new("slide_evict_insert", n), &n, |b, &n| {
            b.iter(|| {
                low += 1;
                cache.evict_behind(KEY, low, &mut pool);
                let f = pool.pop().map_or_else(frame, |frame| CachedFrame {
                    frame,
                    render_ns: 1,
                    faulted: false,
                });
                black_box(cache.insert(KEY, low + n as u64 - 1, f, low, &mut pool))
            })
        });
        // A full cache evicting the furthest-ahead frame for a nearer one.
        let (mut cache, mut pool) = full_cache(n);
        let mut far = n as u64;
        g.bench_with_input(BenchmarkId::new("insert_evicting_furthest", n), &n, |b, _| {
            b.iter(|| {
                far += 1;
                let f = pool.pop().map_or_else(frame, |frame| CachedFrame {
                    frame,
                    render_ns: 1,
                    faulted: false,
                });
                // Replace tick 1 (held) or evict the furthest to make room.
                black_box(cache.insert(KEY, 1 + far % 2, f, 0, &mut pool))
            })
        });
    }
    g.finish();
}

fn histogram(c: &mut Criterion) {
    let mut g = c.benchmark_group("histogram");
    g.sample_size(30).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(2));
    let mut h = Histogram::new();
    let mut v = 1u64;
    g.bench_function("record", |b| {
        b.iter(|| {
            v = v.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            h.record(black_box(v >> 40));
        })
    });
    g.bench_function("quantile_p99", |b| b.iter(|| black_box(h.quantile(0.99))));
    g.finish();
}

/// The presenter's bookkeeping for one frame found in the cache, as in `presenter_loop`: lock
/// the shared state, look up and clone the `Arc`, count frames ahead, unlock, record the
/// interval, lateness and work histograms, emit the frame record (to a non-blocking log).
fn presenter_hit(c: &mut Criterion) {
    let mut g = c.benchmark_group("presenter");
    g.sample_size(30).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(2));
    let writer = FrameLogWriter::start(std::io::sink(), 1 << 16, vec!["null".into()], "cpu").unwrap();
    let log = writer.log().unwrap();
    for n in [15usize, 120] {
        let (cache, _pool) = full_cache(n);
        let shared = Mutex::new(cache);
        let (mut interval, mut lateness, mut work) = (Histogram::new(), Histogram::new(), Histogram::new());
        let mut t = 0u64;
        g.bench_with_input(BenchmarkId::new("one_hit_iteration", n), &n, |b, &n| {
            b.iter(|| {
                t = (t + 1) % n as u64;
                let (frame, depth) = {
                    let mut st = shared.lock().unwrap();
                    let depth = st.frames_ahead(KEY, t);
                    (st.get(KEY, t).map(|c| Arc::clone(&c.frame)), depth)
                };
                interval.record(16_666_667);
                lateness.record(20_000);
                work.record(40_000);
                log.record(FrameRecord {
                    tick: t,
                    queue_depth: depth as u32,
                    cache_hit: true,
                    ..FrameRecord::default()
                });
                black_box(frame)
            })
        });
    }
    drop(log);
    writer.finish();
    g.finish();
}

criterion_group!(benches, cache, histogram, presenter_hit);
criterion_main!(benches);
