//! Clock-driven tests of the in-memory store and the quota table: time is a
//! number the test chooses, so nothing sleeps.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::*;
use crate::model::QuotaKey;
use crate::{CompiledSet, Principal, Request};

const T0: u64 = 1_700_000_000_000; // ms

fn check(
    store: &impl QuotaStore,
    now_ms: u64,
    checks: &[QuotaCheck<'_>],
) -> (Verdict, Vec<QuotaState>) {
    let mut states = vec![QuotaState::default(); checks.len()];
    store.check(now_ms, checks, &mut states).unwrap();
    (Verdict::from_states(checks, &states, |i| i), states)
}

fn one(store: &impl QuotaStore, now_ms: u64, spec: &QuotaSpec, key: &str) -> QuotaState {
    check(
        store,
        now_ms,
        &[QuotaCheck {
            spec,
            key: KeyValue::Text(key),
        }],
    )
    .1[0]
}

fn allowed_count(
    store: &impl QuotaStore,
    now_ms: u64,
    spec: &QuotaSpec,
    key: &str,
    tries: u32,
) -> u32 {
    (0..tries)
        .filter(|_| one(store, now_ms, spec, key).allowed)
        .count() as u32
}

#[test]
fn burst_then_steady_rate() {
    let store = MemoryStore::new();
    let spec = QuotaSpec::from_parts("t:burst", 60, 60, 10); // 1/s, 10 at once
    assert_eq!(allowed_count(&store, T0, &spec, "alice", 50), 10);
    assert_eq!(allowed_count(&store, T0 + 999, &spec, "alice", 50), 0);
    assert_eq!(allowed_count(&store, T0 + 1_000, &spec, "alice", 50), 1);
    // Keys are independent.
    assert_eq!(allowed_count(&store, T0, &spec, "bob", 50), 10);
    // One attempt every 10 ms for a minute after the burst: 60 more.
    let allowed: u32 = (1..=6_000)
        .map(|i| allowed_count(&store, T0 + 1_000 + i * 10, &spec, "alice", 1))
        .sum();
    assert_eq!(allowed, 60);
}

#[test]
fn cost_above_one_spends_several_tokens() {
    let store = MemoryStore::new();
    let spec = QuotaSpec::from_parts("t:cost", 10, 1, 10).with_cost(3);
    assert_eq!(allowed_count(&store, T0, &spec, "k", 10), 3); // 9 of 10
    let state = one(&store, T0, &spec, "k");
    assert!(!state.allowed && !state.charged);
    assert_eq!((state.remaining(), state.retry_after_ms()), (1, 200)); // 2 more tokens, 100 ms each
    assert!(!one(&store, T0 + 199, &spec, "k").allowed);
    assert!(one(&store, T0 + 200, &spec, "k").allowed);
}

#[test]
fn header_values_from_the_store() {
    let store = MemoryStore::new();
    let spec = QuotaSpec::from_parts("t:headers", 100, 60, 20); // T = 600 ms
    let state = one(&store, T0, &spec, "k");
    assert!(state.allowed && state.charged);
    assert_eq!(
        (
            state.limit(),
            state.remaining(),
            state.reset_ms(),
            state.retry_after_ms()
        ),
        (20, 19, 600, 0)
    );
    assert_eq!(allowed_count(&store, T0, &spec, "k", 19), 19);
    let state = one(&store, T0, &spec, "k");
    assert_eq!(
        (
            state.allowed,
            state.remaining(),
            state.reset_secs(),
            state.retry_after_secs()
        ),
        (false, 0, 12, 1)
    );
    assert_eq!(spec.policy_header(), "100;w=60;burst=20");
    let json = serde_json::to_value(state).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"allowed": false, "charged": false, "limit": 20, "remaining": 0, "reset_ms": 12000, "retry_after_ms": 600})
    );
}

#[test]
fn one_denying_quota_charges_none() {
    let store = MemoryStore::new();
    let minute = QuotaSpec::from_parts("t:minute", 5, 60, 5);
    let day = QuotaSpec::from_parts("t:day", 7, 86_400, 7);
    let both = |key| {
        [
            QuotaCheck { spec: &minute, key },
            QuotaCheck { spec: &day, key },
        ]
    };
    let alice = KeyValue::Text("alice");
    for _ in 0..5 {
        assert!(check(&store, T0, &both(alice)).0.allowed);
    }
    // The minute quota denies: the day quota is not charged.
    for _ in 0..10 {
        let (verdict, states) = check(&store, T0, &both(alice));
        assert_eq!((verdict.allowed, verdict.denied), (false, Some(0)));
        assert!(states[1].allowed && !states[1].charged);
        assert_eq!(states[1].remaining(), 2);
        assert_eq!(verdict.report.unwrap().0, 0);
    }
    // A minute later: two more fit in the day, then the day quota denies.
    let later = T0 + 60_000;
    assert!(check(&store, later, &both(alice)).0.allowed);
    let (verdict, states) = check(&store, later, &both(alice));
    assert!(verdict.allowed);
    assert_eq!(verdict.report.unwrap(), (1, states[1])); // the day has fewer left
    let (verdict, states) = check(&store, later, &both(alice));
    assert_eq!(verdict.denied, Some(1));
    assert!(states[0].allowed && !states[0].charged);
    assert_eq!(
        states[0].remaining(),
        3,
        "the minute quota was not charged for the denied request"
    );
}

#[test]
fn shadow_quotas_report_but_never_deny() {
    let store = MemoryStore::new();
    let enforced = QuotaSpec::from_parts("t:enforced", 3, 60, 3);
    let shadow = QuotaSpec::from_parts("t:shadow", 1, 60, 1).with_shadow(true);
    let key = KeyValue::Text("k");
    let checks = [
        QuotaCheck { spec: &shadow, key },
        QuotaCheck {
            spec: &enforced,
            key,
        },
    ];
    let (verdict, states) = check(&store, T0, &checks);
    assert!(verdict.allowed && states[0].charged && verdict.shadow_denied == 0);
    let (verdict, states) = check(&store, T0, &checks);
    assert!(verdict.allowed && !states[0].allowed && !states[0].charged);
    assert_eq!(verdict.shadow_denied, 1);
    assert_eq!(
        verdict.report.unwrap().0,
        1,
        "a shadow quota is never the one reported"
    );
    check(&store, T0, &checks);
    let (verdict, _) = check(&store, T0, &checks);
    assert_eq!(verdict.denied, Some(1));
    // Alone, a shadow quota never denies either.
    let (verdict, _) = check(&store, T0, &checks[..1]);
    assert!(verdict.allowed && verdict.report.is_none());
}

#[test]
fn the_same_counter_twice_in_one_call_counts_twice() {
    let store = MemoryStore::new();
    let spec = QuotaSpec::from_parts("t:twice", 3, 60, 3);
    let key = KeyValue::Text("k");
    let checks = [
        QuotaCheck { spec: &spec, key },
        QuotaCheck { spec: &spec, key },
    ];
    assert!(check(&store, T0, &checks).0.allowed);
    assert_eq!(one(&store, T0, &spec, "k").remaining(), 0);
}

#[test]
fn many_quotas_in_one_call() {
    let store = MemoryStore::new();
    let specs: Vec<QuotaSpec> = (0..20)
        .map(|i| QuotaSpec::from_parts(format!("t:many:{i}"), 2 + i, 60, 2 + i))
        .collect();
    let checks: Vec<QuotaCheck<'_>> = specs
        .iter()
        .map(|spec| QuotaCheck {
            spec,
            key: KeyValue::Int(7),
        })
        .collect();
    assert!(check(&store, T0, &checks).0.allowed);
    assert!(check(&store, T0, &checks).0.allowed);
    let (verdict, states) = check(&store, T0, &checks);
    assert_eq!(verdict.denied, Some(0));
    assert!(states[1..].iter().all(|s| s.allowed && !s.charged));
    assert_eq!(store.len(), 20);
}

#[test]
fn states_must_match_checks() {
    let store = MemoryStore::new();
    let spec = QuotaSpec::from_parts("t", 1, 1, 1);
    let err = store
        .check(
            T0,
            &[QuotaCheck {
                spec: &spec,
                key: KeyValue::Absent,
            }],
            &mut [],
        )
        .unwrap_err();
    assert_eq!(
        err,
        StoreError::StatesLength {
            checks: 1,
            states: 0
        }
    );
}

#[test]
fn idle_keys_are_swept_and_a_full_store_fails_closed() {
    let store = MemoryStore::builder()
        .shards(1)
        .max_keys(3)
        .sweep_spacing_ms(1_000)
        .build();
    let spec = QuotaSpec::from_parts("t:evict", 1, 1, 1); // one per second
    for key in ["a", "b", "c"] {
        assert!(one(&store, T0, &spec, key).allowed);
    }
    assert_eq!(store.len(), 3);
    // A fourth key finds the store full of keys that are still counting.
    let mut states = [QuotaState::default()];
    let d = QuotaCheck {
        spec: &spec,
        key: KeyValue::Text("d"),
    };
    assert_eq!(
        store.check(T0 + 500, &[d], &mut states),
        Err(StoreError::Full)
    );
    // Known keys still work while the store is full.
    assert!(!one(&store, T0 + 500, &spec, "a").allowed);
    // Once their buckets are full again they carry nothing and are dropped,
    // but automatic sweeps of a shard are at least a second apart here.
    assert_eq!(
        store.check(T0 + 1_499, &[d], &mut states),
        Err(StoreError::Full)
    );
    assert!(one(&store, T0 + 1_500, &spec, "d").allowed);
    assert_eq!(store.len(), 1);
    assert!(one(&store, T0 + 1_500, &spec, "e").allowed);
    assert_eq!(store.sweep(T0 + 2_499), 0);
    assert_eq!(store.sweep(T0 + 2_500), 2);
    assert!(store.is_empty());
}

#[test]
fn a_full_store_changes_nothing_for_several_quotas() {
    let store = MemoryStore::builder().shards(1).max_keys(2).build();
    let a = QuotaSpec::from_parts("t:a", 5, 60, 5);
    let b = QuotaSpec::from_parts("t:b", 5, 60, 5);
    let c = QuotaSpec::from_parts("t:c", 5, 60, 5);
    one(&store, T0, &a, "k");
    let mut states = [QuotaState::default(); 2];
    let checks = [
        QuotaCheck {
            spec: &a,
            key: KeyValue::Text("k"),
        },
        QuotaCheck {
            spec: &b,
            key: KeyValue::Text("k"),
        },
    ];
    store.check(T0, &checks, &mut states).unwrap();
    let checks = [
        QuotaCheck {
            spec: &a,
            key: KeyValue::Text("k"),
        },
        QuotaCheck {
            spec: &c,
            key: KeyValue::Text("k"),
        },
    ];
    assert_eq!(store.check(T0, &checks, &mut states), Err(StoreError::Full));
    assert_eq!(
        one(&store, T0, &a, "k").remaining(),
        2,
        "a was charged twice, not three times"
    );
}

#[test]
fn threads_on_one_key_never_exceed_the_limit() {
    let store = Arc::new(MemoryStore::builder().shards(4).build());
    let spec = Arc::new(QuotaSpec::from_parts("t:threads", 1_000, 3_600, 1_000));
    let allowed = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (store, spec, allowed) =
                (Arc::clone(&store), Arc::clone(&spec), Arc::clone(&allowed));
            std::thread::spawn(move || {
                for i in 0..1_000u64 {
                    // The clock moves a little, as it would: 1 ms per 100 tries.
                    if one(&*store, T0 + i / 100, &spec, "hot").allowed {
                        allowed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // 1,000 at once, plus refills at 3.6 s each over 10 ms: none.
    assert_eq!(allowed.load(Ordering::Relaxed), 1_000);
}

#[test]
fn a_sweep_for_room_keeps_the_counters_the_call_updates() {
    // The shard is full of idle counters; a call with several quotas needs
    // room for a new one, sweeps, and must keep (and charge) its own idle
    // counter while dropping the other.
    let store = MemoryStore::builder()
        .shards(1)
        .max_keys(2)
        .sweep_spacing_ms(0)
        .build();
    let a = QuotaSpec::from_parts("t:room-a", 2, 1, 2);
    let b = QuotaSpec::from_parts("t:room-b", 2, 1, 2);
    assert!(one(&store, T0, &a, "k").allowed);
    assert!(one(&store, T0, &a, "other").allowed);
    let later = T0 + 5_000;
    let checks = [
        QuotaCheck {
            spec: &a,
            key: KeyValue::Text("k"),
        },
        QuotaCheck {
            spec: &b,
            key: KeyValue::Text("k"),
        },
    ];
    assert!(check(&store, later, &checks).0.allowed);
    assert_eq!(store.len(), 2, "a:k kept, a:other dropped, b:k added");
    assert_eq!(one(&store, later, &a, "k").remaining(), 0);
}

#[test]
fn a_thread_never_charges_a_counter_of_another_store() {
    // Each thread remembers the counters it used; the same quota and key
    // in a second store must still be a counter of its own.
    // The same hasher on both, so that only the store tells them apart.
    let hasher = foldhash::fast::FixedState::with_seed(7);
    let first = MemoryStore::builder().build_with_hasher(hasher.clone());
    let second = MemoryStore::builder().build_with_hasher(hasher);
    let spec = QuotaSpec::from_parts("t:stores", 2, 60, 2);
    assert_eq!(allowed_count(&first, T0, &spec, "k", 5), 2);
    assert_eq!(allowed_count(&second, T0, &spec, "k", 5), 2);
    assert_eq!(allowed_count(&first, T0, &spec, "k", 5), 0);
}

#[test]
fn a_swept_counter_is_never_charged_again() {
    // The thread remembers the counter; the sweep drops it; the next check
    // must count in the new counter, not in the dropped one.
    // (A thread remembers a counter from its second lookup on.)
    let store = MemoryStore::new();
    let spec = QuotaSpec::from_parts("t:swept", 4, 1, 4);
    assert_eq!(allowed_count(&store, T0, &spec, "k", 3), 3);
    assert_eq!(store.sweep(T0 + 1_000), 1);
    assert!(store.is_empty());
    assert_eq!(allowed_count(&store, T0 + 1_000, &spec, "k", 6), 4);
    assert_eq!(store.len(), 1);
    assert_eq!(one(&store, T0 + 1_000, &spec, "k").remaining(), 0);
}

#[test]
fn threads_stay_exact_while_idle_counters_are_swept() {
    // Every round the bucket is full again, so a sweep at the round's time
    // may drop the counter while the workers charge it. Whatever the
    // interleaving, each round lets exactly the burst through: a charge to
    // a dropped counter would let more through.
    const WORKERS: usize = 4;
    const ROUNDS: u64 = 40;
    let store = Arc::new(MemoryStore::builder().shards(1).build());
    let spec = Arc::new(QuotaSpec::from_parts("t:sweep-race", 200, 1, 200));
    let round_ms = Arc::new(AtomicU64::new(T0));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let barrier = Arc::new(std::sync::Barrier::new(WORKERS + 1));
    let allowed = Arc::new(AtomicU64::new(0));
    // The time of the sweeper's last finished sweep.
    let swept_at = Arc::new(AtomicU64::new(0));
    let sweeper = {
        let (store, round_ms, done, swept_at) = (
            Arc::clone(&store),
            Arc::clone(&round_ms),
            Arc::clone(&done),
            Arc::clone(&swept_at),
        );
        std::thread::spawn(move || {
            let mut swept = 0;
            while !done.load(Ordering::Relaxed) {
                let now = round_ms.load(Ordering::Relaxed);
                swept += store.sweep(now);
                swept_at.store(now, Ordering::Relaxed);
            }
            swept
        })
    };
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (store, spec, round_ms, barrier, allowed) = (
                Arc::clone(&store),
                Arc::clone(&spec),
                Arc::clone(&round_ms),
                Arc::clone(&barrier),
                Arc::clone(&allowed),
            );
            std::thread::spawn(move || {
                for _ in 0..ROUNDS {
                    barrier.wait();
                    let now = round_ms.load(Ordering::Relaxed);
                    let n = u64::from(allowed_count(&*store, now, &spec, "hot", 100));
                    allowed.fetch_add(n, Ordering::Relaxed);
                    barrier.wait();
                }
            })
        })
        .collect();
    for round in 0..ROUNDS {
        barrier.wait();
        barrier.wait();
        assert_eq!(allowed.swap(0, Ordering::Relaxed), 200, "round {round}");
        // Two seconds on: the bucket (200 per second) is full again.
        let next = round_ms.fetch_add(2_000, Ordering::Relaxed) + 2_000;
        // Every other round, the sweep surely comes first; otherwise it
        // races the workers.
        while round % 2 == 0 && swept_at.load(Ordering::Relaxed) < next {
            std::thread::yield_now();
        }
    }
    for worker in workers {
        worker.join().unwrap();
    }
    done.store(true, Ordering::Relaxed);
    assert!(
        sweeper.join().unwrap() > 0,
        "the sweeper never dropped the counter"
    );
}

#[test]
fn threads_with_several_quotas_stay_exact_and_all_or_nothing() {
    // Each thread has its own per-principal quota and shares a global one;
    // single-quota checks of the global one run at the same time.
    let store = Arc::new(MemoryStore::builder().shards(2).build());
    // Large enough that the threads race for a while before the global
    // quota runs out.
    const GLOBAL: u64 = 20_000;
    const MINE: u64 = 3_000;
    let global = Arc::new(QuotaSpec::from_parts("t:global", GLOBAL, 3_600, GLOBAL));
    let mine = Arc::new(QuotaSpec::from_parts("t:mine", MINE, 3_600, MINE));
    let allowed_total = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let (store, global, mine, allowed_total) = (
                Arc::clone(&store),
                Arc::clone(&global),
                Arc::clone(&mine),
                Arc::clone(&allowed_total),
            );
            std::thread::spawn(move || {
                let name = format!("user{t}");
                let mut allowed: u64 = 0;
                for _ in 0..4_000 {
                    let both = [
                        QuotaCheck {
                            spec: &global,
                            key: KeyValue::Absent,
                        },
                        QuotaCheck {
                            spec: &mine,
                            key: KeyValue::Text(&name),
                        },
                    ];
                    // Threads 6 and 7 check the global quota alone.
                    let checks = if t >= 6 { &both[..1] } else { &both[..] };
                    if check(&*store, T0, checks).0.allowed {
                        allowed += 1;
                    }
                }
                if t < 6 {
                    assert!(allowed <= MINE);
                    // All-or-nothing: this user's counter holds exactly the
                    // requests that were allowed (plus this probe, if it fits).
                    let left = one(&*store, T0, &mine, &name).remaining();
                    assert_eq!(left, (MINE - allowed).saturating_sub(1));
                }
                allowed_total.fetch_add(allowed, Ordering::Relaxed);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // GLOBAL, whoever asked: exactly that many got through.
    assert_eq!(allowed_total.load(Ordering::Relaxed), GLOBAL);
    let (verdict, _) = check(
        &*store,
        T0,
        &[QuotaCheck {
            spec: &global,
            key: KeyValue::Absent,
        }],
    );
    assert_eq!(verdict.report.unwrap().1.remaining(), 0);
}

// ---------------------------------------------------------------- the table

const POLICY: &str = r#"
api "pets" version "1.4"
auth user = jwt(issuer: "https://id.example.com")
auth key = api_key(header: "X-API-Key")

defaults {
  authenticate user | key
  quota 1000/hour by principal
  quota 50/s by ip
}

endpoint GET /pets {
  quota 2/min by principal, 3/min by principal
  quota 2/min by claim.tenant
}

endpoint POST /pets {
  quota 1/min by key
}

endpoint GET /health {
  public
  quota 2/s by ip
}
"#;

fn specs<'a>(
    policy: &CompiledSet,
    table: &'a QuotaTable,
    method: &str,
    path: &str,
) -> &'a [QuotaSpec] {
    let request = Request::new(method, path, "203.0.113.9".parse().unwrap());
    let decision = policy.decide_with(&request, &MemoryStore::new());
    table.endpoint(decision.api.unwrap(), decision.endpoint.unwrap())
}

#[test]
fn quota_ids_are_stable_names() {
    let policy = CompiledSet::from_source("pets.gate", POLICY).unwrap();
    let table = QuotaTable::new(policy.model());
    let ids: Vec<&str> = specs(&policy, &table, "GET", "/pets")
        .iter()
        .map(QuotaSpec::id)
        .collect();
    assert_eq!(
        ids,
        [
            "pets:1.4:defaults:principal:3600s",
            "pets:1.4:defaults:ip:1s",
            "pets:1.4:GET /pets:principal:60s",
            "pets:1.4:GET /pets:principal:60s#2",
            "pets:1.4:GET /pets:claim.tenant:60s",
        ]
    );
    // A public endpoint inherits only the IP quota, the same counter.
    let ids: Vec<&str> = specs(&policy, &table, "GET", "/health")
        .iter()
        .map(QuotaSpec::id)
        .collect();
    assert_eq!(
        ids,
        ["pets:1.4:defaults:ip:1s", "pets:1.4:GET /health:ip:1s"]
    );
}

#[test]
fn counters_survive_a_reload_and_keep_their_debt() {
    let store = MemoryStore::new();
    let alice = Principal::new("user", "alice").with_claim("tenant", serde_json::json!("acme"));
    let peer = "203.0.113.9".parse().unwrap();
    let request = Request::new("GET", "/pets", peer).principal(&alice);
    let policy = CompiledSet::from_source("pets.gate", POLICY).unwrap();
    let table = QuotaTable::new(policy.model());
    let get = specs(&policy, &table, "GET", "/pets");
    assert!(
        check_request(&store, T0, get, Phase::All, &request, peer)
            .unwrap()
            .allowed
    );
    assert!(
        check_request(&store, T0, get, Phase::All, &request, peer)
            .unwrap()
            .allowed
    );

    // Reload with a new rate on the 2/min quota: the counters carry on.
    let reloaded = CompiledSet::from_source(
        "pets.gate",
        &POLICY.replace("quota 2/min by principal", "quota 4/min by principal"),
    )
    .unwrap();
    let table = QuotaTable::new(reloaded.model());
    let get = specs(&reloaded, &table, "GET", "/pets");
    let verdict = check_request(&store, T0, get, Phase::All, &request, peer).unwrap();
    // The 4/min quota kept its debt: the old budget of 2 was a whole
    // window, so it denies too (a reset counter would have allowed).
    assert_eq!(verdict.denied, Some(2));
    assert_eq!(store.len(), 5);
}

#[test]
fn pre_auth_phase_checks_only_ip_and_header_quotas() {
    let store = MemoryStore::new();
    let policy = CompiledSet::from_source("pets.gate", POLICY).unwrap();
    let table = QuotaTable::new(policy.model());
    let get = specs(&policy, &table, "GET", "/pets");
    let peer = "203.0.113.9".parse().unwrap();
    let anonymous = Request::new("GET", "/pets", peer);
    let verdict = check_request(&store, T0, get, Phase::PreAuth, &anonymous, peer).unwrap();
    assert!(verdict.allowed);
    assert_eq!(
        verdict.report.unwrap().0,
        1,
        "the ip quota, in endpoint order"
    );
    assert_eq!(store.len(), 1);
    // 50/s by IP: the 51st request in the same instant is denied.
    for _ in 0..49 {
        check_request(&store, T0, get, Phase::PreAuth, &anonymous, peer).unwrap();
    }
    let verdict = check_request(&store, T0, get, Phase::PreAuth, &anonymous, peer).unwrap();
    assert_eq!(verdict.denied, Some(1));
    // In the All phase the IP quota still comes first, and denies first.
    let alice = Principal::new("user", "alice");
    let request = Request::new("GET", "/pets", peer).principal(&alice);
    let verdict = check_request(&store, T0, get, Phase::All, &request, peer).unwrap();
    assert_eq!(verdict.denied, Some(1));
}

#[test]
fn key_values_come_from_the_request() {
    let policy = CompiledSet::from_source("pets.gate", POLICY).unwrap();
    let table = QuotaTable::new(policy.model());
    let peer = "2001:db8::1".parse().unwrap();
    let get = specs(&policy, &table, "GET", "/pets");
    let post = specs(&policy, &table, "POST", "/pets");
    let user = Principal::new("user", "alice");
    let key = Principal::new("key", "key-17").with_claim("tenant", serde_json::json!(42));
    let by_user = Request::new("POST", "/pets", peer).principal(&user);
    let by_key = Request::new("POST", "/pets", peer).principal(&key);
    assert_eq!(post[2].key(), &QuotaKey::ApiKey);
    assert_eq!(post[2].key_value(&by_user, peer), KeyValue::Absent);
    assert_eq!(post[2].key_value(&by_key, peer), KeyValue::Text("key-17"));
    assert_eq!(get[0].key_value(&by_user, peer), KeyValue::Text("alice"));
    assert_eq!(
        get[1].key_value(&by_user, peer),
        KeyValue::ip("2001:db8::".parse().unwrap())
    );
    assert_eq!(get[4].key_value(&by_key, peer), KeyValue::Int(42));
    assert_eq!(get[4].key_value(&by_user, peer), KeyValue::Absent);
    let header = QuotaSpec::from_parts("h", 1, 1, 1).with_key(QuotaKey::Header("x-tenant".into()));
    let headers = [("X-Tenant", "a"), ("x-tenant", "b")];
    let with_header = Request::new("GET", "/", peer).headers(&headers);
    assert_eq!(header.key_value(&with_header, peer), KeyValue::Text("a"));
}

// ------------------------------------------------------- against a model

mod model {
    //! The store against a plain map of TATs on generated sequences of
    //! calls and sweeps, on one thread: single-quota calls (which a thread
    //! soon charges without a lock), calls with several quotas (which
    //! freeze their counters), repeats of one counter in a call, shadow
    //! quotas, and sweeps that drop counters a thread still remembers.

    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    fn specs() -> Vec<QuotaSpec> {
        vec![
            QuotaSpec::from_parts("m:a", 3, 1, 3),
            QuotaSpec::from_parts("m:b", 5, 10, 2),
            QuotaSpec::from_parts("m:c", 2, 1, 2).with_shadow(true),
            QuotaSpec::from_parts("m:d", 4, 1, 4).with_cost(2),
        ]
    }

    const KEYS: [KeyValue<'static>; 4] = [
        KeyValue::Text("alice"),
        KeyValue::Text("bob"),
        KeyValue::Int(7),
        KeyValue::Absent,
    ];

    #[derive(Clone, Debug)]
    enum Op {
        /// (spec, key) pairs, after `advance_ms`.
        Check {
            advance_ms: u64,
            quotas: Vec<(usize, usize)>,
        },
        Sweep {
            advance_ms: u64,
        },
    }

    fn op() -> impl Strategy<Value = Op> {
        let pair = (0..4usize, 0..4usize);
        prop_oneof![
            6 => (0..400u64, prop::collection::vec(pair.clone(), 1..2))
                .prop_map(|(advance_ms, quotas)| Op::Check { advance_ms, quotas }),
            3 => (0..400u64, prop::collection::vec(pair, 2..5))
                .prop_map(|(advance_ms, quotas)| Op::Check { advance_ms, quotas }),
            1 => (0..1_500u64).prop_map(|advance_ms| Op::Sweep { advance_ms }),
        ]
    }

    /// What the store must answer: each quota steps from the TAT the call
    /// has seen so far; all are charged if every enforced one allows.
    fn expected(
        tats: &mut HashMap<(usize, KeyValue<'static>), u64>,
        specs: &[QuotaSpec],
        quotas: &[(usize, usize)],
        now_us: u64,
    ) -> Vec<(bool, bool, u64)> {
        let mut seen = tats.clone();
        let steps: Vec<_> = quotas
            .iter()
            .map(|&(s, k)| {
                let spec = &specs[s];
                let tat = seen.get(&(s, KEYS[k])).copied().unwrap_or(0);
                let step = spec.gcra().step(tat, now_us, spec.cost());
                if step.allowed {
                    seen.insert((s, KEYS[k]), step.tat_us);
                }
                (tat, step)
            })
            .collect();
        let all = quotas
            .iter()
            .zip(&steps)
            .all(|(&(s, _), (_, step))| step.allowed || specs[s].is_shadow());
        if all {
            *tats = seen;
        }
        quotas
            .iter()
            .zip(steps)
            .map(|(&(s, _), (before, step))| {
                let charged = all && step.allowed;
                let tat = if charged { step.tat_us } else { before };
                (
                    step.allowed,
                    charged,
                    specs[s].gcra().remaining(tat, now_us),
                )
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn the_store_answers_as_the_model(ops in prop::collection::vec(op(), 1..60), shards in 0..3u32) {
            let specs = specs();
            let store = MemoryStore::builder().shards(1 << shards).build();
            let mut tats = HashMap::new();
            let mut now_ms = T0;
            for op in ops {
                match op {
                    Op::Check { advance_ms, quotas } => {
                        now_ms += advance_ms;
                        let checks: Vec<_> = quotas
                            .iter()
                            .map(|&(s, k)| QuotaCheck { spec: &specs[s], key: KEYS[k] })
                            .collect();
                        let mut states = vec![QuotaState::default(); checks.len()];
                        store.check(now_ms, &checks, &mut states).unwrap();
                        let want = expected(&mut tats, &specs, &quotas, gcra::micros(now_ms));
                        let got: Vec<_> = states
                            .iter()
                            .map(|s| (s.allowed, s.charged, s.remaining()))
                            .collect();
                        prop_assert_eq!(got, want, "{:?} at {}", quotas, now_ms);
                    }
                    Op::Sweep { advance_ms } => {
                        now_ms += advance_ms;
                        store.sweep(now_ms);
                        // A counter whose bucket is full again is the same
                        // as none: the model forgets it too.
                        let now_us = gcra::micros(now_ms);
                        tats.retain(|_, tat| *tat > now_us);
                        prop_assert_eq!(store.len(), tats.len());
                    }
                }
            }
        }
    }
}
