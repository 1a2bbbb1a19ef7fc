//! Replays every committed fuzz input on stable Rust.
//!
//! `fuzz/replay/<target>/` holds each target's minimised corpus and every
//! input that ever found a bug (named `regression-*`). Each file goes
//! through the same property the fuzz target checks; a failure names the
//! file, so `cargo +nightly fuzz run <target> <file>` reproduces it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use gatehouse_fuzz_props::TARGETS;

fn replay_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/replay")
        .join(target)
}

fn replay(target: &str, property: fn(&[u8])) {
    let dir = replay_dir(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (every target keeps a committed corpus)",
                dir.display()
            )
        })
        .map(|entry| {
            entry
                .map(|e| e.path())
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        })
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "{}: only {} inputs; the corpus is missing",
        dir.display(),
        files.len()
    );

    // The inputs split over the machine's cores: the parser's corpus is
    // slow in a debug build.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let share = files.len().div_ceil(workers);
    let mut failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(share.max(1))
            .map(|chunk| {
                scope.spawn(move || {
                    let mut failed = Vec::new();
                    for file in chunk {
                        let data = std::fs::read(file)
                            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
                        if catch_unwind(AssertUnwindSafe(|| property(&data))).is_err() {
                            failed.push(file.display().to_string());
                        }
                    }
                    failed
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|_| vec!["a replay thread panicked".into()])
            })
            .collect()
    });
    failures.sort();
    assert!(
        failures.is_empty(),
        "{target}: {} of {} inputs fail:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn every_target_has_a_corpus_and_a_test() {
    let mut names: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
    names.sort_unstable();
    let mut on_disk: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/fuzz_targets"))
            .expect("fuzz/fuzz_targets")
            .filter_map(|entry| entry.ok()?.path().file_stem()?.to_str().map(str::to_string))
            .collect();
    on_disk.sort();
    assert_eq!(names, on_disk, "every fuzz target is replayed here");
}

macro_rules! replay_tests {
    ($($name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            replay(stringify!($name), gatehouse_fuzz_props::$name::run);
        }
    )*};
}

replay_tests!(
    decide,
    fmt_roundtrip,
    json_limits,
    parse_check,
    path_normalise,
    patterns
);
