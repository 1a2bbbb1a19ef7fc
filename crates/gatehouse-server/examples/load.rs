//! A small HTTP/1.1 load generator for the README's `gatehouse serve`
//! figures: keep-alive connections, each sending one request after
//! another for a fixed time, every latency recorded; prints requests per
//! second, p50, p99 and the status counts.
//!
//! ```sh
//! cargo run --release -p gatehouse-server --example load -- \
//!     --url http://127.0.0.1:9191/check --connections 32 --seconds 10 \
//!     --header 'X-Forwarded-Method: GET' --header 'X-Forwarded-Uri: /v1/pets/7' \
//!     --header 'X-Forwarded-For: 203.0.113.9'
//! ```
//!
//! Bounded: at most `--seconds` (capped at 120) and `--connections`
//! (capped at 1,000), 127.0.0.1 or any address given.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

#[path = "support/tally.rs"]
mod tally;
use tally::Tally;

struct Args {
    url: hyper::Uri,
    connections: usize,
    seconds: u64,
    headers: Vec<(String, String)>,
}

fn args() -> Args {
    let mut args = Args {
        url: "http://127.0.0.1:9191/check".parse().unwrap(),
        connections: 32,
        seconds: 10,
        headers: Vec::new(),
    };
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let value = given
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => args.url = value.parse().expect("--url"),
            "--connections" => {
                args.connections = value
                    .parse::<usize>()
                    .expect("--connections")
                    .clamp(1, 1000)
            }
            "--seconds" => args.seconds = value.parse::<u64>().expect("--seconds").clamp(1, 120),
            "--header" => {
                let (name, value) = value.split_once(':').expect("--header 'Name: value'");
                args.headers
                    .push((name.trim().to_string(), value.trim().to_string()));
            }
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

#[tokio::main]
async fn main() {
    let args = args();
    let authority = args.url.authority().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut workers = Vec::new();
    for _ in 0..args.connections {
        let (url, authority, headers) = (args.url.clone(), authority.clone(), args.headers.clone());
        workers.push(tokio::spawn(async move {
            let mut tally = Tally::new();
            // A server may close a keep-alive connection after so many
            // requests (nginx: 1,000): connect again and go on.
            'connections: while Instant::now() < deadline {
                let stream = TcpStream::connect(&authority).await.unwrap();
                stream.set_nodelay(true).unwrap();
                let (mut sender, connection) =
                    hyper::client::conn::http1::handshake(TokioIo::new(stream))
                        .await
                        .unwrap();
                tokio::spawn(connection);
                while Instant::now() < deadline {
                    let mut request = hyper::Request::get(url.clone()).header("host", &authority);
                    for (name, value) in &headers {
                        request = request.header(name, value);
                    }
                    let request = request.body(Empty::<Bytes>::new()).unwrap();
                    let started = Instant::now();
                    let Ok(response) = sender.send_request(request).await else {
                        continue 'connections;
                    };
                    let status = response.status().as_u16();
                    let closing = response
                        .headers()
                        .get("connection")
                        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
                    let _ = response.into_body().collect().await;
                    tally.record(started.elapsed(), status);
                    if closing {
                        continue 'connections;
                    }
                }
            }
            tally
        }));
    }
    let mut tally = Tally::new();
    for worker in workers {
        tally.merge(worker.await.unwrap());
    }
    println!("{}", tally.summary("requests", "statuses", args.seconds));
}
