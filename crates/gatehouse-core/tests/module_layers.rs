//! The modules of a crate depend on each other one way: text -> AST ->
//! model -> tree -> decision, with leaf modules (spans, JSON lexing,
//! patterns) below. Cargo enforces that between crates; within a crate
//! nothing does, so this test reads the sources of gatehouse-core and
//! gatehouse-tools and fails on a cycle between their top-level modules
//! (`use crate::x` or a `crate::x::..` path in `y`, and the reverse).
//!
//! It reads text, not the compiler's view: doc comments and test modules
//! are skipped, and that is enough for the `crate::` paths this code uses.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeMap<String, String>>;

#[test]
fn core_modules_have_no_cycle() {
    assert_acyclic(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
}

#[test]
fn tools_modules_have_no_cycle() {
    assert_acyclic(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../gatehouse-tools/src"));
}

/// The detector itself: a cycle is found, and a layered graph passes.
#[test]
fn a_cycle_is_found() {
    let mut graph = Graph::new();
    edge(&mut graph, "eval", "payload", "eval.rs");
    edge(&mut graph, "payload", "json", "payload.rs");
    assert_eq!(find_cycle(&graph), None);
    edge(&mut graph, "payload", "eval", "payload.rs");
    assert_eq!(
        find_cycle(&graph),
        Some(vec!["eval".into(), "payload".into(), "eval".into()])
    );
}

fn assert_acyclic(src: &Path) {
    let graph = module_graph(src);
    assert!(graph.len() > 3, "no modules read in {}", src.display());
    if let Some(cycle) = find_cycle(&graph) {
        let evidence: Vec<String> = cycle
            .windows(2)
            .map(|w| format!("  {} -> {}: {}", w[0], w[1], graph[&w[0]][&w[1]]))
            .collect();
        panic!(
            "modules of {} depend on each other in a cycle: {}\n{}",
            src.display(),
            cycle.join(" -> "),
            evidence.join("\n")
        );
    }
}

fn edge(graph: &mut Graph, from: &str, to: &str, evidence: &str) {
    graph
        .entry(from.to_string())
        .or_default()
        .entry(to.to_string())
        .or_insert_with(|| evidence.to_string());
}

/// Top-level module -> the top-level modules it names, with one line that
/// shows it.
fn module_graph(src: &Path) -> Graph {
    let mut graph = Graph::new();
    for file in rust_files(src) {
        let relative = file.strip_prefix(src).unwrap();
        let top = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if top == "lib" || top == "main" || relative.ends_with("tests.rs") {
            continue;
        }
        graph.entry(top.clone()).or_default();
        let text = std::fs::read_to_string(&file).unwrap();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.starts_with("#[cfg(test)]") {
                break;
            }
            if line.starts_with("//") {
                continue;
            }
            for target in crate_paths(line) {
                if target != top {
                    let evidence = format!("{}:{}: {line}", relative.display(), number + 1);
                    edge(&mut graph, &top, &target, &evidence);
                }
            }
        }
    }
    // Only edges between this crate's own modules matter (`crate::syntax`
    // in gatehouse-core is a re-exported crate, not a module).
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for targets in graph.values_mut() {
        targets.retain(|target, _| modules.contains(target));
    }
    graph
}

/// The modules a line names: `crate::eval::decide` and `crate::{eval, tree}`.
fn crate_paths(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in line.match_indices("crate::") {
        let rest = &line[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = group.split('}').next().unwrap_or("");
            for part in group.split(',') {
                found.push(identifier(part.trim()));
            }
        } else {
            found.push(identifier(rest));
        }
    }
    found.retain(|m| !m.is_empty() && m.starts_with(|c: char| c.is_ascii_lowercase()));
    found
}

fn identifier(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// A cycle as a path that ends where it starts, if there is one.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flat_map(|t| t.keys()) {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, graph, &mut Vec::new(), &mut done) {
            return Some(cycle);
        }
    }
    None
}
