//! [`MemoryStore`]: exact quota counters in this process.
//!
//! Counters live in a fixed number of shards, each a read-write lock around
//! a hash table of `(quota id, key value) → TAT`, the TAT an `AtomicU64`.
//!
//! - **One quota** (the common case): move the key's TAT with a
//!   compare-and-swap loop, as `governor` does. Concurrent checks of one
//!   key serialise on the CAS, so N threads never get more than the bucket
//!   allows. Each thread remembers a few counters it used again and
//!   again (the `hot` module), so a repeat check touches no lock at all: one hash, one
//!   comparison and the CAS. Otherwise the key is found under the shard's
//!   *read* lock, and readers never block each other.
//! - **Several quotas**: take the *write* locks of every shard involved, in
//!   ascending order (so two calls never deadlock), *freeze* each existing
//!   counter (a marker bit in its TAT, so that a lock-free CAS elsewhere
//!   fails and falls back to the locked path), decide, and write the new
//!   TATs only if every enforced quota allows. That is what makes the
//!   charge all-or-nothing: a CAS per key could not do it without a
//!   rollback that lets other requests see, and be denied by, a charge that
//!   is then undone.
//! - **A new key** takes the write lock to insert.
//!
//! Shards are cache-line aligned, so threads working on different shards do
//! not slow each other down.
//!
//! Memory is bounded: at most `max_keys` counters (spread over the shards),
//! plus the dropped counters that a thread still remembers (at most
//! 16 per thread, freed when the thread moves on or ends).
//! A counter whose bucket is full again (TAT at or before now) carries no
//! information and is dropped by a sweep, which first marks its TAT
//! *evicted* with a CAS (so a thread that remembers it can no longer charge
//! it, and looks the key up again): [`MemoryStore::sweep`], which the
//! host may call from a timer, or automatically when a new key finds its
//! shard full (at most once per `sweep_spacing`, and not before the first
//! counter of the shard can have gone idle, so a flood of new keys cannot
//! turn every check into a sweep). If a shard is still full, a request for
//! a new key fails with [`StoreError::Full`], which the evaluator treats as
//! "store unavailable" (deny, unless `on_store_error = allow`): forgetting a
//! counter that is still counting would hand its client a fresh budget.
//!
//! A key already present is checked without allocating; a new key
//! allocates its entry (and a copy of a text value, at most 64 bytes).

// Re-exported by the `gatehouse` facade: every public item is documented.
#![warn(missing_docs)]

use std::hash::{BuildHasher, Hasher};

/// The default key hasher: foldhash, seeded at random per store, so that
/// clients cannot choose key values that collide, and several times faster
/// than SipHash on short keys.
pub type KeyHasher = foldhash::fast::RandomState;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::gcra::MAX_MICROS;

use hashbrown::HashTable;

use super::gcra::{micros, Gcra, Step};
use super::key::{KeyRef, OwnedKey};
use super::{QuotaCheck, QuotaState, QuotaStore, StoreError};

/// Checks with up to this many quotas keep their bookkeeping on the stack.
const INLINE: usize = 8;

/// TAT values from here up are markers, never times (times are at most
/// [`MAX_MICROS`], 2^52).
const FROZEN: u64 = 1 << 62;
/// The TAT of a counter dropped from its table: nobody can charge it again.
const EVICTED: u64 = u64::MAX;
const _: () = assert!(MAX_MICROS < FROZEN);

/// Every store gets its own number, so that a thread's remembered counters
/// are never used with another store.
static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

/// The in-memory [`QuotaStore`]: exact under concurrency, bounded, and
/// driven by the caller's clock. Share it between threads by reference or
/// in an `Arc`.
pub struct MemoryStore<S = KeyHasher> {
    id: u64,
    shards: Box<[Padded]>,
    hasher: S,
    shard_limit: usize,
    sweep_spacing_us: u64,
}

/// Settings for a [`MemoryStore`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryStoreBuilder {
    shards: usize,
    max_keys: usize,
    sweep_spacing_ms: u64,
}

impl Default for MemoryStoreBuilder {
    fn default() -> Self {
        MemoryStoreBuilder {
            shards: 64,
            max_keys: 1 << 20,
            sweep_spacing_ms: 100,
        }
    }
}

impl MemoryStoreBuilder {
    /// How many independently locked shards (default 64).
    /// Rounded up to a power of two.
    pub fn shards(mut self, shards: usize) -> Self {
        self.shards = shards.max(1).next_power_of_two();
        self
    }

    /// The most counters kept at once (default 2^20, about 100 MiB at
    /// worst), divided evenly between shards.
    pub fn max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = max_keys.max(1);
        self
    }

    /// The least time between two automatic sweeps of one shard (default
    /// 100 ms, in the caller's clock). A sweep of a full shard visits every
    /// counter in it; between sweeps, new keys in a full shard are refused.
    pub fn sweep_spacing_ms(mut self, ms: u64) -> Self {
        self.sweep_spacing_ms = ms;
        self
    }

    /// A store hashing keys with [`KeyHasher`] under a random seed, so
    /// clients cannot choose key values that collide.
    pub fn build(self) -> MemoryStore {
        self.build_with_hasher(KeyHasher::default())
    }

    /// A store with another hasher. Key values come from clients: use a
    /// keyed hasher unless every key is trusted.
    pub fn build_with_hasher<S: BuildHasher>(self, hasher: S) -> MemoryStore<S> {
        let shard_limit = self.max_keys.div_ceil(self.shards).max(1);
        MemoryStore {
            id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
            shards: (0..self.shards)
                .map(|_| Padded(RwLock::new(Shard::default())))
                .collect(),
            hasher,
            shard_limit,
            sweep_spacing_us: micros(self.sweep_spacing_ms),
        }
    }
}

/// A shard on cache lines of its own.
#[repr(align(128))]
struct Padded(RwLock<Shard>);

#[derive(Default)]
struct Shard {
    table: HashTable<Arc<Entry>>,
    /// No automatic sweep before this instant.
    next_sweep_us: u64,
}

struct Entry {
    hash: u64,
    id: Arc<str>,
    key: OwnedKey,
    /// Moved by CAS, with or without the read lock; frozen and evicted
    /// (see [`FROZEN`], [`EVICTED`]) only under the write lock.
    tat_us: AtomicU64,
}

impl Entry {
    #[inline(always)]
    fn is(&self, hash: u64, id: &Arc<str>, key: &KeyRef<'_>) -> bool {
        self.hash == hash && (Arc::ptr_eq(&self.id, id) || self.id == *id) && self.key.matches(key)
    }

    /// Marks the counter evicted if its bucket is full at `now_us`; false
    /// if it is still counting (or a CAS elsewhere just charged it).
    /// Under the write lock.
    fn try_evict(&self, now_us: u64) -> bool {
        let tat = self.tat_us.load(Ordering::Relaxed);
        tat <= now_us
            && self
                .tat_us
                .compare_exchange(tat, EVICTED, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

/// Per-check bookkeeping for a call with several quotas.
#[derive(Clone, Default)]
struct Prepared<'a> {
    key: KeyRef<'a>,
    hash: u64,
    /// Index of the check's shard among the locked ones.
    slot: usize,
    /// The TAT this check starts from: the stored one, or an earlier
    /// check's of the same counter in this call.
    stored: u64,
    step: Step,
    /// The index of the first check of the same counter in this call.
    first: usize,
    /// The counter is not in the table yet.
    new_counter: bool,
    /// At a counter's first check: the counter, frozen, and the TAT it
    /// takes when it thaws.
    frozen: Option<Arc<Entry>>,
    final_tat: u64,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new()
    }
}

impl MemoryStore {
    /// A store with the default settings.
    pub fn new() -> MemoryStore {
        MemoryStoreBuilder::default().build()
    }

    /// Settings for a store other than the default: shards, key limit,
    /// sweep spacing.
    pub fn builder() -> MemoryStoreBuilder {
        MemoryStoreBuilder::default()
    }
}

// Nothing panics while a shard is locked, and its data is plain numbers
// that are consistent after every write, so a poisoned lock is usable.
#[inline]
fn read(shard: &Padded) -> RwLockReadGuard<'_, Shard> {
    shard.0.read().unwrap_or_else(PoisonError::into_inner)
}

fn write(shard: &Padded) -> RwLockWriteGuard<'_, Shard> {
    shard.0.write().unwrap_or_else(PoisonError::into_inner)
}

/// Moves a TAT by compare-and-swap: exact for one key under any number of
/// threads. (Relaxed is enough: the TAT is the only value involved.) None
/// when the counter is frozen or evicted: look it up under the lock.
#[inline]
fn cas_step(tat: &AtomicU64, gcra: Gcra, now_us: u64, cost: u64) -> Option<Step> {
    let mut current = tat.load(Ordering::Relaxed);
    loop {
        if current >= FROZEN {
            return None;
        }
        let step = gcra.step(current, now_us, cost);
        if !step.allowed {
            return Some(step);
        }
        match tat.compare_exchange_weak(current, step.tat_us, Ordering::Relaxed, Ordering::Relaxed)
        {
            Ok(_) => return Some(step),
            Err(actual) => current = actual,
        }
    }
}

impl<S: BuildHasher> MemoryStore<S> {
    /// How many counters are kept.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| read(s).table.len()).sum()
    }

    /// No counter is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every counter whose bucket is full at `now_ms`; returns how
    /// many. Such counters carry no information: a new one starts full.
    pub fn sweep(&self, now_ms: u64) -> usize {
        let now_us = micros(now_ms);
        self.shards
            .iter()
            .map(|shard| {
                let mut shard = write(shard);
                let before = shard.table.len();
                shard.table.retain(|e| !e.try_evict(now_us));
                before - shard.table.len()
            })
            .sum()
    }

    /// The keyed hash of the value, mixed with the quota's fixed id hash
    /// (clients choose values, not ids, so the mix stays unpredictable).
    #[inline(always)]
    fn hash(&self, id_hash: u64, key: &KeyRef<'_>) -> u64 {
        let mut hasher = self.hasher.build_hasher();
        match key {
            KeyRef::Absent => hasher.write_u8(0),
            KeyRef::Ip(std::net::IpAddr::V4(ip)) => {
                hasher.write_u64(0x100_0000_0000 | u64::from(ip.to_bits()))
            }
            KeyRef::Ip(std::net::IpAddr::V6(ip)) => hasher.write_u128(ip.to_bits()),
            // One value alone needs no terminator; equal hashes of different
            // variants are told apart by `Entry::is`.
            KeyRef::Text(text) => hasher.write(text.as_bytes()),
            KeyRef::Int(n) => hasher.write_i64(*n),
            KeyRef::Digest(d) => hasher.write(d),
        }
        hasher.finish() ^ id_hash.rotate_left(29)
    }

    #[inline]
    fn shard_index(&self, hash: u64) -> usize {
        // The high bits (hashbrown uses the low ones within the shard); the
        // shard count is a power of two.
        ((hash >> 40) as usize) & (self.shards.len().saturating_sub(1))
    }

    #[inline]
    fn shard(&self, index: usize) -> Result<&Padded, StoreError> {
        self.shards.get(index).ok_or(StoreError::Full)
    }

    /// Makes room for `needed` new counters in a locked shard, sweeping if
    /// allowed. The sweep cannot drop a counter the call is about to
    /// update: the call has frozen it, and a frozen TAT is never idle.
    fn make_room(&self, shard: &mut Shard, now_us: u64, needed: usize) -> Result<(), StoreError> {
        if shard.table.len().saturating_add(needed) <= self.shard_limit {
            return Ok(());
        }
        if now_us < shard.next_sweep_us {
            return Err(StoreError::Full);
        }
        let mut earliest = u64::MAX;
        shard.table.retain(|e| {
            if e.try_evict(now_us) {
                return false;
            }
            // A counter this call froze is not idle.
            let tat = e.tat_us.load(Ordering::Relaxed);
            if tat < FROZEN {
                earliest = earliest.min(tat);
            }
            true
        });
        // Nothing can go idle before the earliest TAT left.
        shard.next_sweep_us = earliest.max(now_us.saturating_add(self.sweep_spacing_us));
        if shard.table.len().saturating_add(needed) <= self.shard_limit {
            Ok(())
        } else {
            Err(StoreError::Full)
        }
    }

    /// The common case: one quota, one shard.
    #[inline]
    fn check_one(
        &self,
        now_us: u64,
        check: &QuotaCheck<'_>,
        state: &mut QuotaState,
    ) -> Result<(), StoreError> {
        let (gcra, cost, id) = (check.spec.gcra(), check.spec.cost(), &check.spec.id);
        let key = check.key.normalize();
        let hash = self.hash(check.spec.id_hash, &key);
        let step = match hot::step(
            self.id,
            hash,
            |e| e.is(hash, id, &key),
            |e| cas_step(&e.tat_us, gcra, now_us, cost),
        ) {
            Ok(step) => step,
            Err(wanted) => {
                let (step, entry) = self.check_one_locked(now_us, check, &key, hash, wanted)?;
                if let Some(entry) = entry {
                    hot::remember(self.id, hash, entry);
                }
                step
            }
        };
        *state = gcra.state(step.tat_us, now_us, cost, step.allowed, step.allowed);
        Ok(())
    }

    /// One quota through the shard's locks; also the counter if `wanted`,
    /// for the thread to remember (none when a denied new key was not
    /// stored).
    #[inline(never)]
    fn check_one_locked(
        &self,
        now_us: u64,
        check: &QuotaCheck<'_>,
        key: &KeyRef<'_>,
        hash: u64,
        wanted: bool,
    ) -> Result<(Step, Option<Arc<Entry>>), StoreError> {
        let keep = |entry: &Arc<Entry>| wanted.then(|| Arc::clone(entry));
        let (gcra, cost, id) = (check.spec.gcra(), check.spec.cost(), &check.spec.id);
        let padded = self.shard(self.shard_index(hash))?;
        // A known key: a CAS under the read lock, where no counter is frozen
        // or evicted (both happen only under the write lock).
        let known = read(padded)
            .table
            .find(hash, |e| e.is(hash, id, key))
            .map(|e| (cas_step(&e.tat_us, gcra, now_us, cost), keep(e)));
        if let Some((step, entry)) = known {
            return Ok((step.ok_or_else(frozen_under_lock)?, entry));
        }
        // A new key, unless another thread inserted it meanwhile.
        let mut shard = write(padded);
        if let Some(entry) = shard.table.find(hash, |e| e.is(hash, id, key)) {
            let step = cas_step(&entry.tat_us, gcra, now_us, cost).ok_or_else(frozen_under_lock)?;
            return Ok((step, keep(entry)));
        }
        let step = gcra.step(0, now_us, cost);
        if !step.allowed {
            return Ok((step, None));
        }
        self.make_room(&mut shard, now_us, 1)?;
        let entry = Arc::new(Entry {
            hash,
            id: Arc::clone(id),
            key: key.to_owned_key(),
            tat_us: AtomicU64::new(step.tat_us),
        });
        let kept = keep(&entry);
        shard.table.insert_unique(hash, entry, |e| e.hash);
        Ok((step, kept))
    }

    /// Several quotas: lock every shard involved, freeze the counters,
    /// decide all, then charge all or nothing.
    #[inline(never)]
    fn check_many<'s, 'k>(
        &'s self,
        now_us: u64,
        checks: &[QuotaCheck<'k>],
        states: &mut [QuotaState],
        prepared: &mut [Prepared<'k>],
        order: &mut [usize],
        guards: &mut [Option<RwLockWriteGuard<'s, Shard>>],
    ) -> Result<(), StoreError> {
        let outcome = self.decide_many(now_us, checks, states, prepared, order, guards);
        // Whatever happened, every frozen counter gets its value back (or
        // its new one) while the locks are still held.
        for p in prepared.iter_mut() {
            if let Some(entry) = p.frozen.take() {
                entry.tat_us.store(p.final_tat, Ordering::Relaxed);
            }
        }
        outcome
    }

    fn decide_many<'s, 'k>(
        &'s self,
        now_us: u64,
        checks: &[QuotaCheck<'k>],
        states: &mut [QuotaState],
        prepared: &mut [Prepared<'k>],
        order: &mut [usize],
        guards: &mut [Option<RwLockWriteGuard<'s, Shard>>],
    ) -> Result<(), StoreError> {
        for ((p, c), o) in prepared.iter_mut().zip(checks).zip(order.iter_mut()) {
            p.key = c.key.normalize();
            p.hash = self.hash(c.spec.id_hash, &p.key);
            *o = self.shard_index(p.hash);
        }
        // Lock the distinct shards in ascending order.
        order.sort_unstable();
        let mut distinct: usize = 0;
        for i in 0..order.len() {
            let value = order.get(i).copied();
            let previous = distinct.checked_sub(1).and_then(|j| order.get(j)).copied();
            if let (Some(value), true) = (value, value != previous) {
                if let Some(slot) = order.get_mut(distinct) {
                    *slot = value;
                }
                distinct += 1;
            }
        }
        let order: &[usize] = order.get(..distinct).unwrap_or_default();
        for (guard, &index) in guards.iter_mut().zip(order) {
            *guard = Some(write(self.shard(index)?));
        }

        // Freeze every counter and decide every quota against its TAT.
        let mut all_allowed = true;
        for i in 0..checks.len() {
            let (before, rest) = prepared.split_at_mut_checked(i).ok_or(StoreError::Full)?;
            let (Some(p), Some(c)) = (rest.first_mut(), checks.get(i)) else {
                break;
            };
            p.slot = order.binary_search(&self.shard_index(p.hash)).unwrap_or(0);
            // The same counter twice in one call: the second sees the first.
            let earlier = before
                .iter()
                .zip(checks)
                .rposition(|(q, d)| q.hash == p.hash && q.key == p.key && d.spec.id == c.spec.id)
                .and_then(|e| before.get(e));
            if let Some(earlier) = earlier {
                p.first = earlier.first;
                p.new_counter = earlier.new_counter;
                p.stored = earlier.step.tat_us;
            } else {
                p.first = i;
                let shard = guards
                    .get(p.slot)
                    .and_then(Option::as_ref)
                    .ok_or(StoreError::Full)?;
                match shard
                    .table
                    .find(p.hash, |e| e.is(p.hash, &c.spec.id, &p.key))
                {
                    Some(entry) => {
                        // Counters in the table are never evicted, and only
                        // this call freezes them.
                        let tat = entry.tat_us.fetch_or(FROZEN, Ordering::Relaxed);
                        if tat >= FROZEN {
                            return Err(frozen_under_lock());
                        }
                        p.frozen = Some(Arc::clone(entry));
                        p.final_tat = tat;
                        p.stored = tat;
                    }
                    None => {
                        p.new_counter = true;
                        p.stored = 0;
                    }
                }
            }
            p.step = c.spec.gcra().step(p.stored, now_us, c.spec.cost());
            if !p.step.allowed && !c.spec.is_shadow() {
                all_allowed = false;
            }
        }

        if all_allowed {
            // Room for the new counters first, so that a full store changes
            // nothing.
            for (slot, guard) in guards.iter_mut().enumerate().take(order.len()) {
                let Some(shard) = guard.as_deref_mut() else {
                    continue;
                };
                // Each new counter once, at its first check.
                let needed = prepared
                    .iter()
                    .enumerate()
                    .filter(|&(i, p)| {
                        p.slot == slot && p.step.allowed && p.new_counter && p.first == i
                    })
                    .count();
                self.make_room(shard, now_us, needed)?;
            }
            // A frozen counter takes its new TAT when it thaws (the last
            // charge of it in the call, which includes the earlier ones).
            for i in 0..prepared.len() {
                let Some(p) = prepared.get(i) else { break };
                if p.step.allowed && !p.new_counter {
                    let (first, tat) = (p.first, p.step.tat_us);
                    if let Some(first) = prepared.get_mut(first) {
                        first.final_tat = tat;
                    }
                }
            }
            // A new counter: no other thread can know it before the locks go.
            for (p, c) in prepared
                .iter()
                .zip(checks)
                .filter(|(p, _)| p.step.allowed && p.new_counter)
            {
                let shard = guards
                    .get_mut(p.slot)
                    .and_then(Option::as_deref_mut)
                    .ok_or(StoreError::Full)?;
                // Inserted already if the call charges it twice.
                match shard
                    .table
                    .find(p.hash, |e| e.is(p.hash, &c.spec.id, &p.key))
                {
                    Some(entry) => entry.tat_us.store(p.step.tat_us, Ordering::Relaxed),
                    None => {
                        let entry = Arc::new(Entry {
                            hash: p.hash,
                            id: Arc::clone(&c.spec.id),
                            key: p.key.to_owned_key(),
                            tat_us: AtomicU64::new(p.step.tat_us),
                        });
                        shard.table.insert_unique(p.hash, entry, |e| e.hash);
                    }
                }
            }
        }

        for ((p, c), state) in prepared.iter().zip(checks).zip(states.iter_mut()) {
            let charged = all_allowed && p.step.allowed;
            let tat = if charged { p.step.tat_us } else { p.stored };
            *state = c
                .spec
                .gcra()
                .state(tat, now_us, c.spec.cost(), p.step.allowed, charged);
        }
        Ok(())
    }
}

/// A counter frozen or evicted where the locks say none can be: a bug, and
/// a denial rather than a guess.
#[cold]
fn frozen_under_lock() -> StoreError {
    StoreError::BadReply("a quota counter was found frozen under its lock".to_string())
}

impl<S: BuildHasher> QuotaStore for MemoryStore<S> {
    fn check(
        &self,
        now_ms: u64,
        checks: &[QuotaCheck<'_>],
        states: &mut [QuotaState],
    ) -> Result<(), StoreError> {
        if checks.len() != states.len() {
            return Err(StoreError::StatesLength {
                checks: checks.len(),
                states: states.len(),
            });
        }
        let now_us = micros(now_ms);
        match (checks, states) {
            ([], []) => Ok(()),
            ([check], [state]) => self.check_one(now_us, check, state),
            (checks, states) => self.check_several(now_us, checks, states),
        }
    }
}

impl<S: BuildHasher> MemoryStore<S> {
    /// Several quotas, with bookkeeping on the stack for up to eight.
    #[inline(never)]
    fn check_several(
        &self,
        now_us: u64,
        checks: &[QuotaCheck<'_>],
        states: &mut [QuotaState],
    ) -> Result<(), StoreError> {
        match (checks, states) {
            (checks, states) if checks.len() <= INLINE => {
                let n = checks.len();
                let mut prepared: [Prepared<'_>; INLINE] = Default::default();
                let mut order = [0usize; INLINE];
                let mut guards: [Option<RwLockWriteGuard<'_, Shard>>; INLINE] = Default::default();
                self.check_many(
                    now_us,
                    checks,
                    states,
                    prepared.get_mut(..n).unwrap_or_default(),
                    order.get_mut(..n).unwrap_or_default(),
                    guards.get_mut(..n).unwrap_or_default(),
                )
            }
            (checks, states) => {
                let n = checks.len();
                let mut prepared = vec![Prepared::default(); n];
                let mut order = vec![0usize; n];
                let mut guards: Vec<Option<RwLockWriteGuard<'_, Shard>>> =
                    (0..n).map(|_| None).collect();
                self.check_many(
                    now_us,
                    checks,
                    states,
                    &mut prepared,
                    &mut order,
                    &mut guards,
                )
            }
        }
    }
}

/// The counters each thread used last, so that a repeat check of a key
/// takes no lock.
///
/// A remembered counter stays valid because every way a counter changes
/// hands goes through its TAT: a sweep marks it [`EVICTED`] before dropping
/// it and a call with several quotas marks it [`FROZEN`] while deciding,
/// both with an atomic operation that a lock-free CAS cannot slip past. A
/// thread that finds either marker looks the key up under the lock.
///
/// Remembering costs two atomic reference-count updates (the new counter's
/// and the one it replaces), more than the lock it saves once, so a counter
/// is remembered only on its second lookup in a row at its slot: a thread
/// serving many clients in turn pays nothing for the cache.
///
/// Not on WebAssembly, where one thread has no contention to avoid (and
/// locks cost nothing), and the module's size counts: there every lookup
/// takes the locked path, which is the path every first lookup takes here.
#[cfg(not(target_family = "wasm"))]
mod hot {
    use std::cell::RefCell;
    use std::sync::Arc;

    use super::{Entry, Step};

    /// Counters remembered per thread (direct-mapped by hash).
    pub const SLOTS: usize = 16;

    struct Slot {
        /// The store and hash of the last lookup that missed here.
        missed: (u64, u64),
        remembered: Option<Remembered>,
    }

    struct Remembered {
        store: u64,
        /// The counter's hash, so that a miss reads no counter.
        hash: u64,
        entry: Arc<Entry>,
    }

    thread_local! {
        static HOT: RefCell<[Slot; SLOTS]> = const {
            RefCell::new([const { Slot { missed: (0, 0), remembered: None } }; SLOTS])
        };
    }

    #[inline(always)]
    fn slot(hash: u64) -> usize {
        // Bits that neither the shard index (40..) nor hashbrown's control
        // bytes (57..) use.
        ((hash >> 20) as usize) % SLOTS
    }

    /// Charges the remembered counter of `store` with `hash` that `is` the
    /// key, if there is one and it is neither frozen nor evicted. On a
    /// miss, whether the caller should remember the counter it finds
    /// under the lock (the same counter missed here last time too).
    #[inline(always)]
    pub fn step(
        store: u64,
        hash: u64,
        is: impl FnOnce(&Entry) -> bool,
        charge: impl FnOnce(&Entry) -> Option<Step>,
    ) -> Result<Step, bool> {
        HOT.try_with(|hot| {
            let mut hot = hot.try_borrow_mut().map_err(|_| false)?;
            let slot = hot.get_mut(slot(hash)).ok_or(false)?;
            if let Some(remembered) = &slot.remembered {
                if remembered.hash == hash && remembered.store == store && is(&remembered.entry) {
                    if let Some(step) = charge(&remembered.entry) {
                        return Ok(step);
                    }
                }
            }
            let again = slot.missed == (store, hash);
            slot.missed = (store, hash);
            Err(again)
        })
        .unwrap_or(Err(false))
    }

    /// Remembers a counter of `store`, in place of whatever had its slot.
    pub fn remember(store: u64, hash: u64, entry: Arc<Entry>) {
        let forgotten = HOT.try_with(|hot| {
            let mut hot = hot.try_borrow_mut().ok()?;
            let slot = hot.get_mut(slot(hash))?;
            slot.remembered.replace(Remembered { store, hash, entry })
        });
        // The counter it replaced may be freed here, outside the borrow.
        drop(forgotten);
    }

    #[cfg(test)]
    mod tests {
        fn wants(store: u64, hash: u64) -> bool {
            super::step(store, hash, |_| true, |_| None).unwrap_err()
        }

        #[test]
        fn a_counter_is_wanted_on_its_second_miss_in_a_row() {
            let hash = 0xABCD_EF01_2345_6789;
            assert!(!wants(1, hash));
            assert!(wants(1, hash));
            // Another store's counter at the same slot takes its turn.
            assert!(!wants(2, hash));
            assert!(!wants(1, hash));
            assert!(wants(1, hash));
        }
    }
}

#[cfg(target_family = "wasm")]
mod hot {
    use std::sync::Arc;

    use super::{Entry, Step};

    #[inline(always)]
    pub fn step(
        _store: u64,
        _hash: u64,
        _is: impl FnOnce(&Entry) -> bool,
        _charge: impl FnOnce(&Entry) -> Option<Step>,
    ) -> Result<Step, bool> {
        Err(false)
    }

    #[inline(always)]
    pub fn remember(_store: u64, _hash: u64, _entry: Arc<Entry>) {}
}

impl<S> std::fmt::Debug for MemoryStore<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("shards", &self.shards.len())
            .field("shard_limit", &self.shard_limit)
            .finish_non_exhaustive()
    }
}
