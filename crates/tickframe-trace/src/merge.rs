//! `tickframe trace merge`: join shard traces into one.

use std::path::{Path, PathBuf};

use tickframe_core::{FrameRate, Size};

use crate::export::{ExportOptions, ExportSummary, Formats, Meta, export_frames};
use crate::index::{TraceIndex, read_index};
use crate::store::StoreReader;
use crate::{TraceError, names};

/// Merges shard traces (each made with `--ticks A..B` from the same scene file, seed, size and
/// rate, covering consecutive ranges without gaps or overlaps, in any order) into one trace in
/// `opts.dir`. The frames come from the shards' frame stores; the merged trace gets the same
/// files as the shards (which must all have the same ones, a frame store among them), written
/// anew exactly as a single export would write them, so the merged digest and every file
/// (GIF, APNG, frame store, FSEQ) equal those of one export of the whole range. `opts.ticks`
/// and `opts.formats` are ignored. `progress(n)` is called as frames are written.
///
/// # Errors
/// [`TraceError::BadInput`] when a shard's index is inconsistent, its `scene.toml` differs from
/// the hash it recorded, the shards do not fit together, lack a frame store or have different
/// files; [`TraceError::Corrupt`] when a shard's store is damaged.
pub fn merge_traces(
    shards: &[PathBuf],
    opts: &ExportOptions<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<ExportSummary, TraceError> {
    let mut parts: Vec<(PathBuf, TraceIndex)> = Vec::new();
    for dir in shards {
        let index = read_index(dir)?;
        index.check().map_err(|e| TraceError::BadInput(format!("`{}`: {e}", dir.display())))?;
        if index.files.store.is_none() {
            return Err(TraceError::BadInput(format!("`{}` has no frame store to merge", dir.display())));
        }
        let scene = dir.join(names::SCENE);
        let source =
            std::fs::read(&scene).map_err(|e| TraceError::BadInput(format!("`{}`: {e}", scene.display())))?;
        let hash = crate::index::hex128(crate::hash_rgba(&source));
        if hash != index.scene.source_hash {
            return Err(TraceError::BadInput(format!(
                "`{}`: content hash {hash} differs from the {} its index recorded: the shard's scene was edited",
                scene.display(),
                index.scene.source_hash
            )));
        }
        parts.push((dir.clone(), index));
    }
    parts.sort_by_key(|(_, i)| i.first_tick);
    let Some((_, first)) = parts.first() else {
        return Err(TraceError::BadInput("no shards given".into()));
    };
    let key =
        |i: &TraceIndex| (i.scene.source_hash.clone(), i.seed, i.clock.clone(), i.width, i.height, i.rate);
    let formats_of = |i: &TraceIndex| Formats {
        gif: i.files.gif.is_some(),
        apng: i.files.apng.is_some(),
        store: i.files.store.is_some(),
        fseq: i.files.fseq.is_some(),
    };
    for pair in parts.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if key(&a.1) != key(&b.1) {
            return Err(TraceError::BadInput(format!(
                "`{}` and `{}` are not shards of the same run (scene, seed, clock start, size or rate differ)",
                a.0.display(),
                b.0.display()
            )));
        }
        if formats_of(&a.1) != formats_of(&b.1) {
            return Err(TraceError::BadInput(format!(
                "`{}` and `{}` hold different files ({:?} and {:?}): export every shard with the same --format",
                a.0.display(),
                b.0.display(),
                formats_of(&a.1),
                formats_of(&b.1)
            )));
        }
        let end = a.1.first_tick + a.1.frame_count;
        if end != b.1.first_tick {
            return Err(TraceError::BadInput(format!(
                "`{}` ends at tick {end} but `{}` starts at tick {}: shards must be consecutive, without gaps or overlaps",
                a.0.display(),
                b.0.display(),
                b.1.first_tick
            )));
        }
    }
    let last = &parts[parts.len() - 1].1;
    let ticks = first.first_tick..last.first_tick + last.frame_count;
    let source = std::fs::read_to_string(parts[0].0.join(names::SCENE))
        .map_err(|e| TraceError::BadInput(format!("`{}`: {e}", parts[0].0.join(names::SCENE).display())))?;
    let meta = Meta {
        scene: first.scene.clone(),
        source,
        seed: first.seed,
        clock: first.clock.clone(),
        size: Size::new(first.width, first.height).map_err(|e| TraceError::BadInput(e.to_string()))?,
        rate: FrameRate::new(first.rate.num, first.rate.den)
            .map_err(|e| TraceError::BadInput(e.to_string()))?,
    };
    for (dir, _) in &parts {
        if same_dir(dir, &opts.dir) {
            return Err(TraceError::BadInput(format!(
                "the output `{}` is one of the shards",
                opts.dir.display()
            )));
        }
    }
    let opts = ExportOptions {
        dir: opts.dir.clone(),
        ticks,
        workers: opts.workers,
        formats: formats_of(first),
        force: opts.force,
        stop: opts.stop,
        draw: opts.draw,
        clock: first.clock.clone(),
    };
    let parts = &parts;
    export_frames(
        &meta,
        &opts,
        || {
            parts
                .iter()
                .map(|(d, i)| Ok((i.ticks(), StoreReader::open(&d.join(names::STORE))?, i)))
                .collect::<Result<Vec<_>, TraceError>>()
        },
        |readers, tick, out| {
            let Some((_, r, index)) = readers.iter_mut().find(|(range, _, _)| range.contains(&tick)) else {
                return Err(TraceError::BadInput(format!("no shard holds tick {tick}")));
            };
            let Some(rec) = index.record(tick) else {
                return Err(TraceError::BadInput(format!("no shard holds tick {tick}")));
            };
            let bytes = r.frame(tick)?;
            if crate::index::parse_hex128(&rec.hash) != Some(crate::hash_rgba(bytes)) {
                return Err(TraceError::corrupt(
                    names::STORE,
                    Some(tick),
                    "shard frame differs from its index",
                ));
            }
            out.clear();
            out.extend_from_slice(bytes);
            Ok((rec.render_us, rec.entry))
        },
        progress,
    )
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}
