//! Reload on change: the policy files (and any new `.gate` file under a
//! policy directory), the key sets and the key store are watched; a change
//! reloads after a short quiet period, so that an editor's save or a
//! `gatehouse keys` write (a new file renamed over the old one) is one
//! reload, not several. A reload that fails keeps the last good set
//! serving ([`Gate::reload`]).
//!
//! Directories are watched, not files: a file replaced by a rename is a new
//! file, which a watch on the old one would never see.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::sync::{mpsc, watch};

use crate::gate::Gate;

/// How long the files must be quiet before a reload.
pub const QUIET: Duration = Duration::from_millis(200);

/// What to watch for a configuration: directories (recursively for policy
/// directories) and the files whose changes matter.
#[derive(Debug, Default, PartialEq, Eq)]
struct Watched {
    /// Policy directories: any `.gate` file below them.
    policy_dirs: BTreeSet<PathBuf>,
    /// Files: policy files named directly, the key store, the key sets.
    files: BTreeSet<PathBuf>,
}

impl Watched {
    fn of(gate: &Gate) -> Watched {
        let mut watched = Watched::default();
        for path in &gate.config().policies {
            if path.is_dir() {
                watched.policy_dirs.insert(absolute(path));
            } else {
                watched.files.insert(absolute(path));
            }
        }
        for file in &gate.loaded().files {
            let file = absolute(file);
            if !watched.policy_dirs.iter().any(|dir| file.starts_with(dir)) {
                watched.files.insert(file);
            }
        }
        watched
    }

    /// Whether a change to `path` matters.
    fn matters(&self, path: &Path) -> bool {
        self.files.contains(path)
            || (path.extension().is_some_and(|e| e == "gate")
                && self.policy_dirs.iter().any(|dir| path.starts_with(dir)))
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Watches the gate's files and reloads on change, until `shutdown`.
/// Returns at once (with a warning logged) if the platform cannot watch:
/// SIGHUP still reloads.
pub async fn reload_on_change(gate: Arc<Gate>, mut shutdown: watch::Receiver<bool>) {
    let (events, mut changes) = mpsc::unbounded_channel::<PathBuf>();
    let handler = move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event {
            for path in event.paths {
                let _ = events.send(path);
            }
        }
    };
    let mut watcher = match notify::recommended_watcher(handler) {
        Ok(watcher) => watcher,
        Err(error) => {
            tracing::warn!(%error, "cannot watch the policy files; reload with SIGHUP");
            return;
        }
    };
    let mut watched = Watched::of(&gate);
    watch_all(&mut watcher, &watched);
    loop {
        let changed = tokio::select! {
            changed = changes.recv() => changed,
            _ = shutdown.changed() => return,
        };
        let Some(first) = changed else { return };
        if !watched.matters(&absolute(&first)) {
            continue;
        }
        // Wait for the watched files to be quiet. Other files in the same
        // directories (an audit log written on every check, say) do not
        // count, or a busy server would never reload.
        let mut deadline = tokio::time::Instant::now() + QUIET;
        loop {
            match tokio::time::timeout_at(deadline, changes.recv()).await {
                Ok(Some(path)) if watched.matters(&absolute(&path)) => {
                    deadline = tokio::time::Instant::now() + QUIET;
                }
                Ok(Some(_)) => {}
                Ok(None) => return,
                Err(_) => break,
            }
        }
        let reloading = Arc::clone(&gate);
        let _ = tokio::task::spawn_blocking(move || reloading.reload()).await;
        // The new set may name other files (a new key set, a new policy).
        let now = Watched::of(&gate);
        if now != watched {
            watched = now;
            watch_all(&mut watcher, &watched);
        }
    }
}

fn watch_all(watcher: &mut impl Watcher, watched: &Watched) {
    let mut dirs: BTreeSet<(PathBuf, bool)> = watched
        .policy_dirs
        .iter()
        .map(|dir| (dir.clone(), true))
        .collect();
    for file in &watched.files {
        if let Some(parent) = file.parent() {
            dirs.insert((parent.to_path_buf(), false));
        }
    }
    for (dir, recursive) in dirs {
        let mode = if recursive {
            RecursiveMode::Recursive
        } else {
            RecursiveMode::NonRecursive
        };
        // Watching the same directory again is harmless.
        if let Err(error) = watcher.watch(&dir, mode) {
            tracing::warn!(%error, dir = %dir.display(), "cannot watch");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_policy_files_and_named_files_matter() {
        let watched = Watched {
            policy_dirs: [PathBuf::from("/srv/policies")].into(),
            files: [PathBuf::from("/srv/keys.json")].into(),
        };
        assert!(watched.matters(Path::new("/srv/policies/pets.gate")));
        assert!(watched.matters(Path::new("/srv/policies/new/users.gate")));
        assert!(watched.matters(Path::new("/srv/keys.json")));
        assert!(!watched.matters(Path::new("/srv/policies/.pets.gate.swp")));
        assert!(!watched.matters(Path::new("/srv/keys.json.tmp")));
        assert!(!watched.matters(Path::new("/srv/other.gate")));
    }
}
