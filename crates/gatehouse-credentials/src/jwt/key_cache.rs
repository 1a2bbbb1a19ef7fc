//! [`KeyCache`]: when an issuer's keys are fetched, how long they are
//! trusted, and what happens when fetching fails. A state machine with the
//! time passed in (Unix seconds), so that every transition is tested
//! without a clock or a network; `fetch.rs` drives it.
//!
//! - Fresh keys (fetched less than `ttl` ago) are used as they are.
//! - Stale keys are still used while a refresh is tried; if fetching keeps
//!   failing, they keep working until the grace deadline (`ttl + grace`
//!   after the last successful fetch), then no key is usable and tokens are
//!   refused `keys_unavailable`: fail closed.
//! - A token naming an unknown `kid` (a rotation) may trigger one refetch.
//! - Fetches of one issuer are at least `min_refetch_interval` apart,
//!   whatever triggers them, so a flood of tokens with made-up `kid`s costs
//!   the issuer one request per interval, not one per token. The limit is
//!   per cache; an [`Authenticator`](crate::Authenticator) gives the
//!   schemes of one key source one cache, so it is per issuer (or `jwks`
//!   URL).

use std::sync::Arc;

use super::keys::KeySet;

/// How long keys are trusted and how often they may be fetched, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyCachePolicy {
    /// How long fetched keys are fresh: 600 (ten minutes) by default.
    pub ttl: u64,
    /// How long stale keys keep working while fetching fails: 3600 (an
    /// hour) by default, so an issuer's short outage refuses no token.
    pub grace: u64,
    /// The least time between two fetches: 30 by default.
    pub min_refetch_interval: u64,
}

impl Default for KeyCachePolicy {
    fn default() -> KeyCachePolicy {
        KeyCachePolicy {
            ttl: 600,
            grace: 3600,
            min_refetch_interval: 30,
        }
    }
}

/// One issuer's keys and when they were fetched.
#[derive(Clone, Debug)]
pub struct KeyCache {
    policy: KeyCachePolicy,
    keys: Option<Arc<KeySet>>,
    /// When `keys` were fetched.
    fetched_at: u64,
    /// When the last fetch started, successful or not.
    last_attempt: Option<u64>,
    /// Fixed keys (from configuration) are never stale and never fetched.
    fixed: bool,
}

impl KeyCache {
    /// A cache with no keys yet: it needs a fetch before any token is
    /// accepted.
    pub fn new(policy: KeyCachePolicy) -> KeyCache {
        KeyCache {
            policy,
            keys: None,
            fetched_at: 0,
            last_attempt: None,
            fixed: false,
        }
    }

    /// A cache holding configured keys (inline or from a file) for good:
    /// never stale, never fetched.
    pub fn fixed(keys: KeySet) -> KeyCache {
        KeyCache {
            policy: KeyCachePolicy::default(),
            keys: Some(Arc::new(keys)),
            fetched_at: 0,
            last_attempt: None,
            fixed: true,
        }
    }

    /// The policy.
    pub fn policy(&self) -> KeyCachePolicy {
        self.policy
    }

    /// The keys usable at `now`: none before the first successful fetch or
    /// after the grace deadline.
    pub fn keys(&self, now: u64) -> Option<&Arc<KeySet>> {
        let keys = self.keys.as_ref()?;
        match self.grace_deadline() {
            Some(deadline) if now >= deadline => None,
            _ => Some(keys),
        }
    }

    /// When the keys stop being usable unless a fetch succeeds; `None` for
    /// fixed keys (never) and for no keys (already).
    pub fn grace_deadline(&self) -> Option<u64> {
        if self.fixed || self.keys.is_none() {
            return None;
        }
        Some(
            self.fetched_at
                .saturating_add(self.policy.ttl)
                .saturating_add(self.policy.grace),
        )
    }

    /// Whether the keys should be fetched at `now`: there are none or they
    /// are stale, and the rate limit allows a fetch.
    pub fn needs_refresh(&self, now: u64) -> bool {
        if self.fixed {
            return false;
        }
        let stale = self.keys.is_none() || now >= self.fetched_at.saturating_add(self.policy.ttl);
        stale && self.may_fetch(now)
    }

    /// Whether a token naming a `kid` the keys do not hold should trigger a
    /// refetch at `now` (the issuer may have rotated its keys): only if the
    /// rate limit allows one.
    pub fn should_refetch_for_unknown_kid(&self, now: u64) -> bool {
        !self.fixed && self.may_fetch(now)
    }

    /// Whether the rate limit allows a fetch at `now`.
    fn may_fetch(&self, now: u64) -> bool {
        self.last_attempt.is_none_or(|last| {
            now >= last.saturating_add(self.policy.min_refetch_interval) || now < last
        })
    }

    /// Records that a fetch starts at `now`; `false` (and nothing recorded)
    /// if the rate limit forbids it, so that of many callers racing to
    /// refresh, one fetches.
    pub fn begin_fetch(&mut self, now: u64) -> bool {
        if self.fixed || !self.may_fetch(now) {
            return false;
        }
        self.last_attempt = Some(now);
        true
    }

    /// Records a successful fetch at `now`: these keys replace the old ones.
    pub fn fetch_succeeded(&mut self, keys: KeySet, now: u64) {
        self.keys = Some(Arc::new(keys));
        self.fetched_at = now;
    }

    /// Records a failed fetch: the old keys stay until their grace
    /// deadline. (The attempt itself was recorded by `begin_fetch`.)
    pub fn fetch_failed(&mut self, _now: u64) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> KeyCachePolicy {
        KeyCachePolicy {
            ttl: 100,
            grace: 50,
            min_refetch_interval: 10,
        }
    }

    #[test]
    fn empty_cache_needs_a_fetch_and_has_no_keys() {
        let mut cache = KeyCache::new(policy());
        assert!(cache.keys(0).is_none());
        assert!(cache.needs_refresh(0));
        assert!(cache.begin_fetch(0));
        // A second caller at the same moment does not fetch too.
        assert!(!cache.begin_fetch(5));
        assert!(!cache.needs_refresh(5));
        cache.fetch_failed(5);
        assert!(cache.keys(5).is_none());
        assert!(cache.needs_refresh(10));
    }

    #[test]
    fn stale_keys_work_until_the_grace_deadline() {
        let mut cache = KeyCache::new(policy());
        assert!(cache.begin_fetch(1000));
        cache.fetch_succeeded(KeySet::default(), 1000);
        assert!(!cache.needs_refresh(1099));
        assert!(cache.needs_refresh(1100));
        assert!(cache.begin_fetch(1100));
        cache.fetch_failed(1100);
        assert!(cache.keys(1149).is_some());
        assert_eq!(cache.grace_deadline(), Some(1150));
        assert!(cache.keys(1150).is_none());
        // A later success makes them usable again.
        assert!(cache.begin_fetch(1200));
        cache.fetch_succeeded(KeySet::default(), 1200);
        assert!(cache.keys(1200).is_some());
    }

    #[test]
    fn unknown_kids_refetch_at_most_once_an_interval() {
        let mut cache = KeyCache::new(policy());
        assert!(cache.begin_fetch(0));
        cache.fetch_succeeded(KeySet::default(), 0);
        assert!(!cache.should_refetch_for_unknown_kid(9));
        assert!(cache.should_refetch_for_unknown_kid(10));
        assert!(cache.begin_fetch(10));
        assert!(!cache.should_refetch_for_unknown_kid(19));
        // A clock that went backwards does not lock fetching out.
        assert!(cache.should_refetch_for_unknown_kid(3));
    }

    #[test]
    fn fixed_keys_never_expire_or_fetch() {
        let mut cache = KeyCache::fixed(KeySet::default());
        assert!(cache.keys(u64::MAX).is_some());
        assert!(!cache.needs_refresh(u64::MAX));
        assert!(!cache.should_refetch_for_unknown_kid(0));
        assert!(!cache.begin_fetch(0));
        assert_eq!(cache.grace_deadline(), None);
    }
}
