//! The verified-token cache: a token seen and verified before is found by
//! the SHA-256 digest of its text (the cache never holds a token) and
//! answers with the same shared principal, without a signature check.
//!
//! Entries expire with their token (`exp` plus the leeway), and only
//! then: a token verified once stays accepted until it expires even if its
//! key is later withdrawn from the key set or the keys become unavailable,
//! as with any stateless bearer token that was handed out. When the cache is full, the entry whose
//! token expires first makes room (expired entries are the first such): it
//! has the least time left to save work for, and it needs no bookkeeping on
//! a hit, so a hit stays one lookup under one lock.

use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

use gatehouse::Principal;
use sha2::{Digest as _, Sha256};

/// The SHA-256 digest of a token.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Digest([u8; 32]);

impl Digest {
    pub(crate) fn of(token: &str) -> Digest {
        Digest(Sha256::digest(token.as_bytes()).into())
    }
}

impl Hash for Digest {
    /// The first eight bytes: a digest is already uniformly distributed, and
    /// nobody can choose the digest of a token they can get verified.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let [a, b, c, d, e, f, g, h, ..] = self.0;
        state.write_u64(u64::from_le_bytes([a, b, c, d, e, f, g, h]));
    }
}

/// A hasher that keeps the one `u64` a [`Digest`] writes.
#[derive(Default)]
struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `Digest` is hashed with this hasher, and it calls `write_u64`;
        // mix anything else in anyway rather than assume so.
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A verified token's principal and the times it is valid between (the
/// leeway included), so that a hit re-checks them against the caller's
/// `now`.
#[derive(Clone)]
pub(crate) struct Entry {
    pub principal: Arc<Principal>,
    /// The token's `exp`.
    pub exp: u64,
    /// `nbf` less the leeway (0 without `nbf`).
    pub valid_from: u64,
    /// `exp` plus the leeway.
    pub valid_until: u64,
}

struct Inner {
    entries: HashMap<Digest, Entry, BuildHasherDefault<DigestHasher>>,
    /// Entries by the time they stop being valid, for eviction.
    by_expiry: BTreeSet<(u64, Digest)>,
}

/// A bounded map from token digests to verified principals, shared by
/// threads.
pub(crate) struct TokenCache {
    capacity: usize,
    inner: Mutex<Inner>,
}

impl TokenCache {
    pub(crate) fn new(capacity: usize) -> TokenCache {
        TokenCache {
            capacity,
            inner: Mutex::new(Inner {
                entries: HashMap::default(),
                by_expiry: BTreeSet::new(),
            }),
        }
    }

    /// The entry for `digest`, if there is one (valid or not: the caller
    /// checks the expiry against its `now`).
    pub(crate) fn get(&self, digest: &Digest) -> Option<Entry> {
        if self.capacity == 0 {
            return None;
        }
        // A panic elsewhere while holding the lock cannot leave the map
        // half-updated in a way that matters (each update is one insert or
        // remove), so a poisoned lock is used as it is.
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.entries.get(digest).cloned()
    }

    /// Drops the entry for `digest` (found expired).
    pub(crate) fn remove(&self, digest: &Digest) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = inner.entries.remove(digest) {
            inner.by_expiry.remove(&(entry.valid_until, *digest));
        }
    }

    /// Keeps `entry` for `digest`, making room if the cache is full.
    pub(crate) fn insert(&self, digest: Digest, entry: Entry) {
        if self.capacity == 0 {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(old) = inner.entries.remove(&digest) {
            inner.by_expiry.remove(&(old.valid_until, digest));
        }
        while inner.entries.len() >= self.capacity {
            let Some((_, first)) = inner.by_expiry.pop_first() else {
                break;
            };
            inner.entries.remove(&first);
        }
        inner.by_expiry.insert((entry.valid_until, digest));
        inner.entries.insert(digest, entry);
    }

    /// How many entries the cache holds.
    pub(crate) fn len(&self) -> usize {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(valid_until: u64) -> Entry {
        Entry {
            principal: Arc::new(Principal::new("user", "alice")),
            exp: valid_until,
            valid_from: 0,
            valid_until,
        }
    }

    #[test]
    fn full_cache_evicts_the_soonest_to_expire() {
        let cache = TokenCache::new(2);
        let (a, b, c) = (Digest::of("a"), Digest::of("b"), Digest::of("c"));
        cache.insert(a, entry(300));
        cache.insert(b, entry(100));
        cache.insert(c, entry(200));
        assert_eq!(cache.len(), 2);
        assert!(cache.get(&b).is_none());
        assert!(cache.get(&a).is_some() && cache.get(&c).is_some());
        cache.remove(&a);
        assert_eq!(cache.len(), 1);
        // Inserting the same digest again replaces, never duplicates.
        cache.insert(c, entry(400));
        cache.insert(c, entry(500));
        assert_eq!(cache.len(), 1);
        assert!(cache.get(&c).is_some_and(|e| e.valid_until == 500));
    }

    #[test]
    fn zero_capacity_caches_nothing() {
        let cache = TokenCache::new(0);
        cache.insert(Digest::of("a"), entry(1));
        assert!(cache.get(&Digest::of("a")).is_none());
    }
}
