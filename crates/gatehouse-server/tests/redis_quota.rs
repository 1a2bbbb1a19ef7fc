//! `gatehouse serve` with its quotas in Redis: two servers sharing one
//! redis-server count one quota together, exactly; and a redis-server that
//! goes away under load turns checks into 503 `quota_store_unavailable`
//! (never an allow), until it is back.
//!
//! The shared-quota test uses the redis-server `tests/run` starts
//! (`GATEHOUSE_REDIS_URL`); the outage test starts one of its own on a
//! free port, so that it can kill it. Without redis-server both skip with
//! a notice, except under `CI=true`, where they fail.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{
    caddy_check, free_port, get, in_ci, listening, notice, prepare, program, reason, start_in,
    Child, POLICY,
};

/// A principal name no other run uses: quota counters in a shared
/// redis-server outlive a test run.
fn unique_owner(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{test}-{}-{nanos}", std::process::id())
}

/// The quota store setting for `url`.
fn store(url: &str) -> String {
    format!("[quota]\nstore = \"{url}\"\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_one_quota_exactly() {
    let Ok(url) = std::env::var("GATEHOUSE_REDIS_URL") else {
        if in_ci() {
            panic!("CI=true but GATEHOUSE_REDIS_URL is not set: the Redis tests must run in CI (./tests/run starts redis-server and sets it)");
        }
        notice("SKIPPED: GATEHOUSE_REDIS_URL is not set; run ./tests/run, which starts a redis-server, to run the Redis tests");
        return;
    };
    let policy = POLICY.replace("quota 2/min by principal", "quota 10/min by principal");
    let prepared = prepare("redis-shared", &policy, &unique_owner("shared"));
    // Two servers, one key store, one redis-server.
    let first = start_in(&prepared.dir, &store(&url)).await;
    let second = start_in(&prepared.dir, &store(&url)).await;

    // 40 checks for the same key, spread over both servers, 8 at a time.
    let mut statuses = Vec::new();
    for round in 0..5 {
        let mut checks = Vec::new();
        for n in 0..8 {
            let address = if n % 2 == 0 {
                first.check
            } else {
                second.check
            };
            let key = prepared.key.clone();
            let uri = format!("/pets/{}", round * 8 + n);
            checks.push(tokio::spawn(async move {
                caddy_check(address, "GET", &uri, &[("X-API-Key", key.as_str())]).await
            }));
        }
        for check in checks {
            let answer = check.await.unwrap();
            if answer.status != 200 {
                assert_eq!(
                    (answer.status, reason(&answer).as_str()),
                    (429, "quota_exceeded")
                );
            }
            statuses.push(answer.status);
        }
    }
    let allowed = statuses.iter().filter(|s| **s == 200).count();
    assert_eq!(allowed, 10, "{statuses:?}");
    first.stop().await;
    second.stop().await;
    let _ = std::fs::remove_dir_all(&prepared.dir);
}

/// A redis-server of this test's own, on a free port of 127.0.0.1, with
/// nothing written to disk; killed (by its PID) when dropped.
async fn redis_server(binary: &Path, dir: &Path, port: Option<u16>) -> (Child, u16) {
    for _ in 0..5 {
        let port = port.unwrap_or_else(free_port);
        let mut child = Child {
            name: "redis-server".to_string(),
            child: Command::new(binary)
                .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                .arg("--port")
                .arg(port.to_string())
                .arg("--dir")
                .arg(dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        };
        if listening(&mut child, port).await {
            return (child, port);
        }
    }
    panic!("redis-server did not start");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_quota_store_fails_closed_and_recovers() {
    let Some(binary) = program("redis-server", "apt-get install redis-server") else {
        return;
    };
    let policy = POLICY.replace("quota 2/min by principal", "quota 100000/min by principal");
    let prepared = prepare("redis-outage", &policy, "billing");
    let (redis, port) = redis_server(&binary, &prepared.dir, None).await;
    let url = format!("redis://127.0.0.1:{port}/");
    let server = start_in(&prepared.dir, &store(&url)).await;
    let check = server.check;

    // Load: four clients asking all the time, each answer recorded in
    // order with the phase it was asked in.
    let answers: Arc<Mutex<Vec<(u8, u16, String)>>> = Arc::new(Mutex::new(Vec::new()));
    let phase = Arc::new(std::sync::atomic::AtomicU8::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for n in 0..4 {
        let (answers, phase, stop) = (answers.clone(), phase.clone(), stop.clone());
        let key = prepared.key.clone();
        clients.push(tokio::spawn(async move {
            let mut i = 0u32;
            // Bounded: the test ends the loop, or it ends on its own.
            while !stop.load(Ordering::Relaxed) && i < 100_000 {
                let asked_in = phase.load(Ordering::Relaxed);
                let uri = format!("/pets/{n}{i}");
                let answer = caddy_check(check, "GET", &uri, &[("X-API-Key", key.as_str())]).await;
                let why = if answer.status == 200 {
                    String::new()
                } else {
                    reason(&answer)
                };
                answers.lock().unwrap().push((asked_in, answer.status, why));
                i += 1;
            }
        }));
    }
    let recorded = |phase: u8| -> Vec<(u16, String)> {
        answers
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _, _)| *p == phase)
            .map(|(_, status, why)| (*status, why.clone()))
            .collect()
    };
    let wait_for = |phase: u8, status: u16| {
        let recorded = &recorded;
        async move {
            for _ in 0..200 {
                if recorded(phase).iter().any(|(s, _)| *s == status) {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            false
        }
    };
    assert!(wait_for(0, 200).await, "{:?}", recorded(0));

    // The store goes away under load: checks asked once it is gone are
    // denied, 503 quota_store_unavailable, never allowed.
    drop(redis);
    phase.store(1, Ordering::Relaxed);
    assert!(wait_for(1, 503).await, "{:?}", recorded(1));
    let down = recorded(1);
    assert!(
        down.iter()
            .all(|(status, why)| (*status, why.as_str()) == (503, "quota_store_unavailable")),
        "{down:?}"
    );
    let ready = get(server.admin.unwrap(), "/readyz", &[]).await;
    assert_eq!(ready.status, 503, "{}", ready.body);

    // Back on the same address: checks are allowed again.
    let (_redis, _) = redis_server(&binary, &prepared.dir, Some(port)).await;
    phase.store(2, Ordering::Relaxed);
    assert!(wait_for(2, 200).await, "{:?}", recorded(2));
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.unwrap();
    }
    let ready = get(server.admin.unwrap(), "/readyz", &[]).await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    server.stop().await;
    let _ = std::fs::remove_dir_all(&prepared.dir);
}
