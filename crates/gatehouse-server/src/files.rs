//! Policy files: every `.gate` file named or found below the configured
//! paths, read into one source set.

use std::path::{Path, PathBuf};

use gatehouse::Sources;

/// Every `.gate` file named or found below `paths`, sorted within each
/// directory so that loading is reproducible.
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

/// A path with forward slashes, so that names are the same on every
/// platform.
pub fn display_name(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}
