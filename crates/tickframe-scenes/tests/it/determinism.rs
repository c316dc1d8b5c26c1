//! The one rule, checked for every built-in scene: the same bytes in any tick order, with one or
//! several threads, on both drawing paths, whatever the buffer held before.

use std::sync::Arc;

use tickframe_core::{DrawMode, Frame, Rgba, Rng, Size};

use crate::common::{all_cases, build, hash_at, renderer};

const SEED: u64 = 42;

fn ticks() -> Vec<u64> {
    // Both early ticks (every frame of the first second) and far ones.
    let mut t: Vec<u64> = (0..70).collect();
    t.extend([119, 120, 121, 599, 600, 1234, 3600]);
    t
}

/// Reference: ticks in order, display list, fresh scene.
fn sequential(params: &tickframe_scenes::Params, size: Size) -> Vec<u128> {
    let scene = build(params, size);
    let mut r = renderer(DrawMode::DisplayList);
    let mut f = Frame::new(size);
    ticks().iter().map(|&t| hash_at(&mut r, &*scene, size, SEED, t, &mut f)).collect()
}

#[test]
fn shuffled_order_direct_path_and_dirty_buffers_give_identical_bytes() {
    let size = Size::new(96, 48).unwrap();
    for (label, params) in all_cases() {
        let expected = sequential(&params, size);
        // A fresh scene (cold checkpoint store), ticks in a seeded shuffled order, direct path,
        // rendering into a buffer full of leftovers.
        let scene = build(&params, size);
        let mut order: Vec<usize> = (0..expected.len()).collect();
        let mut rng = Rng::new(7, 0, 0);
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i as u32 + 1) as usize);
        }
        let mut r = renderer(DrawMode::Direct);
        let mut f = Frame::new(size);
        let ticks = ticks();
        for &i in &order {
            f.fill(Rgba::new(13, 200, 77, 9));
            let h = hash_at(&mut r, &*scene, size, SEED, ticks[i], &mut f);
            assert_eq!(h, expected[i], "{label}: tick {} differs in shuffled order / direct path", ticks[i]);
        }
    }
}

#[test]
fn several_threads_give_identical_bytes() {
    let size = Size::new(64, 32).unwrap();
    for (label, params) in all_cases() {
        let expected = sequential(&params, size);
        let scene = build(&params, size);
        let ticks = Arc::new(ticks());
        let results: Vec<(usize, u128)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..3)
                .map(|worker| {
                    let scene = Arc::clone(&scene);
                    let ticks = Arc::clone(&ticks);
                    s.spawn(move || {
                        let mut r = renderer(DrawMode::DisplayList);
                        let mut f = Frame::new(size);
                        // Each worker takes every third tick, newest first.
                        (0..ticks.len())
                            .rev()
                            .filter(|i| i % 3 == worker)
                            .map(|i| (i, hash_at(&mut r, &*scene, size, SEED, ticks[i], &mut f)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        for (i, h) in results {
            assert_eq!(h, expected[i], "{label}: tick {} differs across threads", ticks[i]);
        }
    }
}

#[test]
fn the_seed_matters_for_random_scenes() {
    let size = Size::new(64, 32).unwrap();
    for (label, params) in all_cases()
        .into_iter()
        .filter(|(l, _)| ["random-pixels", "confetti", "starfield"].contains(&l.as_str()))
    {
        let scene = build(&params, size);
        let mut r = renderer(DrawMode::DisplayList);
        let mut f = Frame::new(size);
        let a = hash_at(&mut r, &*scene, size, 1, 5, &mut f);
        let b = hash_at(&mut r, &*scene, size, 2, 5, &mut f);
        let c = hash_at(&mut r, &*scene, size, 1, 6, &mut f);
        assert_ne!(a, b, "{label}: seed ignored");
        assert_ne!(a, c, "{label}: tick ignored");
    }
}
