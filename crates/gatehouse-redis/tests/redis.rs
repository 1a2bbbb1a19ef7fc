//! Integration tests against a real `redis-server`.
//!
//! `./tests/run` starts one on a free port on 127.0.0.1 and passes its URL
//! in `GATEHOUSE_REDIS_URL`. Without it the tests skip with a notice,
//! except under `CI=true`, where a missing or unreachable server fails them.
//! The fault tests start and stop their own `redis-server` (the binary in
//! `GATEHOUSE_REDIS_SERVER`, default `redis-server`) by its PID.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use gatehouse::quota::{
    KeyValue, MemoryStore, QuotaCheck, QuotaSpec, QuotaState, QuotaStore, StoreError, Verdict,
};
use gatehouse_redis::{counter_key, AsyncRedisStore, Clock, RedisConfig, RedisStore};

const T0: u64 = 1_700_000_000_000;

/// Printed past the test harness's capture, so a skip is seen.
fn notice(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{text}");
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The shared server's URL, checked to answer; `None` (with a notice) when
/// there is none outside CI.
fn redis_url() -> Option<String> {
    let Ok(url) = std::env::var("GATEHOUSE_REDIS_URL") else {
        if in_ci() {
            panic!("CI=true but GATEHOUSE_REDIS_URL is not set: the Redis tests must run in CI (./tests/run starts redis-server and sets it)");
        }
        notice("SKIPPED: GATEHOUSE_REDIS_URL is not set; run ./tests/run, which starts a redis-server, to run the Redis tests");
        return None;
    };
    let client = redis::Client::open(url.as_str())
        .unwrap_or_else(|e| panic!("GATEHOUSE_REDIS_URL={url} is not a Redis URL: {e}"));
    let mut con = client
        .get_connection_with_timeout(Duration::from_secs(2))
        .unwrap_or_else(|e| panic!("GATEHOUSE_REDIS_URL={url} is unreachable: {e}"));
    let pong: String = redis::cmd("PING")
        .query(&mut con)
        .unwrap_or_else(|e| panic!("GATEHOUSE_REDIS_URL={url} does not answer PING: {e}"));
    assert_eq!(pong, "PONG");
    Some(url)
}

/// A prefix no other test or run uses.
fn unique_prefix(test: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "gatehouse-test:{test}:{}:{nanos}:{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn store(url: &str, prefix: &str, clock: Clock) -> RedisStore {
    RedisStore::new(RedisConfig::new(url).prefix(prefix).clock(clock)).unwrap()
}

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

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn two_gateways_share_one_global_limit() {
    let Some(url) = redis_url() else { return };
    let prefix = unique_prefix("global");
    // Two gateways: a blocking store and an async one, on one Redis.
    let a = Arc::new(store(&url, &prefix, Clock::Server));
    let rt = runtime();
    let b = rt
        .block_on(AsyncRedisStore::connect(
            RedisConfig::new(&url).prefix(&prefix),
        ))
        .unwrap();
    let spec = Arc::new(QuotaSpec::from_parts(
        "api:1:GET /pets:principal:3600s",
        50,
        3_600,
        50,
    ));

    let allowed = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (a, spec, allowed) = (Arc::clone(&a), Arc::clone(&spec), Arc::clone(&allowed));
            std::thread::spawn(move || {
                for _ in 0..40 {
                    if one(&*a, 0, &spec, "alice").allowed {
                        allowed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    let from_b: u64 = rt.block_on(async {
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (b, spec) = (b.clone(), Arc::clone(&spec));
                tokio::spawn(async move {
                    let mut allowed = 0;
                    for _ in 0..40 {
                        let mut states = [QuotaState::default()];
                        b.check(
                            0,
                            &[QuotaCheck {
                                spec: &spec,
                                key: KeyValue::Text("alice"),
                            }],
                            &mut states,
                        )
                        .await
                        .unwrap();
                        allowed += u64::from(states[0].allowed);
                    }
                    allowed
                })
            })
            .collect();
        let mut total = 0;
        for task in tasks {
            total += task.await.unwrap();
        }
        total
    });
    for t in threads {
        t.join().unwrap();
    }
    // 320 attempts in well under the 72 s a token takes to refill: exactly 50.
    assert_eq!(allowed.load(Ordering::Relaxed) + from_b, 50);
    assert!(!one(&*a, 0, &spec, "alice").allowed);
    assert!(
        one(&*a, 0, &spec, "bob").allowed,
        "another key has its own budget"
    );
}

#[test]
fn one_denying_quota_charges_none_and_states_match_the_memory_store() {
    let Some(url) = redis_url() else { return };
    let redis = store(&url, &unique_prefix("atomic"), Clock::Caller);
    let memory = MemoryStore::new();
    let minute = QuotaSpec::from_parts("api:1:GET /pets:principal:60s", 5, 60, 5);
    let day = QuotaSpec::from_parts("api:1:defaults:principal:86400s", 7, 86_400, 7).with_cost(1);
    let tenant = QuotaSpec::from_parts("api:1:GET /pets:claim.tenant:1s", 10, 1, 10).with_cost(2);
    let shadow = QuotaSpec::from_parts("api:1:GET /pets:ip:60s", 3, 60, 3).with_shadow(true);
    // The same timeline against both stores: every state must agree.
    let times = [
        0, 0, 0, 0, 0, 0, 0, 150, 420, 999, 1_000, 12_000, 12_001, 60_000, 60_000, 60_000, 61_000,
        200_000,
    ];
    let mut denied_minute = false;
    for (i, t) in times.iter().enumerate() {
        let key = if i % 5 == 4 {
            KeyValue::Int(9)
        } else {
            KeyValue::Text("alice")
        };
        let checks = [
            QuotaCheck { spec: &shadow, key },
            QuotaCheck { spec: &minute, key },
            QuotaCheck { spec: &day, key },
            QuotaCheck {
                spec: &tenant,
                key: KeyValue::Text("acme"),
            },
        ];
        let (rv, rs) = check(&redis, T0 + t, &checks);
        let (mv, ms) = check(&memory, T0 + t, &checks);
        assert_eq!(rv, mv, "verdicts differ at step {i}");
        assert_eq!(rs, ms, "states differ at step {i}");
        if rv.denied == Some(1) {
            denied_minute = true;
            assert!(
                rs[2].allowed && !rs[2].charged,
                "the day quota is not charged when the minute quota denies"
            );
        }
    }
    assert!(denied_minute);
}

#[test]
fn idle_counters_expire() {
    let Some(url) = redis_url() else { return };
    let prefix = unique_prefix("expiry");
    let redis = store(&url, &prefix, Clock::Server);
    let spec = QuotaSpec::from_parts("api:1:GET /pets:ip:1s", 10, 1, 10); // T = 100 ms
    let check_a = QuotaCheck {
        spec: &spec,
        key: KeyValue::Text("a"),
    };
    let key = counter_key(&prefix, &spec, &check_a);
    assert!(key.ends_with(":api:1:GET /pets:ip:1s:s:a"), "{key}");
    assert!(one(&redis, 0, &spec, "a").allowed);
    let mut con = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let ttl: i64 = redis::cmd("PTTL").arg(&key).query(&mut con).unwrap();
    assert!(
        (1..=101).contains(&ttl),
        "a counter expires when its bucket is full again, got {ttl} ms"
    );
    // A denied request creates nothing.
    let never = QuotaSpec::from_parts("api:1:GET /pets:ip:60s", 1, 60, 1).with_cost(2);
    assert!(!one(&redis, 0, &never, "b").allowed);
    let never_key = counter_key(
        &prefix,
        &never,
        &QuotaCheck {
            spec: &never,
            key: KeyValue::Text("b"),
        },
    );
    let exists: i64 = redis::cmd("EXISTS")
        .arg(&never_key)
        .query(&mut con)
        .unwrap();
    assert_eq!(exists, 0);
    // Wait (at most 2 s) for the counter to expire.
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let exists: i64 = redis::cmd("EXISTS").arg(&key).query(&mut con).unwrap();
        if exists == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the counter did not expire");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_flushed_script_is_loaded_again() {
    let Some(url) = redis_url() else { return };
    let redis = store(&url, &unique_prefix("noscript"), Clock::Server);
    let spec = QuotaSpec::from_parts("api:1:GET /pets:principal:60s", 2, 60, 2);
    let mut con = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let _: () = redis::cmd("SCRIPT").arg("FLUSH").query(&mut con).unwrap();
    assert!(
        one(&redis, 0, &spec, "k").allowed,
        "EVALSHA fell back to EVAL"
    );
    assert!(one(&redis, 0, &spec, "k").allowed);
    assert!(!one(&redis, 0, &spec, "k").allowed);
}

#[test]
fn an_unreachable_server_fails_closed_quickly() {
    // Not the shared server: a port nothing listens on.
    let port = free_port();
    let redis = RedisStore::new(
        RedisConfig::new(format!("redis://127.0.0.1:{port}/"))
            .connect_timeout(Duration::from_millis(200)),
    )
    .unwrap();
    let spec = QuotaSpec::from_parts("api:1:GET /pets:principal:60s", 2, 60, 2);
    let start = Instant::now();
    let mut states = [QuotaState::default()];
    let result = redis.check(
        T0,
        &[QuotaCheck {
            spec: &spec,
            key: KeyValue::Absent,
        }],
        &mut states,
    );
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{result:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(2));
}

// ---------------------------------------------------------------- faults

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `redis-server` of the test's own, stopped by its PID when dropped.
struct Server {
    child: Option<Child>,
    port: u16,
}

impl Server {
    /// `None` (with a notice) when there is no redis-server binary outside CI.
    fn start(port: u16) -> Option<Server> {
        let binary =
            std::env::var("GATEHOUSE_REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let port_text = port.to_string();
        let spawned = Command::new(&binary)
            .args([
                "--port",
                &port_text,
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(e) if in_ci() => panic!("CI=true but `{binary}` cannot be started: {e}"),
            Err(e) => {
                notice(&format!("SKIPPED: cannot start `{binary}` ({e}); install redis-server to run the fault tests"));
                return None;
            }
        };
        let server = Server {
            child: Some(child),
            port,
        };
        let client = redis::Client::open(server.url()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(mut con) = client.get_connection_with_timeout(Duration::from_millis(200)) {
                if redis::cmd("PING").query::<String>(&mut con).is_ok() {
                    return Some(server);
                }
            }
            assert!(
                Instant::now() < deadline,
                "redis-server on port {port} did not come up"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Retries `f` for up to 10 s until it succeeds.
fn eventually<T>(mut f: impl FnMut() -> Result<T, StoreError>) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match f() {
            Ok(value) => return value,
            Err(e) => assert!(Instant::now() < deadline, "the store did not recover: {e}"),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn stopping_the_server_fails_closed_and_restarting_recovers() {
    if redis_url().is_none() && !in_ci() {
        return;
    }
    let port = free_port();
    let Some(mut server) = Server::start(port) else {
        return;
    };
    let redis = RedisStore::new(
        RedisConfig::new(server.url())
            .prefix(unique_prefix("fault"))
            .connect_timeout(Duration::from_millis(200))
            .response_timeout(Duration::from_millis(200)),
    )
    .unwrap();
    let spec = QuotaSpec::from_parts("api:1:GET /pets:principal:60s", 3, 60, 3);
    let checks = [QuotaCheck {
        spec: &spec,
        key: KeyValue::Text("alice"),
    }];
    let mut states = [QuotaState::default()];
    redis.check(0, &checks, &mut states).unwrap();
    assert!(states[0].allowed);

    server.stop();
    for _ in 0..3 {
        let start = Instant::now();
        let result = redis.check(0, &checks, &mut states);
        assert!(
            matches!(result, Err(StoreError::Unavailable(_))),
            "a stopped server fails closed: {result:?}"
        );
        assert!(start.elapsed() < Duration::from_secs(2), "and fails fast");
    }

    let _server = Server::start(port).unwrap();
    eventually(|| redis.check(0, &checks, &mut states));
    // A restarted server without persistence starts every client afresh.
    assert!(states[0].allowed);
    redis.check(0, &checks, &mut states).unwrap();
    redis.check(0, &checks, &mut states).unwrap();
    redis.check(0, &checks, &mut states).unwrap();
    assert!(!states[0].allowed, "counting again after recovery");
}

#[test]
fn the_async_store_fails_closed_and_recovers_too() {
    if redis_url().is_none() && !in_ci() {
        return;
    }
    let port = free_port();
    let Some(mut server) = Server::start(port) else {
        return;
    };
    let rt = runtime();
    let config = RedisConfig::new(server.url())
        .prefix(unique_prefix("fault-async"))
        .connect_timeout(Duration::from_millis(200))
        .response_timeout(Duration::from_millis(200));
    let redis = rt.block_on(AsyncRedisStore::connect(config)).unwrap();
    let spec = QuotaSpec::from_parts("api:1:GET /pets:principal:60s", 3, 60, 3);
    let checks = [QuotaCheck {
        spec: &spec,
        key: KeyValue::Text("alice"),
    }];
    let mut states = [QuotaState::default()];
    rt.block_on(redis.check(0, &checks, &mut states)).unwrap();
    assert!(states[0].allowed);

    server.stop();
    let start = Instant::now();
    let result = rt.block_on(redis.check(0, &checks, &mut states));
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "a stopped server fails closed: {result:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(3), "and fails fast");

    let _server = Server::start(port).unwrap();
    eventually(|| rt.block_on(redis.check(0, &checks, &mut states)));
    assert!(states[0].allowed);
}
