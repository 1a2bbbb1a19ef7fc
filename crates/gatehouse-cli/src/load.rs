//! Finding and reading policy files.

use std::path::{Path, PathBuf};

use gatehouse::Sources;

/// Every `.gate` file named or found below the given paths, sorted within
/// each directory so output is stable.
pub fn policy_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect(path, &mut files)?;
        } else if path.exists() {
            files.push(path.clone());
        } else {
            return Err(format!("{}: no such file or directory", path.display()));
        }
    }
    if files.is_empty() {
        return Err("no .gate files found".to_string());
    }
    Ok(files)
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "gate") {
            files.push(path);
        }
    }
    Ok(())
}

/// Reads the files into a source set, named by their paths as given.
pub fn read_sources(files: &[PathBuf]) -> Result<Sources, String> {
    let mut sources = Sources::new();
    for file in files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        sources.add(display_name(file), text);
    }
    Ok(sources)
}

/// Paths with forward slashes, so output is the same on every platform.
pub fn display_name(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// Finds, reads, checks and compiles a policy set, printing why not to
/// standard error (the diagnostics, or the unreadable file).
pub fn policy_set(
    paths: &[PathBuf],
    style: crate::render::Style,
) -> Result<gatehouse::PolicySet, crate::exit::Exit> {
    let sources = match policy_files(paths).and_then(|f| read_sources(&f)) {
        Ok(sources) => sources,
        Err(message) => {
            eprintln!("error: {message}");
            return Err(crate::exit::Exit::Usage);
        }
    };
    gatehouse::PolicySet::load(sources).map_err(|error| {
        eprint!(
            "{}",
            crate::render::diagnostics_human(error.diagnostics(), error.sources(), style)
        );
        eprintln!("error: the policy does not load; run `gatehouse check` for details");
        crate::exit::Exit::Usage
    })
}

/// Milliseconds since the Unix epoch: the time a request "arrives" when its
/// JSON gives none. (The library reads no clock; the CLI may.)
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
