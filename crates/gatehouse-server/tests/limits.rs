//! Hostile clients against `gatehouse serve`'s listeners: oversized
//! headers, a client that never finishes its headers, more connections
//! than the limit, and a shutdown with a check in flight. Raw sockets on
//! 127.0.0.1, so that nothing is normalised on the way.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use gatehouse_server::config::Config;
use gatehouse_server::Gate;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const POLICY: &str = r#"api "pets" version "1"
endpoint GET /public/info {
  public
}
"#;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gatehouse-limits-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn server(name: &str, limits: &str) -> gatehouse_server::Running {
    let dir = scratch(name);
    std::fs::write(dir.join("pets.gate"), POLICY).unwrap();
    std::fs::write(
        dir.join("serve.toml"),
        format!(
            "policies = [\"pets.gate\"]\n[listen]\ncheck = \"127.0.0.1:0\"\n[audit]\nsink = \"off\"\n[limits]\n{limits}\n"
        ),
    )
    .unwrap();
    let config = Config::from_file(&dir.join("serve.toml")).unwrap();
    gatehouse_server::start(Gate::start(config).unwrap())
        .await
        .unwrap()
}

/// Sends `request` raw and reads the answer until the server closes or
/// `wait` passes: what came back, and whether the connection was closed.
async fn exchange(address: SocketAddr, request: &[u8], wait: Duration) -> (String, bool) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    // The server may close while we still write (an oversized request):
    // what it answered is what counts.
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&answer).into(), true),
            Ok(Ok(n)) => answer.extend_from_slice(&buffer[..n]),
            Err(_) => return (String::from_utf8_lossy(&answer).into(), false),
        }
    }
}

const CHECK: &[u8] = b"GET /check HTTP/1.1\r\nHost: x\r\nX-Forwarded-Method: GET\r\nX-Forwarded-Uri: /public/info\r\nX-Forwarded-For: 203.0.113.7\r\nConnection: close\r\n\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_are_refused_and_the_server_goes_on() {
    let running = server("headers", "max_header_bytes = 8192").await;
    let huge = format!(
        "GET /check HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let (answer, closed) = exchange(running.check, huge.as_bytes(), Duration::from_secs(5)).await;
    assert!(closed, "the connection stayed open");
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
        "{answer}"
    );
    let (answer, _) = exchange(running.check, CHECK, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let running = server("slow", "header_timeout_ms = 300").await;
    let started = Instant::now();
    let (_, closed) = exchange(
        running.check,
        b"GET /check HTTP/1.1\r\nHost: x\r\nX-Forwarded-Method: GET\r\n",
        Duration::from_secs(5),
    )
    .await;
    assert!(closed, "the slow client was never cut off");
    assert!(started.elapsed() < Duration::from_secs(3));
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_are_closed_and_the_rest_still_served() {
    let running = server(
        "connections",
        "connections = 500\nheader_timeout_ms = 60000",
    )
    .await;
    // 2,000 idle connections against a limit of 500.
    let mut idle = Vec::new();
    for _ in 0..2000 {
        idle.push(TcpStream::connect(running.check).await.unwrap());
    }
    // Those over the limit were closed on accept: reading them ends at once.
    let mut closed = 0;
    for stream in &mut idle {
        let mut byte = [0u8; 1];
        if let Ok(Ok(0)) =
            tokio::time::timeout(Duration::from_millis(5), stream.read(&mut byte)).await
        {
            closed += 1;
        }
    }
    assert!(
        closed >= 1400,
        "only {closed} of the 1,500 excess connections were closed"
    );
    // Freed connections make room again.
    drop(idle);
    let mut answered = false;
    for _ in 0..50 {
        let (answer, _) = exchange(running.check, CHECK, Duration::from_secs(2)).await;
        if answer.starts_with("HTTP/1.1 200") {
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        answered,
        "the server did not answer once connections were freed"
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_an_open_request_finish() {
    let running = server("shutdown", "").await;
    let address = running.check;
    // A request whose headers are half sent when the shutdown starts.
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /check HTTP/1.1\r\nHost: x\r\nX-Forwarded-Method: GET\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stopping = tokio::spawn(running.stop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    // New connections are no longer accepted...
    assert!(TcpStream::connect(address).await.is_err());
    // ...and the open one still gets its answer.
    stream
        .write_all(b"X-Forwarded-Uri: /public/info\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut answer)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    tokio::time::timeout(Duration::from_secs(15), stopping)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_are_closed_so_they_cannot_hold_the_limit() {
    let running = server("silent", "connections = 50\nheader_timeout_ms = 300").await;
    let mut silent = Vec::new();
    for _ in 0..50 {
        silent.push(TcpStream::connect(running.check).await.unwrap());
    }
    // Each silent connection is closed once the header time is over.
    let started = Instant::now();
    for stream in &mut silent {
        let mut byte = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut byte)).await;
        assert!(
            matches!(read, Ok(Ok(0)) | Ok(Err(_))),
            "a silent connection stayed open"
        );
    }
    assert!(started.elapsed() < Duration::from_secs(3));
    // The slots are free again.
    let (answer, _) = exchange(running.check, CHECK, Duration::from_secs(2)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    running.stop().await;
}
