//! In-memory quota checks against `governor`'s keyed rate limiter, in the
//! same criterion run, with the same quota (a large one, so every check is
//! allowed and charged: the write path).
//!
//! - `quota_1_thread/*`: one thread, one key.
//! - `quota_1_thread_many_keys/*`: one thread, 4,096 keys in turn.
//! - `quota_2_threads_same_key/*`: two threads hammering one key (the
//!   contended case). The time is per check *on each thread*: the wall time
//!   for `iters` checks on each of two threads, divided by `iters`; the
//!   throughput is twice its inverse.
//! - `quota_2_threads_own_key/*`: two threads, a key each.
//!
//! Ours takes `now` from the caller (the gateway reads its clock once per
//! request, for every quota); `governor` reads its own clock (quanta) per
//! check. So each side is also run the other way: ours reading the system
//! clock per check, governor with a fake clock that reads nothing.
//!
//! Both sides get the key the same way: `black_box(&String)`, a pointer the
//! optimiser cannot see through. (`black_box` of a `&str` itself would make
//! the compiler copy the fat pointer through the stack in odd-sized pieces,
//! a store-forwarding stall of some 20 ns that only the benchmark has.)
//!
//! `cargo bench -p gatehouse-core --bench quota`
// A benchmark may index its fixtures: a panic here is a broken benchmark.
#![allow(clippy::indexing_slicing)]

use std::hint::black_box;
use std::num::NonZeroU32;
use std::sync::Barrier;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use gatehouse_core::quota::{KeyValue, MemoryStore, QuotaCheck, QuotaSpec, QuotaState, QuotaStore};
use governor::clock::{DefaultClock, FakeRelativeClock};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

const RATE: u32 = u32::MAX;
const NOW_MS: u64 = 1_700_000_000_000;

fn spec() -> QuotaSpec {
    QuotaSpec::from_parts(
        "bench:1:GET /pets:principal:1s",
        u64::from(RATE),
        1,
        u64::from(RATE),
    )
}

fn quota() -> Quota {
    let rate = NonZeroU32::new(RATE).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(rate).allow_burst(rate)
}

type Governor = RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>;
type GovernorFake =
    RateLimiter<String, DefaultKeyedStateStore<String>, FakeRelativeClock, NoOpMiddleware<Nanos>>;

/// One check as a gateway makes it. Not inlined into criterion's loop,
/// where LLVM would build the check in a stack slot it shares with the
/// loop's `black_box`ed result, in odd-sized pieces that the store cannot
/// read back from the store buffer (a stall only the benchmark has).
#[inline(never)]
fn ours(store: &MemoryStore, spec: &QuotaSpec, key: &str, now_ms: u64) -> bool {
    let mut states = [QuotaState::default()];
    let checks = [QuotaCheck {
        spec,
        key: KeyValue::Text(key),
    }];
    store.check(now_ms, &checks, &mut states).is_ok() && states[0].allowed
}

fn wall_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Two threads run `f(thread)` `iters` times each; the wall time.
fn two_threads(iters: u64, f: impl Fn(usize) + Sync) -> Duration {
    let barrier = Barrier::new(2);
    let elapsed = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|t| {
                let (barrier, f) = (&barrier, &f);
                scope.spawn(move || {
                    barrier.wait();
                    let start = Instant::now();
                    for _ in 0..iters {
                        f(t);
                    }
                    start.elapsed()
                })
            })
            .collect();
        workers.into_iter().filter_map(|w| w.join().ok()).max()
    });
    elapsed.unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let spec = spec();
    let keys = ["alice".to_string(), "bob".to_string()];

    let mut group = c.benchmark_group("quota_1_thread");
    let store = MemoryStore::new();
    group.bench_function("gatehouse_memory", |b| {
        b.iter(|| ours(&store, &spec, black_box(&keys[0]), NOW_MS))
    });
    let store = MemoryStore::new();
    group.bench_function("gatehouse_memory_reading_clock", |b| {
        b.iter(|| ours(&store, &spec, black_box(&keys[0]), wall_ms()))
    });
    let limiter: Governor = RateLimiter::keyed(quota());
    group.bench_function("governor_keyed", |b| {
        b.iter(|| limiter.check_key(black_box(&keys[0])).is_ok())
    });
    let fake: GovernorFake = RateLimiter::dashmap_with_clock(quota(), FakeRelativeClock::default());
    group.bench_function("governor_keyed_fake_clock", |b| {
        b.iter(|| fake.check_key(black_box(&keys[0])).is_ok())
    });
    group.finish();

    // A gateway serving many clients: each check is for another key than
    // the one before (4,096 keys in turn, all known to the store).
    let many: Vec<String> = (0..4_096).map(|i| format!("client-{i}")).collect();
    let mut group = c.benchmark_group("quota_1_thread_many_keys");
    let store = MemoryStore::new();
    let mut next = 0usize;
    group.bench_function("gatehouse_memory", |b| {
        b.iter(|| {
            next = (next + 1) % many.len();
            ours(&store, &spec, black_box(&many[next]), NOW_MS)
        })
    });
    let limiter: Governor = RateLimiter::keyed(quota());
    group.bench_function("governor_keyed", |b| {
        b.iter(|| {
            next = (next + 1) % many.len();
            limiter.check_key(black_box(&many[next])).is_ok()
        })
    });
    let fake: GovernorFake = RateLimiter::dashmap_with_clock(quota(), FakeRelativeClock::default());
    group.bench_function("governor_keyed_fake_clock", |b| {
        b.iter(|| {
            next = (next + 1) % many.len();
            fake.check_key(black_box(&many[next])).is_ok()
        })
    });
    group.finish();

    for (name, same_key) in [
        ("quota_2_threads_same_key", true),
        ("quota_2_threads_own_key", false),
    ] {
        let key = |t: usize| if same_key { &keys[0] } else { &keys[t % 2] };
        let mut group = c.benchmark_group(name);
        let store = MemoryStore::new();
        group.bench_function(BenchmarkId::new("gatehouse_memory", 2), |b| {
            b.iter_custom(|iters| {
                two_threads(iters, |t| {
                    black_box(ours(&store, &spec, key(t), NOW_MS));
                })
            })
        });
        let limiter: Governor = RateLimiter::keyed(quota());
        group.bench_function(BenchmarkId::new("governor_keyed", 2), |b| {
            b.iter_custom(|iters| {
                two_threads(iters, |t| {
                    black_box(limiter.check_key(key(t)).is_ok());
                })
            })
        });
        let fake: GovernorFake =
            RateLimiter::dashmap_with_clock(quota(), FakeRelativeClock::default());
        group.bench_function(BenchmarkId::new("governor_keyed_fake_clock", 2), |b| {
            b.iter_custom(|iters| {
                two_threads(iters, |t| {
                    black_box(fake.check_key(key(t)).is_ok());
                })
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
