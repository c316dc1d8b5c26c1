//! A small parallel, in-order pipeline: workers process chunks of consecutive ticks, a consumer
//! on the calling thread receives every result in tick order.
//!
//! Kept internal and small on purpose: it can move onto the engine crate's worker pool later.
//! Workers claim chunks in increasing order and never run more than a bounded window of chunks
//! ahead of the consumer, so memory stays bounded whatever the speed differences.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, mpsc};

/// The worker count to use by default: the machine's available parallelism (at least 1).
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The worker threads [`run_ordered`] starts for `ticks` ticks in chunks of `chunk`: the
/// requested count (at least 1), at most one per chunk.
pub fn workers_for(requested: usize, ticks: u64, chunk: u64) -> usize {
    let nchunks = ticks.div_ceil(chunk.max(1));
    requested.clamp(1, usize::try_from(nchunks.max(1)).unwrap_or(usize::MAX))
}

/// Runs `work(state, tick, chunk_start)` for every tick of `ticks` on `workers` threads (each
/// with its own `init()` state), in chunks of `chunk` ticks aligned to `ticks.start`, and
/// calls `consume(tick, result)` on the calling thread in tick order.
///
/// `chunk_start` is `true` for the first tick of each chunk: a worker has not seen the
/// previous tick then.
///
/// Stops early, without error, when `stop` becomes `true`; returns the number of ticks
/// consumed (all of them unless stopped).
///
/// # Errors
/// The first error of `init`, `work` or `consume`; the other workers stop soon after.
pub fn run_ordered<S, T, E>(
    ticks: Range<u64>,
    chunk: u64,
    workers: usize,
    stop: &AtomicBool,
    init: impl Fn() -> Result<S, E> + Sync,
    work: impl Fn(&mut S, u64, bool) -> Result<T, E> + Sync,
    mut consume: impl FnMut(u64, T) -> Result<(), E>,
) -> Result<u64, E>
where
    T: Send,
    E: Send,
{
    let chunk = chunk.max(1);
    let total = ticks.end.saturating_sub(ticks.start);
    let nchunks = total.div_ceil(chunk);
    let workers = workers_for(workers, total, chunk);
    let window = 2 * workers as u64 + 2;
    let next = AtomicU64::new(0);
    let consumed = Mutex::new(0u64);
    let advanced = Condvar::new();
    let halt = AtomicBool::new(false);
    let stopped = || halt.load(Ordering::Relaxed) || stop.load(Ordering::Relaxed);
    let (tx, rx) = mpsc::sync_channel::<(u64, Result<Vec<T>, E>)>(window as usize);
    let mut done = 0u64;
    let mut failure: Option<E> = None;
    std::thread::scope(|s| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (init, work, next, consumed, advanced, stopped) =
                (&init, &work, &next, &consumed, &advanced, &stopped);
            s.spawn(move || {
                let mut state = match init() {
                    Ok(s) => s,
                    Err(e) => {
                        let _ = tx.send((u64::MAX, Err(e)));
                        return;
                    }
                };
                loop {
                    if stopped() {
                        return;
                    }
                    let c = next.fetch_add(1, Ordering::Relaxed);
                    if c >= nchunks {
                        return;
                    }
                    {
                        let mut k = consumed.lock().unwrap_or_else(|p| p.into_inner());
                        while c >= *k + window && !stopped() {
                            k = advanced.wait(k).unwrap_or_else(|p| p.into_inner());
                        }
                    }
                    let a = ticks.start + c * chunk;
                    let b = a.saturating_add(chunk).min(ticks.end);
                    let mut out = Vec::with_capacity((b - a) as usize);
                    let mut result = Ok(());
                    for t in a..b {
                        if stopped() {
                            return;
                        }
                        match work(&mut state, t, t == a) {
                            Ok(v) => out.push(v),
                            Err(e) => {
                                result = Err(e);
                                break;
                            }
                        }
                    }
                    let failed = result.is_err();
                    if tx.send((c, result.map(|()| out))).is_err() || failed {
                        return;
                    }
                }
            });
        }
        drop(tx);
        let mut pending: BTreeMap<u64, Vec<T>> = BTreeMap::new();
        let mut want = 0u64;
        'recv: for (c, result) in rx.iter() {
            match result {
                Err(e) => {
                    failure = Some(e);
                    break 'recv;
                }
                Ok(v) => {
                    pending.insert(c, v);
                }
            }
            while let Some(v) = pending.remove(&want) {
                let base = ticks.start + want * chunk;
                for (i, item) in v.into_iter().enumerate() {
                    if let Err(e) = consume(base + i as u64, item) {
                        failure = Some(e);
                        break 'recv;
                    }
                    done += 1;
                }
                want += 1;
                *consumed.lock().unwrap_or_else(|p| p.into_inner()) = want;
                advanced.notify_all();
            }
        }
        halt.store(true, Ordering::Relaxed);
        advanced.notify_all();
        drop(rx);
    });
    match failure {
        Some(e) => Err(e),
        None => Ok(done),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_arrive_in_order_with_any_worker_count() {
        for workers in [1, 2, 5] {
            let mut seen = Vec::new();
            let stop = AtomicBool::new(false);
            let n = run_ordered(
                3..250,
                7,
                workers,
                &stop,
                || Ok::<_, ()>(0u64),
                |st, t, start| {
                    if start {
                        *st = t;
                    }
                    assert!(t >= *st);
                    Ok(t * 2)
                },
                |t, v| {
                    seen.push((t, v));
                    Ok(())
                },
            )
            .unwrap();
            assert_eq!(n, 247);
            assert!(seen.iter().enumerate().all(|(i, &(t, v))| t == 3 + i as u64 && v == t * 2));
        }
    }

    #[test]
    fn an_error_stops_the_run() {
        let stop = AtomicBool::new(false);
        let r = run_ordered(
            0..1000,
            10,
            2,
            &stop,
            || Ok(()),
            |_, t, _| if t == 555 { Err(t) } else { Ok(t) },
            |_, _| Ok(()),
        );
        assert_eq!(r, Err(555));
    }
}
