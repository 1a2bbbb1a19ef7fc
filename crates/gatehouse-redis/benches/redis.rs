//! Redis quota checks per second on loopback.
//!
//! `cargo bench -p gatehouse-redis --bench redis`
//!
//! Uses the server in `GATEHOUSE_REDIS_URL`, or starts its own
//! `redis-server` on a free port on 127.0.0.1 (stopped by its PID at the
//! end). Each run is bounded by a count of checks, and prints checks per
//! second for:
//!
//! - `blocking_1_thread`: one thread, one round trip at a time (latency);
//! - `blocking_N_threads`: N threads sharing one `RedisStore` (pooled
//!   connections);
//! - `async_pipelined_N_tasks`: N concurrent tasks on a 2-thread tokio
//!   runtime sharing one `AsyncRedisStore`, whose multiplexed connection
//!   pipelines their checks.
//!
//! Every check is one EVALSHA of two quotas (a per-client quota and a
//! per-endpoint one), on 10,000 distinct clients, as a gateway would send.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gatehouse::quota::{KeyValue, QuotaCheck, QuotaSpec, QuotaState, QuotaStore};
use gatehouse_redis::{AsyncRedisStore, RedisConfig, RedisStore};

const CLIENTS: u64 = 10_000;

fn specs() -> (QuotaSpec, QuotaSpec) {
    (
        QuotaSpec::from_parts("bench:1:GET /pets:principal:60s", 1_000_000, 60, 1_000_000),
        QuotaSpec::from_parts("bench:1:GET /pets:ip:1s", 1_000_000, 1, 1_000_000),
    )
}

fn report(name: &str, checks: u64, elapsed: Duration) {
    let rate = checks as f64 / elapsed.as_secs_f64();
    println!(
        "{name:<28} {checks:>8} checks in {:>7.3} s: {rate:>9.0} checks/s",
        elapsed.as_secs_f64()
    );
}

fn blocking(url: &str, threads: u64, per_thread: u64) {
    let store = Arc::new(
        RedisStore::new(
            RedisConfig::new(url)
                .prefix("gatehouse-bench")
                .pool_size(64),
        )
        .unwrap(),
    );
    store.ping().unwrap();
    let (principal, ip) = specs();
    let (principal, ip) = (Arc::new(principal), Arc::new(ip));
    let start = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (store, principal, ip) =
                (Arc::clone(&store), Arc::clone(&principal), Arc::clone(&ip));
            std::thread::spawn(move || {
                let mut states = [QuotaState::default(); 2];
                for i in 0..per_thread {
                    let client = (t * per_thread + i) % CLIENTS;
                    let checks = [
                        QuotaCheck {
                            spec: &ip,
                            key: KeyValue::Int(client as i64),
                        },
                        QuotaCheck {
                            spec: &principal,
                            key: KeyValue::Int(client as i64),
                        },
                    ];
                    store.check(0, &checks, &mut states).unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let name = if threads == 1 {
        "blocking_1_thread".to_string()
    } else {
        format!("blocking_{threads}_threads")
    };
    report(&name, threads * per_thread, start.elapsed());
}

fn pipelined(url: &str, tasks: u64, per_task: u64) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let store = rt
        .block_on(AsyncRedisStore::connect(
            RedisConfig::new(url).prefix("gatehouse-bench"),
        ))
        .unwrap();
    let (principal, ip) = specs();
    let (principal, ip) = (Arc::new(principal), Arc::new(ip));
    let start = Instant::now();
    rt.block_on(async {
        let handles: Vec<_> = (0..tasks)
            .map(|t| {
                let (store, principal, ip) =
                    (store.clone(), Arc::clone(&principal), Arc::clone(&ip));
                tokio::spawn(async move {
                    let mut states = [QuotaState::default(); 2];
                    for i in 0..per_task {
                        let client = (t * per_task + i) % CLIENTS;
                        let checks = [
                            QuotaCheck {
                                spec: &ip,
                                key: KeyValue::Int(client as i64),
                            },
                            QuotaCheck {
                                spec: &principal,
                                key: KeyValue::Int(client as i64),
                            },
                        ];
                        store.check(0, &checks, &mut states).await.unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    });
    report(
        &format!("async_pipelined_{tasks}_tasks"),
        tasks * per_task,
        start.elapsed(),
    );
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() {
    // `cargo test --benches` runs this with `--test`: do nothing then.
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let mut _server = None;
    let url = match std::env::var("GATEHOUSE_REDIS_URL") {
        Ok(url) => url,
        Err(_) => {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let child = Command::new("redis-server")
                .args([
                    "--port",
                    &port.to_string(),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server (apt-get install redis-server), or set GATEHOUSE_REDIS_URL");
            _server = Some(Server(child));
            let url = format!("redis://127.0.0.1:{port}/");
            let client = redis::Client::open(url.as_str()).unwrap();
            let deadline = Instant::now() + Duration::from_secs(10);
            while client
                .get_connection_with_timeout(Duration::from_millis(100))
                .is_err()
            {
                assert!(Instant::now() < deadline, "redis-server did not start");
                std::thread::sleep(Duration::from_millis(20));
            }
            url
        }
    };
    println!("redis quota checks on {url} (two quotas per check, {CLIENTS} clients)");
    blocking(&url, 1, 20_000);
    blocking(&url, 8, 10_000);
    for tasks in [16, 64, 256] {
        pipelined(&url, tasks, 200_000 / tasks);
    }
}
