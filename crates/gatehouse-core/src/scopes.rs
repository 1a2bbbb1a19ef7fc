//! Scope sets as fixed-size bitsets: checking `require` is a few AND
//! instructions and never allocates. A leaf below the tree and the request
//! (a resolved principal holds them too).

use rustc_hash::FxHashMap;

use crate::model::ScopeId;
use crate::model::MAX_SCOPES;

const WORDS: usize = MAX_SCOPES / 64;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScopeSet([u64; WORDS]);

impl ScopeSet {
    pub fn insert(&mut self, id: ScopeId) {
        let index = usize::from(id.0);
        if let Some(word) = self.0.get_mut(index / 64) {
            *word |= 1 << (index % 64);
        }
    }

    pub fn contains(&self, id: ScopeId) -> bool {
        let index = usize::from(id.0);
        self.0
            .get(index / 64)
            .is_some_and(|w| w & (1 << (index % 64)) != 0)
    }

    /// Whether the two sets share a scope.
    pub fn intersects(&self, other: &ScopeSet) -> bool {
        self.0.iter().zip(&other.0).any(|(a, b)| a & b != 0)
    }

    /// The lowest scope in `self` and not in `other`.
    pub fn first_missing_from(&self, other: &ScopeSet) -> Option<ScopeId> {
        self.0
            .iter()
            .zip(&other.0)
            .enumerate()
            .find_map(|(i, (a, b))| {
                let missing = a & !b;
                (missing != 0).then(|| {
                    ScopeId(u16::try_from(i * 64).unwrap_or(0) + missing.trailing_zeros() as u16)
                })
            })
    }

    pub fn from_ids(ids: &[ScopeId]) -> ScopeSet {
        let mut set = ScopeSet::default();
        for id in ids {
            set.insert(*id);
        }
        set
    }

    /// The principal's scopes that the API declares; others are ignored.
    pub fn from_names<'a>(
        index: &FxHashMap<Box<str>, ScopeId>,
        names: impl IntoIterator<Item = &'a str>,
    ) -> ScopeSet {
        let mut set = ScopeSet::default();
        for name in names {
            if let Some(id) = index.get(name) {
                set.insert(*id);
            }
        }
        set
    }
}

/// What a principal holds in one API, resolved once: the index of its
/// scheme among the API's schemes, and its scopes as the API's bitset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Grant {
    pub scheme: Option<u16>,
    pub scopes: ScopeSet,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_operations() {
        let a = ScopeSet::from_ids(&[ScopeId(0), ScopeId(70), ScopeId(511)]);
        assert!(a.contains(ScopeId(70)) && a.contains(ScopeId(511)) && !a.contains(ScopeId(1)));
        let b = ScopeSet::from_ids(&[ScopeId(70)]);
        assert!(a.intersects(&b));
        assert_eq!(a.first_missing_from(&b), Some(ScopeId(0)));
        assert_eq!(b.first_missing_from(&a), None);
        let mut c = ScopeSet::default();
        c.insert(ScopeId(600)); // beyond the limit: ignored, never a panic
        assert_eq!(c, ScopeSet::default());
    }
}
