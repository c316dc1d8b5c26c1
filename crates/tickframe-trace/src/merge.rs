//! `tickframe trace merge`: join shard traces into one.

use std::path::{Path, PathBuf};

use tickframe_core::{FrameRate, Size};

use crate::export::{ExportOptions, ExportSummary, Meta, export_frames};
use crate::index::{TraceIndex, read_index};
use crate::store::StoreReader;
use crate::{TraceError, names};

/// Merges shard traces (each made with `--ticks A..B` from the same scene file, seed, size and
/// rate, covering consecutive ranges without gaps or overlaps, in any order) into one trace in
/// `opts.dir`. The frames come from the shards' frame stores; GIF, APNG and frame store are
/// written anew exactly as a single export would write them, so the merged digest and files
/// equal those of one export of the whole range. `opts.ticks` is ignored.
///
/// # Errors
/// [`TraceError::BadInput`] when the shards do not fit together or lack a frame store;
/// [`TraceError::Corrupt`] when a shard's store is damaged.
pub fn merge_traces(shards: &[PathBuf], opts: &ExportOptions<'_>) -> Result<ExportSummary, TraceError> {
    let mut parts: Vec<(PathBuf, TraceIndex)> = Vec::new();
    for dir in shards {
        let index = read_index(dir)?;
        index.check().map_err(|e| TraceError::BadInput(format!("`{}`: {e}", dir.display())))?;
        if index.files.store.is_none() {
            return Err(TraceError::BadInput(format!("`{}` has no frame store to merge", dir.display())));
        }
        parts.push((dir.clone(), index));
    }
    parts.sort_by_key(|(_, i)| i.first_tick);
    let Some((_, first)) = parts.first() else {
        return Err(TraceError::BadInput("no shards given".into()));
    };
    let key = |i: &TraceIndex| (i.scene.source_hash.clone(), i.seed, i.width, i.height, i.rate);
    for pair in parts.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if key(&a.1) != key(&b.1) {
            return Err(TraceError::BadInput(format!(
                "`{}` and `{}` are not shards of the same run (scene, seed, size or rate differ)",
                a.0.display(),
                b.0.display()
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
        formats: opts.formats,
        force: opts.force,
        stop: opts.stop,
        draw: opts.draw,
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
            let rec = &index.frames[(tick - index.first_tick) as usize];
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
        &mut |_| {},
    )
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}
