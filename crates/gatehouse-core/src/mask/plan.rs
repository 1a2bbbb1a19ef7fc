//! The mask plan: an endpoint's `mask response` and `response only` paths
//! compiled into one deterministic automaton over path steps.
//!
//! Each JSON path is a small NFA: position `i` of a path means "the first
//! `i` steps matched"; `.key`, `["key"]`, `[*]`, `.*` and `[N]` advance on
//! one matching element, and `..key` also loops on any element. At compile
//! time ([`MaskPlan::compile`], called by [`crate::compile`]) the NFAs of
//! every mask path and every allow-list path are combined by subset
//! construction into a DFA whose states say what to do with the value at
//! that place ([`Entry`]) and where each member key or array index leads.
//! The alphabet is infinite (any key, any index), so each state keeps a
//! table of the keys and indices its paths name plus one "any other key"
//! and one "any other index" transition.
//!
//! [`crate::mask::apply`] walks this DFA while it tokenizes a response: one
//! table look-up per object member or array element, and none at all inside
//! a subtree no path can reach ([`Entry::Copy`]), which is copied verbatim.

use std::collections::{BTreeSet, HashMap};

use crate::model::{JsonPath, JsonStep, KeepEnd, Mask, MaskStrategy, ResponseOnly};

/// The most DFA states one endpoint's paths may compile to. Ordinary
/// policies need a handful; only many `..` steps each followed by several
/// more steps can approach it. The checker reports an endpoint that exceeds
/// it, so a loaded policy never has an unusable plan.
pub const MAX_STATES: usize = 4096;

/// What masking does to a value that is kept: the strategies other than
/// `remove` (a removed value is dropped like one outside the allow-list).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Redact,
    Null,
    Hash,
    Email,
    Keep { end: KeepEnd, count: u32 },
}

/// What to do with the value at a place in the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// No path can match here or below, and the allow-list keeps it all:
    /// copy the value verbatim (after validating it).
    Copy,
    /// Leave it out: outside the allow-list, or masked with `remove`.
    Drop,
    /// Replace the whole value by a mask strategy. With `filter` the place
    /// is only an ancestor of allow-listed fields: a scalar is dropped (the
    /// allow-list decides first), a container is replaced.
    Mask { action: Action, filter: bool },
    /// Keep the value and look up each member or element. With `filter`,
    /// the place is only an ancestor of allow-listed fields: a container is
    /// kept (with only the members that lead somewhere), a scalar dropped.
    Walk { filter: bool },
}

/// A DFA state id.
pub type StateId = u32;

#[derive(Clone, Debug)]
struct State {
    entry: Entry,
    /// Sorted by key bytes.
    keys: Box<[(Box<[u8]>, StateId)]>,
    other_key: StateId,
    /// Sorted by index.
    indices: Box<[(u64, StateId)]>,
    other_index: StateId,
}

/// Why a plan could not be compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanError {
    /// The paths need more than [`MAX_STATES`] automaton states.
    TooComplex,
}

/// An endpoint's masks and allow-list, compiled. Built once per endpoint at
/// compile time; applying it never allocates per path.
#[derive(Clone, Debug)]
pub struct MaskPlan {
    /// State 0 is the document root.
    states: Vec<State>,
    /// Some mask uses `hash`, so a hash key must be configured.
    needs_hash_key: bool,
    /// Set only by [`MaskPlan::unusable`]: every application fails.
    unusable: bool,
}

impl Default for MaskPlan {
    /// The plan of an endpoint with no masks and no allow-list: validate and
    /// copy.
    fn default() -> MaskPlan {
        MaskPlan {
            states: vec![State::leaf(Entry::Copy)],
            needs_hash_key: false,
            unusable: false,
        }
    }
}

impl State {
    fn leaf(entry: Entry) -> State {
        State {
            entry,
            keys: Box::new([]),
            other_key: 0,
            indices: Box::new([]),
            other_index: 0,
        }
    }
}

/// A position in one path's NFA: (path number, steps matched).
type Pos = (u16, u16);

/// The identity of a DFA state during construction.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Copy,
    Drop,
    Mask(Action, bool),
    /// Live mask positions; live allow-list positions (`None`: keep all).
    Walk(Vec<Pos>, Option<Vec<Pos>>),
}

/// One element of a document path.
#[derive(Clone, Copy)]
enum Elem<'a> {
    Key(&'a str),
    OtherKey,
    Index(u64),
    OtherIndex,
}

/// How much a strategy reveals; when several masks match one value, the
/// one that reveals least applies.
fn strength(strategy: MaskStrategy) -> (u8, u32, u8) {
    match strategy {
        MaskStrategy::Remove => (0, 0, 0),
        MaskStrategy::Null => (1, 0, 0),
        MaskStrategy::Redact => (2, 0, 0),
        MaskStrategy::Hash => (3, 0, 0),
        MaskStrategy::Email => (4, 0, 0),
        MaskStrategy::Keep { end, count } => (5, count, if end == KeepEnd::First { 0 } else { 1 }),
    }
}

struct Builder<'a> {
    mask_paths: Vec<(&'a [JsonStep], MaskStrategy)>,
    allow_paths: Vec<&'a [JsonStep]>,
    states: Vec<State>,
    ids: HashMap<Key, StateId>,
    /// Walk states whose transitions are not built yet.
    work: Vec<(StateId, Vec<Pos>, Option<Vec<Pos>>)>,
}

impl MaskPlan {
    /// Compiles an endpoint's masks and `response only` paths.
    pub fn compile(
        masks: &[Mask],
        response_only: Option<&ResponseOnly>,
    ) -> Result<MaskPlan, PlanError> {
        let mask_paths: Vec<(&[JsonStep], MaskStrategy)> = masks
            .iter()
            .flat_map(|m| {
                m.paths
                    .iter()
                    .map(move |p| (p.steps.as_slice(), m.strategy))
            })
            .collect();
        let allow_paths: Vec<&[JsonStep]> = response_only
            .map(|r| {
                r.paths
                    .iter()
                    .map(|p: &JsonPath| p.steps.as_slice())
                    .collect()
            })
            .unwrap_or_default();
        if mask_paths.len() > usize::from(u16::MAX) || allow_paths.len() > usize::from(u16::MAX) {
            return Err(PlanError::TooComplex);
        }
        let needs_hash_key = mask_paths.iter().any(|(_, s)| *s == MaskStrategy::Hash);
        let mut builder = Builder {
            mask_paths,
            allow_paths,
            states: Vec::new(),
            ids: HashMap::new(),
            work: Vec::new(),
        };
        // The root: nothing matched yet. Paths never name the root itself
        // (the checker rejects `$` alone), so it is never masked or dropped.
        let masks0: Vec<Pos> = (0..builder.mask_paths.len())
            .map(|p| (p as u16, 0))
            .collect();
        let allow0: Option<Vec<Pos>> = if response_only.is_some() {
            Some(
                (0..builder.allow_paths.len())
                    .map(|p| (p as u16, 0))
                    .collect(),
            )
        } else {
            None
        };
        // Interned first, so the root is state 0.
        builder.intern(builder.classify(masks0, None, allow0))?;
        while let Some((id, masks, allow)) = builder.work.pop() {
            builder.expand(id, &masks, allow.as_deref())?;
        }
        Ok(MaskPlan {
            states: builder.states,
            needs_hash_key,
            unusable: false,
        })
    }

    /// A plan that refuses every response: what the compiler stores when
    /// [`MaskPlan::compile`] fails (the checker reports that case, so a
    /// loaded policy never has one).
    pub fn unusable() -> MaskPlan {
        MaskPlan {
            unusable: true,
            ..MaskPlan::default()
        }
    }

    /// Whether the plan changes nothing: the response is only validated.
    pub fn is_identity(&self) -> bool {
        !self.unusable && self.entry(0) == Entry::Copy
    }

    /// Whether applying the plan needs a hash key in the configuration.
    pub fn needs_hash_key(&self) -> bool {
        self.needs_hash_key
    }

    pub(crate) fn is_unusable(&self) -> bool {
        self.unusable
    }

    /// How many automaton states the plan has (for tests and `tree` dumps).
    pub fn state_count(&self) -> usize {
        self.states.len()
    }

    pub(crate) fn entry(&self, state: StateId) -> Entry {
        self.states
            .get(state as usize)
            .map_or(Entry::Drop, |s| s.entry)
    }

    /// Where an object member with this (decoded) key leads. `None` for a
    /// key that cannot be decoded to Unicode (a lone surrogate escape),
    /// which no path names.
    pub(crate) fn key(&self, state: StateId, key: Option<&[u8]>) -> StateId {
        let Some(s) = self.states.get(state as usize) else {
            return state;
        };
        if let Some(key) = key {
            let found = if s.keys.len() <= 8 {
                s.keys.iter().find(|(k, _)| &**k == key).map(|(_, t)| *t)
            } else {
                s.keys
                    .binary_search_by(|(k, _)| (**k).cmp(key))
                    .ok()
                    .and_then(|i| s.keys.get(i))
                    .map(|(_, t)| *t)
            };
            if let Some(next) = found {
                return next;
            }
        }
        s.other_key
    }

    /// Where an array element with this index leads.
    pub(crate) fn index(&self, state: StateId, index: u64) -> StateId {
        let Some(s) = self.states.get(state as usize) else {
            return state;
        };
        match s.indices.binary_search_by(|(i, _)| i.cmp(&index)) {
            Ok(i) => s.indices.get(i).map_or(s.other_index, |(_, t)| *t),
            Err(_) => s.other_index,
        }
    }
}

impl<'a> Builder<'a> {
    fn mask_steps(&self, path: u16) -> &'a [JsonStep] {
        self.mask_paths
            .get(usize::from(path))
            .map_or(&[], |(s, _)| *s)
    }

    fn allow_steps(&self, path: u16) -> &'a [JsonStep] {
        self.allow_paths
            .get(usize::from(path))
            .copied()
            .unwrap_or(&[])
    }

    /// The state for a set of mask positions (some possibly accepting) and
    /// allow-list positions (`None`: everything is kept).
    fn classify(
        &self,
        masks: Vec<Pos>,
        accepted: Option<MaskStrategy>,
        allow: Option<Vec<Pos>>,
    ) -> Key {
        if let Some(allow) = &allow {
            let accepted_allow = allow
                .iter()
                .any(|&(p, i)| usize::from(i) == self.allow_steps(p).len());
            if accepted_allow {
                return self.classify(masks, accepted, None);
            }
            if allow.is_empty() {
                return Key::Drop;
            }
        }
        match accepted {
            Some(MaskStrategy::Remove) => Key::Drop,
            Some(strategy) => Key::Mask(action(strategy), allow.is_some()),
            None if masks.is_empty() && allow.is_none() => Key::Copy,
            None => Key::Walk(masks, allow),
        }
    }

    fn intern(&mut self, key: Key) -> Result<StateId, PlanError> {
        if let Some(id) = self.ids.get(&key) {
            return Ok(*id);
        }
        if self.states.len() >= MAX_STATES {
            return Err(PlanError::TooComplex);
        }
        let id = StateId::try_from(self.states.len()).map_err(|_| PlanError::TooComplex)?;
        let entry = match &key {
            Key::Copy => Entry::Copy,
            Key::Drop => Entry::Drop,
            Key::Mask(action, filter) => Entry::Mask {
                action: *action,
                filter: *filter,
            },
            Key::Walk(masks, allow) => {
                self.work.push((id, masks.clone(), allow.clone()));
                Entry::Walk {
                    filter: allow.is_some(),
                }
            }
        };
        self.states.push(State {
            other_key: id,
            other_index: id,
            ..State::leaf(entry)
        });
        self.ids.insert(key, id);
        Ok(id)
    }

    /// Builds the transitions of a walk state.
    fn expand(
        &mut self,
        id: StateId,
        masks: &[Pos],
        allow: Option<&[Pos]>,
    ) -> Result<(), PlanError> {
        let mut keys: BTreeSet<&'a str> = BTreeSet::new();
        let mut indices: BTreeSet<u64> = BTreeSet::new();
        let live = masks
            .iter()
            .map(|&(p, i)| self.mask_steps(p).get(usize::from(i)))
            .chain(
                allow
                    .unwrap_or(&[])
                    .iter()
                    .map(|&(p, i)| self.allow_steps(p).get(usize::from(i))),
            );
        for step in live.flatten() {
            match step {
                JsonStep::Child(k) | JsonStep::Descend(k) => {
                    keys.insert(k.as_str());
                }
                JsonStep::Index(n) => {
                    indices.insert(*n);
                }
                JsonStep::Wildcard => {}
            }
        }
        let mut key_table = Vec::with_capacity(keys.len());
        for key in keys {
            let next = self.next(masks, allow, Elem::Key(key))?;
            key_table.push((Box::<[u8]>::from(key.as_bytes()), next));
        }
        let other_key = self.next(masks, allow, Elem::OtherKey)?;
        let mut index_table = Vec::with_capacity(indices.len());
        for index in indices {
            index_table.push((index, self.next(masks, allow, Elem::Index(index))?));
        }
        let other_index = self.next(masks, allow, Elem::OtherIndex)?;
        // Keys compare as bytes; BTreeSet<&str> order is byte order.
        if let Some(state) = self.states.get_mut(id as usize) {
            state.keys = key_table.into_boxed_slice();
            state.other_key = other_key;
            state.indices = index_table.into_boxed_slice();
            state.other_index = other_index;
        }
        Ok(())
    }

    fn next(
        &mut self,
        masks: &[Pos],
        allow: Option<&[Pos]>,
        elem: Elem<'_>,
    ) -> Result<StateId, PlanError> {
        let mut next_masks = Vec::new();
        let mut accepted: Option<MaskStrategy> = None;
        for &(p, i) in masks {
            let steps = self.mask_steps(p);
            for next in step(steps, i, elem) {
                if usize::from(next) == steps.len() {
                    let strategy = self.mask_paths.get(usize::from(p)).map(|(_, s)| *s);
                    if let Some(strategy) = strategy {
                        accepted = Some(match accepted {
                            Some(a) if strength(a) <= strength(strategy) => a,
                            _ => strategy,
                        });
                    }
                } else {
                    next_masks.push((p, next));
                }
            }
        }
        next_masks.sort_unstable();
        next_masks.dedup();
        let next_allow = allow.map(|allow| {
            let mut out = Vec::new();
            for &(p, i) in allow {
                out.extend(step(self.allow_steps(p), i, elem).map(|n| (p, n)));
            }
            out.sort_unstable();
            out.dedup();
            out
        });
        let key = self.classify(next_masks, accepted, next_allow);
        self.intern(key)
    }
}

/// The positions one path reaches from position `i` on one element: none,
/// one, or (for `..key`) the loop and possibly the next step.
fn step(steps: &[JsonStep], i: u16, elem: Elem<'_>) -> impl Iterator<Item = u16> {
    let next = i.saturating_add(1);
    let (stay, advance) = match steps.get(usize::from(i)) {
        None => (false, false),
        Some(JsonStep::Child(k)) => (false, matches!(elem, Elem::Key(e) if e == k)),
        Some(JsonStep::Descend(k)) => (true, matches!(elem, Elem::Key(e) if e == k)),
        Some(JsonStep::Wildcard) => (false, true),
        Some(JsonStep::Index(n)) => (false, matches!(elem, Elem::Index(e) if e == *n)),
    };
    stay.then_some(i).into_iter().chain(advance.then_some(next))
}

fn action(strategy: MaskStrategy) -> Action {
    match strategy {
        // `remove` never becomes an action: classify turns it into a drop.
        MaskStrategy::Remove | MaskStrategy::Redact => Action::Redact,
        MaskStrategy::Null => Action::Null,
        MaskStrategy::Hash => Action::Hash,
        MaskStrategy::Email => Action::Email,
        MaskStrategy::Keep { end, count } => Action::Keep { end, count },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RuleMeta;

    fn path(steps: Vec<JsonStep>) -> JsonPath {
        JsonPath {
            steps,
            text: String::new(),
        }
    }

    fn mask(steps: Vec<JsonStep>, strategy: MaskStrategy) -> Mask {
        Mask {
            paths: vec![path(steps)],
            strategy,
            meta: RuleMeta::default(),
        }
    }

    fn key(s: &str) -> JsonStep {
        JsonStep::Child(s.into())
    }

    #[test]
    fn no_paths_is_identity() {
        let plan = MaskPlan::compile(&[], None).unwrap();
        assert!(plan.is_identity());
        assert_eq!(plan.state_count(), 1);
    }

    #[test]
    fn child_path_masks_only_that_key() {
        let plan = MaskPlan::compile(
            &[mask(vec![key("a"), key("b")], MaskStrategy::Redact)],
            None,
        )
        .unwrap();
        let a = plan.key(0, Some(b"a"));
        assert_eq!(plan.entry(a), Entry::Walk { filter: false });
        assert_eq!(
            plan.entry(plan.key(a, Some(b"b"))),
            Entry::Mask {
                action: Action::Redact,
                filter: false
            }
        );
        assert_eq!(plan.entry(plan.key(a, Some(b"c"))), Entry::Copy);
        assert_eq!(plan.entry(plan.key(0, Some(b"b"))), Entry::Copy);
        assert_eq!(plan.entry(plan.index(0, 0)), Entry::Copy);
    }

    #[test]
    fn descend_matches_at_any_depth() {
        let plan = MaskPlan::compile(
            &[mask(
                vec![JsonStep::Descend("ssn".into())],
                MaskStrategy::Null,
            )],
            None,
        )
        .unwrap();
        let deep = plan.index(plan.key(plan.key(0, Some(b"x")), Some(b"y")), 3);
        assert_eq!(plan.entry(deep), Entry::Walk { filter: false });
        assert_eq!(
            plan.entry(plan.key(deep, Some(b"ssn"))),
            Entry::Mask {
                action: Action::Null,
                filter: false
            }
        );
        assert_eq!(
            plan.entry(plan.key(0, Some(b"ssn"))),
            Entry::Mask {
                action: Action::Null,
                filter: false
            }
        );
    }

    #[test]
    fn least_revealing_mask_wins() {
        let masks = [
            mask(
                vec![key("a")],
                MaskStrategy::Keep {
                    end: KeepEnd::Last,
                    count: 4,
                },
            ),
            mask(vec![JsonStep::Descend("a".into())], MaskStrategy::Hash),
        ];
        let plan = MaskPlan::compile(&masks, None).unwrap();
        assert_eq!(
            plan.entry(plan.key(0, Some(b"a"))),
            Entry::Mask {
                action: Action::Hash,
                filter: false
            }
        );
        assert!(plan.needs_hash_key());
    }

    #[test]
    fn allow_list_keeps_ancestors_and_drops_the_rest() {
        let only = ResponseOnly {
            paths: vec![path(vec![key("user"), key("name")]), path(vec![key("id")])],
            meta: RuleMeta::default(),
        };
        let plan = MaskPlan::compile(&[], Some(&only)).unwrap();
        assert_eq!(plan.entry(0), Entry::Walk { filter: true });
        let user = plan.key(0, Some(b"user"));
        assert_eq!(plan.entry(user), Entry::Walk { filter: true });
        assert_eq!(plan.entry(plan.key(user, Some(b"name"))), Entry::Copy);
        assert_eq!(plan.entry(plan.key(user, Some(b"age"))), Entry::Drop);
        assert_eq!(plan.entry(plan.key(0, Some(b"id"))), Entry::Copy);
        assert_eq!(plan.entry(plan.key(0, Some(b"other"))), Entry::Drop);
        assert_eq!(plan.entry(plan.key(0, None)), Entry::Drop);
    }

    #[test]
    fn exponential_paths_are_refused() {
        // `$..a[*][*]...`: the DFA must remember which of the last n
        // elements were `a`, 2^n states.
        let mut steps = vec![JsonStep::Descend("a".into())];
        steps.extend(std::iter::repeat_n(JsonStep::Wildcard, 14));
        assert_eq!(
            MaskPlan::compile(&[mask(steps, MaskStrategy::Redact)], None).unwrap_err(),
            PlanError::TooComplex
        );
    }
}
