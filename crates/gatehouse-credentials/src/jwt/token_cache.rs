//! The verified-token cache: a token seen and verified before is found by
//! its text and answers with the same shared principal, without a
//! signature check.
//!
//! Why the text and not a digest of it: a hit must prove that the request
//! carries exactly the token that was verified, and only the token itself
//! or a cryptographic digest of it can. SHA-256 of a 600-byte token costs
//! about 400 ns here, three times a whole cached lookup's budget; comparing
//! against the kept text costs a few nanoseconds. Envoy's `jwt_authn`
//! cache is keyed the same way, by the token string. The cost is that the
//! cache holds the bearer tokens it verified, until they expire: memory
//! the process already had them in, as requests.
//!
//! - **Finding** an entry hashes the token's length and last 32 bytes (the
//!   end of the signature, which differs between any two tokens, where the
//!   header and the start of the payload are the same for every token of an
//!   issuer) with a fast hash (Fx) under a per-cache random seed. Only tokens that verified are
//!   ever inserted, so a client cannot fill a bucket with colliding entries.
//! - **Confirming** a hit compares the whole token in constant time (a word
//!   at a time, no early exit): how long a prefix of a probe matches a
//!   cached token, which could otherwise be timed, is never computed.
//!
//! Entries expire with their token (`exp` plus the leeway), and only
//! then: a token verified once stays accepted until it expires even if its
//! key is later withdrawn from the key set or the keys become unavailable,
//! as with any stateless bearer token that was handed out. When the cache
//! is full, the entry whose token expires first makes room (expired entries
//! are the first such): it has the least time left to save work for, and
//! it needs no bookkeeping on a hit, so a hit stays one lookup under one
//! lock.

use std::collections::BTreeSet;
use std::hash::{BuildHasher, RandomState};

use rustc_hash::FxSeededState;
use std::sync::{Arc, Mutex, PoisonError};

use gatehouse::Principal;
use hashbrown::HashTable;
use subtle::ConstantTimeEq;

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

/// A cached token: its text, its entry, and what finds it again.
struct Slot {
    token: Box<[u8]>,
    hash: u64,
    /// The insertion number: tells apart slots with the same expiry in
    /// `Inner::by_expiry`.
    serial: u64,
    entry: Entry,
}

struct Inner {
    slots: HashTable<Slot>,
    /// Slots by the time they stop being valid (then by serial), for
    /// eviction; each with its hash, to find the slot.
    by_expiry: BTreeSet<(u64, u64, u64)>,
    next_serial: u64,
}

impl Inner {
    fn find(&self, hash: u64, token: &[u8]) -> Option<&Slot> {
        self.slots.find(hash, |slot| same_token(&slot.token, token))
    }

    fn remove_matching(&mut self, hash: u64, matches: impl Fn(&Slot) -> bool) {
        if let Ok(found) = self.slots.find_entry(hash, matches) {
            let (slot, _) = found.remove();
            self.by_expiry
                .remove(&(slot.entry.valid_until, slot.serial, slot.hash));
        }
    }
}

/// A bounded map from verified tokens to their principals, shared by
/// threads.
pub(crate) struct TokenCache {
    capacity: usize,
    hasher: FxSeededState,
    inner: Mutex<Inner>,
}

impl TokenCache {
    pub(crate) fn new(capacity: usize) -> TokenCache {
        TokenCache {
            capacity,
            hasher: FxSeededState::with_seed(random_seed()),
            inner: Mutex::new(Inner {
                slots: HashTable::new(),
                by_expiry: BTreeSet::new(),
                next_serial: 0,
            }),
        }
    }

    fn hash(&self, token: &[u8]) -> u64 {
        let tail = token
            .len()
            .checked_sub(32)
            .and_then(|start| token.get(start..))
            .unwrap_or(token);
        self.hasher.hash_one((token.len(), tail))
    }

    /// The entry for `token`, if there is one (valid or not: the caller
    /// checks the expiry against its `now`).
    pub(crate) fn get(&self, token: &str) -> Option<Entry> {
        if self.capacity == 0 {
            return None;
        }
        let token = token.as_bytes();
        let hash = self.hash(token);
        // A panic elsewhere while holding the lock cannot leave the table
        // half-updated in a way that matters (each update is one insert or
        // remove), so a poisoned lock is used as it is.
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.find(hash, token).map(|slot| slot.entry.clone())
    }

    /// Drops the entry for `token` (found expired).
    pub(crate) fn remove(&self, token: &str) {
        let token = token.as_bytes();
        let hash = self.hash(token);
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.remove_matching(hash, |slot| same_token(&slot.token, token));
    }

    /// Keeps `entry` for `token`, making room if the cache is full.
    pub(crate) fn insert(&self, token: &str, entry: Entry) {
        if self.capacity == 0 {
            return;
        }
        let token = token.as_bytes();
        let hash = self.hash(token);
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.remove_matching(hash, |slot| same_token(&slot.token, token));
        while inner.slots.len() >= self.capacity {
            let Some((_, serial, first_hash)) = inner.by_expiry.pop_first() else {
                break;
            };
            inner.remove_matching(first_hash, |slot| slot.serial == serial);
        }
        let serial = inner.next_serial;
        inner.next_serial = serial.wrapping_add(1);
        inner.by_expiry.insert((entry.valid_until, serial, hash));
        inner.slots.insert_unique(
            hash,
            Slot {
                token: token.into(),
                hash,
                serial,
                entry,
            },
            |slot| slot.hash,
        );
    }

    /// How many entries the cache holds.
    pub(crate) fn len(&self) -> usize {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.slots.len()
    }
}

/// A seed for the table's hash, different in every cache and process:
/// drawn from the standard library's own per-process random keys.
fn random_seed() -> usize {
    RandomState::new().hash_one(0u8) as usize
}

/// Whether two tokens are the same, in time that depends only on their
/// lengths: every word is compared, with no early exit.
fn same_token(kept: &[u8], probe: &[u8]) -> bool {
    if kept.len() != probe.len() {
        return false;
    }
    let mut difference = 0u64;
    let ((kept_words, kept_tail), (probe_words, probe_tail)) =
        (kept.as_chunks::<8>(), probe.as_chunks::<8>());
    for (a, b) in kept_words.iter().zip(probe_words) {
        difference |= u64::from_ne_bytes(*a) ^ u64::from_ne_bytes(*b);
    }
    for (a, b) in kept_tail.iter().zip(probe_tail) {
        difference |= u64::from(a ^ b);
    }
    bool::from(difference.ct_eq(&0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
        cache.insert("a", entry(300));
        cache.insert("b", entry(100));
        cache.insert("c", entry(200));
        assert_eq!(cache.len(), 2);
        assert!(cache.get("b").is_none());
        assert!(cache.get("a").is_some() && cache.get("c").is_some());
        cache.remove("a");
        assert_eq!(cache.len(), 1);
        // Inserting the same token again replaces, never duplicates.
        cache.insert("c", entry(400));
        cache.insert("c", entry(500));
        assert_eq!(cache.len(), 1);
        assert!(cache.get("c").is_some_and(|e| e.valid_until == 500));
    }

    #[test]
    fn same_expiry_entries_are_evicted_one_at_a_time() {
        let cache = TokenCache::new(2);
        cache.insert("a", entry(100));
        cache.insert("b", entry(100));
        cache.insert("c", entry(100));
        assert_eq!(cache.len(), 2);
        assert!(cache.get("a").is_none());
        assert!(cache.get("b").is_some() && cache.get("c").is_some());
    }

    #[test]
    fn a_token_that_differs_only_before_its_last_32_bytes_is_a_miss() {
        // Same length, same tail, so the same hash: only the whole-token
        // comparison tells them apart.
        let tail = "x".repeat(40);
        let (kept, forged) = (
            format!("eyJhbGc.AAAA.{tail}"),
            format!("eyJhbGc.AAAB.{tail}"),
        );
        let cache = TokenCache::new(10);
        cache.insert(&kept, entry(100));
        assert!(cache.get(&kept).is_some());
        assert!(cache.get(&forged).is_none());
        assert!(cache.get(&kept[1..]).is_none());
    }

    #[test]
    fn zero_capacity_caches_nothing() {
        let cache = TokenCache::new(0);
        cache.insert("a", entry(1));
        assert!(cache.get("a").is_none());
    }

    proptest! {
        #[test]
        fn same_token_is_byte_equality(a in proptest::collection::vec(any::<u8>(), 0..40),
                                       flip in any::<prop::sample::Index>(),
                                       bit in 0u8..8) {
            prop_assert!(same_token(&a, &a));
            let mut b = a.clone();
            if !b.is_empty() {
                let i = flip.index(b.len());
                if let Some(byte) = b.get_mut(i) {
                    *byte ^= 1 << bit;
                }
                prop_assert!(!same_token(&a, &b));
            }
            b.push(0);
            prop_assert!(!same_token(&a, &b));
        }
    }
}
