//! The route trie: one per HTTP method, so that a lookup never scans
//! endpoints and never needs a tie-break.
//!
//! Each node has children by kind, tried in specificity order: literal
//! (hashed when there are many), typed parameters, an untyped parameter,
//! `*`, then `**`. A depth-first walk in that order finds the most specific
//! endpoint first: the one whose segment kinds are smallest in lexicographic
//! order, which is exactly the design's "literal > typed > param > * > **".
//! Each node is visited at most once, so the cost is bounded by the path's
//! length and the trie's branching, not by the number of endpoints.

use rustc_hash::FxHashMap;

use crate::model::{MethodRank, ParamType, Segment};

/// Paths with more segments than this are denied (414) before lookup; the
/// lookup's explicit stack has this many frames and never allocates.
pub const MAX_SEGMENTS: usize = 64;

/// Index of an endpoint within its API.
pub type EndpointIndex = u32;

/// Literal children: a short list is scanned; a long one is hashed.
#[derive(Clone, Debug)]
enum Literals {
    Few(Vec<(Box<str>, u32)>),
    Many(FxHashMap<Box<str>, u32>),
}

const FEW: usize = 8;

impl Default for Literals {
    fn default() -> Self {
        Literals::Few(Vec::new())
    }
}

impl Literals {
    fn get(&self, segment: &str) -> Option<u32> {
        match self {
            Literals::Few(list) => list
                .iter()
                .find(|(text, _)| &**text == segment)
                .map(|(_, node)| *node),
            Literals::Many(map) => map.get(segment).copied(),
        }
    }

    fn insert(&mut self, segment: &str, node: u32) {
        match self {
            Literals::Few(list) if list.len() < FEW => list.push((segment.into(), node)),
            Literals::Few(list) => {
                let mut map: FxHashMap<Box<str>, u32> = list.drain(..).collect();
                map.insert(segment.into(), node);
                *self = Literals::Many(map);
            }
            Literals::Many(map) => {
                map.insert(segment.into(), node);
            }
        }
    }

    fn iter(&self) -> Box<dyn Iterator<Item = (&str, u32)> + '_> {
        match self {
            Literals::Few(list) => Box::new(list.iter().map(|(t, n)| (&**t, *n))),
            Literals::Many(map) => {
                let mut items: Vec<_> = map.iter().map(|(t, n)| (&**t, *n)).collect();
                items.sort_unstable();
                Box::new(items.into_iter())
            }
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Node {
    literals: Literals,
    typed: Vec<(ParamType, u32)>,
    param: Option<u32>,
    star: Option<u32>,
    /// The endpoint whose pattern ends here, and how it serves the method.
    here: Option<(EndpointIndex, MethodRank)>,
    /// The endpoint whose pattern ends with `**` here.
    rest: Option<(EndpointIndex, MethodRank)>,
}

/// The routes of one method.
#[derive(Clone, Debug)]
pub struct RouteTrie {
    nodes: Vec<Node>,
}

impl Default for RouteTrie {
    fn default() -> Self {
        RouteTrie {
            nodes: vec![Node::default()],
        }
    }
}

#[derive(Clone, Copy)]
struct Frame {
    node: u32,
    depth: u16,
    /// Which alternative to try next: see `lookup`.
    state: u16,
}

impl RouteTrie {
    /// Adds an endpoint. When two endpoints end at the same node, the one
    /// that serves the method more specifically (exact > `GET` for `HEAD` >
    /// `*`) keeps the slot; equal ranks were rejected by the checker, and the
    /// first one inserted stays.
    pub fn insert(&mut self, path: &[Segment], endpoint: EndpointIndex, rank: MethodRank) {
        let mut node = 0usize;
        for segment in path {
            if let Segment::Rest = segment {
                if let Some(n) = self.nodes.get_mut(node) {
                    keep_better(&mut n.rest, endpoint, rank);
                }
                return;
            }
            node = self.child(node, segment);
        }
        if let Some(n) = self.nodes.get_mut(node) {
            keep_better(&mut n.here, endpoint, rank);
        }
    }

    fn child(&mut self, node: usize, segment: &Segment) -> usize {
        let next = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
        let Some(n) = self.nodes.get_mut(node) else {
            return 0;
        };
        let existing = match segment {
            Segment::Literal(text) => n.literals.get(text),
            Segment::Param {
                ty: ParamType::Any, ..
            } => n.param,
            Segment::Param { ty, .. } => n.typed.iter().find(|(t, _)| t == ty).map(|(_, c)| *c),
            Segment::Star => n.star,
            Segment::Rest => None,
        };
        if let Some(child) = existing {
            return child as usize;
        }
        match segment {
            Segment::Literal(text) => n.literals.insert(text, next),
            Segment::Param {
                ty: ParamType::Any, ..
            } => n.param = Some(next),
            Segment::Param { ty, .. } => n.typed.push((*ty, next)),
            Segment::Star => n.star = Some(next),
            Segment::Rest => {}
        }
        self.nodes.push(Node::default());
        next as usize
    }

    /// The most specific endpoint matching `segments` (already decoded and
    /// validated), found by an iterative depth-first walk.
    #[inline]
    pub fn lookup<'s>(
        &self,
        segment: impl Fn(usize) -> Option<&'s str>,
        count: usize,
    ) -> Option<EndpointIndex> {
        if count > MAX_SEGMENTS {
            return None;
        }

        // Fast path: follow the first alternative at every level, with no
        // stack. If that reaches an endpoint, it is the one the full walk
        // below would find first, since the walk tries the same alternative
        // first at every level. Only a dead end needs the full walk.
        let mut node = self.nodes.first()?;
        let mut depth = 0;
        loop {
            if depth == count {
                if let Some((endpoint, _)) = node.here.or(node.rest) {
                    return Some(endpoint);
                }
                break;
            }
            let text = segment(depth)?;
            let next = node
                .literals
                .get(text)
                .or_else(|| {
                    node.typed
                        .iter()
                        .find(|(ty, _)| ty.accepts(text))
                        .map(|(_, child)| *child)
                })
                .or(node.param)
                .or(node.star);
            match next.and_then(|child| self.nodes.get(child as usize)) {
                Some(child) => {
                    node = child;
                    depth += 1;
                }
                None => {
                    if let Some((endpoint, _)) = node.rest {
                        return Some(endpoint);
                    }
                    break;
                }
            }
        }

        let mut stack = [Frame {
            node: 0,
            depth: 0,
            state: 0,
        }; MAX_SEGMENTS + 1];
        let mut len = 1usize;
        while len > 0 {
            let top = len - 1;
            let frame = stack.get_mut(top)?;
            let node = self.nodes.get(frame.node as usize)?;
            let depth = usize::from(frame.depth);

            // The whole path is consumed: an endpoint ending here, else a
            // `**` here matching zero segments, else backtrack.
            if depth == count {
                if let Some((endpoint, _)) = node.here.or(node.rest) {
                    return Some(endpoint);
                }
                len -= 1;
                continue;
            }

            let text = segment(depth)?;
            let state = usize::from(frame.state);
            frame.state = frame.state.saturating_add(1);
            let typed = node.typed.len();
            let next = match state {
                // 1. a literal child with this exact text
                0 => node.literals.get(text),
                // 2. typed parameters whose type accepts the segment
                s if s <= typed => node
                    .typed
                    .get(s - 1)
                    .filter(|(ty, _)| ty.accepts(text))
                    .map(|(_, c)| *c),
                // 3. an untyped parameter, then 4. `*`: any one segment
                s if s == typed + 1 => node.param,
                s if s == typed + 2 => node.star,
                // 5. `**`: the rest of the path, whatever it is
                s if s == typed + 3 => {
                    if let Some((endpoint, _)) = node.rest {
                        return Some(endpoint);
                    }
                    None
                }
                // every alternative tried: backtrack
                _ => {
                    len -= 1;
                    continue;
                }
            };
            if let Some(child) = next {
                if let Some(slot) = stack.get_mut(len) {
                    *slot = Frame {
                        node: child,
                        depth: frame_depth(depth + 1),
                        state: 0,
                    };
                    len += 1;
                }
            }
        }
        None
    }

    /// Every node and its endpoints, for `gatehouse tree` and invariant
    /// checks: (depth, edge label, here, rest).
    pub fn walk(&self) -> Vec<(usize, String, Option<EndpointIndex>, Option<EndpointIndex>)> {
        let mut out = Vec::new();
        self.walk_node(0, 0, "/".to_string(), &mut out);
        out
    }

    fn walk_node(
        &self,
        node: u32,
        depth: usize,
        label: String,
        out: &mut Vec<(usize, String, Option<EndpointIndex>, Option<EndpointIndex>)>,
    ) {
        let Some(n) = self.nodes.get(node as usize) else {
            return;
        };
        out.push((depth, label, n.here.map(|h| h.0), n.rest.map(|r| r.0)));
        for (text, child) in n.literals.iter() {
            self.walk_node(child, depth + 1, text.to_string(), out);
        }
        for (ty, child) in &n.typed {
            self.walk_node(*child, depth + 1, format!("{{:{}}}", ty.as_str()), out);
        }
        if let Some(child) = n.param {
            self.walk_node(child, depth + 1, "{}".to_string(), out);
        }
        if let Some(child) = n.star {
            self.walk_node(child, depth + 1, "*".to_string(), out);
        }
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
}

fn frame_depth(depth: usize) -> u16 {
    u16::try_from(depth).unwrap_or(u16::MAX)
}

fn keep_better(
    slot: &mut Option<(EndpointIndex, MethodRank)>,
    endpoint: EndpointIndex,
    rank: MethodRank,
) {
    match slot {
        Some((_, existing)) if *existing <= rank => {}
        _ => *slot = Some((endpoint, rank)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(text: &str) -> Vec<Segment> {
        text.split('/')
            .filter(|s| !s.is_empty())
            .map(|s| match s {
                "*" => Segment::Star,
                "**" => Segment::Rest,
                "{int}" => Segment::Param {
                    name: "i".into(),
                    ty: ParamType::Int,
                },
                "{uuid}" => Segment::Param {
                    name: "u".into(),
                    ty: ParamType::Uuid,
                },
                "{}" => Segment::Param {
                    name: "p".into(),
                    ty: ParamType::Any,
                },
                lit => Segment::Literal(lit.into()),
            })
            .collect()
    }

    fn trie(patterns: &[&str]) -> RouteTrie {
        let mut t = RouteTrie::default();
        for (i, p) in patterns.iter().enumerate() {
            t.insert(&pattern(p), i as u32, MethodRank::Exact);
        }
        t
    }

    fn find(t: &RouteTrie, path: &str) -> Option<u32> {
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        t.lookup(|i| segs.get(i).copied(), segs.len())
    }

    #[test]
    fn most_specific_wins() {
        let t = trie(&["/a/b", "/a/{int}", "/a/{}", "/a/*/c", "/a/**", "/", "/{}/b"]);
        assert_eq!(find(&t, "/a/b"), Some(0));
        assert_eq!(find(&t, "/a/42"), Some(1));
        assert_eq!(find(&t, "/a/x"), Some(2));
        assert_eq!(find(&t, "/a/x/c"), Some(3));
        assert_eq!(find(&t, "/a/x/d"), Some(4));
        assert_eq!(find(&t, "/a"), Some(4), "`**` matches zero segments");
        assert_eq!(find(&t, "/"), Some(5));
        assert_eq!(find(&t, "/z/b"), Some(6));
        assert_eq!(find(&t, "/z/c"), None);
    }

    #[test]
    fn backtracks_out_of_a_dead_end() {
        // `/a/b/c` exists, but `/a/b/d` must fall back to `/a/{}/d`.
        let t = trie(&["/a/b/c", "/a/{}/d"]);
        assert_eq!(find(&t, "/a/b/d"), Some(1));
    }

    #[test]
    fn many_literals_are_hashed_and_still_found() {
        let names: Vec<String> = (0..100).map(|i| format!("/r{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let t = trie(&refs);
        for i in 0..100 {
            assert_eq!(find(&t, &format!("/r{i}")), Some(i));
        }
        assert_eq!(find(&t, "/r100"), None);
    }

    #[test]
    fn long_literals_sharing_a_prefix_are_told_apart() {
        for count in [3, 20] {
            let mut patterns: Vec<String> = (0..count).map(|i| format!("/short{i}")).collect();
            patterns.push("/abcdefghijklmnop-one".into());
            patterns.push("/abcdefghijklmnop-two".into());
            let refs: Vec<&str> = patterns.iter().map(String::as_str).collect();
            let t = trie(&refs);
            assert_eq!(find(&t, "/abcdefghijklmnop-one"), Some(count));
            assert_eq!(find(&t, "/abcdefghijklmnop-two"), Some(count + 1));
            assert_eq!(find(&t, "/abcdefghijklmnop-six"), None);
            assert_eq!(find(&t, "/short0"), Some(0));
        }
    }

    proptest::proptest! {
        /// A trie finds exactly the literal paths it holds, whatever their
        /// lengths and shared prefixes, listed or hashed.
        #[test]
        fn literal_lookup_is_exact(
            held in proptest::collection::vec("[ab]{0,3}[a-c]{0,18}", 1..30),
            asked in proptest::collection::vec("[ab]{0,3}[a-c]{0,18}", 0..30),
        ) {
            let patterns: Vec<String> =
                held.iter().filter(|s| !s.is_empty()).map(|s| format!("/{s}")).collect();
            let mut t = RouteTrie::default();
            let mut first = std::collections::HashMap::new();
            for (i, p) in patterns.iter().enumerate() {
                t.insert(&pattern(p), i as u32, MethodRank::Exact);
                first.entry(p.clone()).or_insert(i as u32);
            }
            for s in asked.iter().chain(held.iter()).filter(|s| !s.is_empty()) {
                let path = format!("/{s}");
                proptest::prop_assert_eq!(find(&t, &path), first.get(&path).copied(), "{}", path);
            }
        }
    }

    #[test]
    fn method_rank_keeps_the_more_specific_endpoint() {
        let mut t = RouteTrie::default();
        t.insert(&pattern("/x"), 0, MethodRank::Any);
        t.insert(&pattern("/x"), 1, MethodRank::Exact);
        t.insert(&pattern("/x"), 2, MethodRank::HeadAsGet);
        assert_eq!(find(&t, "/x"), Some(1));
    }

    #[test]
    fn too_many_segments_never_match() {
        let t = trie(&["/**"]);
        let long = "/a".repeat(MAX_SEGMENTS + 1);
        assert_eq!(find(&t, &long), None);
    }
}
