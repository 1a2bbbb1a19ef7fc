//! gRPC `Check` calls per second against `gatehouse serve --grpc`, as Envoy
//! makes them: one `CheckRequest` per call over HTTP/2 connections (Envoy
//! multiplexes calls on a few), every latency recorded; prints calls per
//! second, p50, p99 and the answer codes.
//!
//! ```sh
//! cargo run --release -p gatehouse-server --example grpc_load -- \
//!     --address 127.0.0.1:9192 --connections 4 --concurrency 32 --seconds 10 \
//!     --path /v1/pets/7 --header 'x-api-key: KEY'
//! ```
//!
//! Bounded: at most `--seconds` (capped at 120), `--connections` (at most
//! 64) and `--concurrency` calls in flight (at most 1,000).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use envoy_types::pb::envoy::config::core::v3::address::Address as AddressKind;
use envoy_types::pb::envoy::config::core::v3::{Address, SocketAddress};
use envoy_types::pb::envoy::service::auth::v3::attribute_context::{
    HttpRequest, Peer, Request as AttributeRequest,
};
use envoy_types::pb::envoy::service::auth::v3::authorization_client::AuthorizationClient;
use envoy_types::pb::envoy::service::auth::v3::{AttributeContext, CheckRequest};

#[path = "support/tally.rs"]
mod tally;
use tally::Tally;

struct Args {
    address: String,
    connections: usize,
    concurrency: usize,
    seconds: u64,
    path: String,
    headers: Vec<(String, String)>,
}

fn args() -> Args {
    let mut args = Args {
        address: "127.0.0.1:9192".into(),
        connections: 4,
        concurrency: 32,
        seconds: 10,
        path: "/v1/pets/7".into(),
        headers: Vec::new(),
    };
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let value = given
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--address" => args.address = value,
            "--connections" => {
                args.connections = value.parse::<usize>().expect("--connections").clamp(1, 64)
            }
            "--concurrency" => {
                args.concurrency = value
                    .parse::<usize>()
                    .expect("--concurrency")
                    .clamp(1, 1000)
            }
            "--seconds" => args.seconds = value.parse::<u64>().expect("--seconds").clamp(1, 120),
            "--path" => args.path = value,
            "--header" => {
                let (name, value) = value.split_once(':').expect("--header 'name: value'");
                args.headers
                    .push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
            }
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

fn check_request(path: &str, headers: &[(String, String)]) -> CheckRequest {
    let mut map: HashMap<String, String> = HashMap::from([
        (":method".to_string(), "GET".to_string()),
        (":path".to_string(), path.to_string()),
        (":authority".to_string(), "api.example".to_string()),
    ]);
    map.extend(headers.iter().cloned());
    CheckRequest {
        attributes: Some(AttributeContext {
            source: Some(Peer {
                address: Some(Address {
                    address: Some(AddressKind::SocketAddress(SocketAddress {
                        address: "203.0.113.9".into(),
                        ..SocketAddress::default()
                    })),
                }),
                ..Peer::default()
            }),
            request: Some(AttributeRequest {
                time: None,
                http: Some(HttpRequest {
                    method: "GET".into(),
                    headers: map,
                    path: path.into(),
                    host: "api.example".into(),
                    scheme: "https".into(),
                    protocol: "HTTP/1.1".into(),
                    ..HttpRequest::default()
                }),
            }),
            ..AttributeContext::default()
        }),
    }
}

#[tokio::main]
async fn main() {
    let args = args();
    let request = check_request(&args.path, &args.headers);
    let mut clients = Vec::new();
    for _ in 0..args.connections {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", args.address))
            .unwrap()
            .tcp_nodelay(true)
            .connect()
            .await
            .unwrap();
        clients.push(AuthorizationClient::new(channel));
    }
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut workers = Vec::new();
    for worker in 0..args.concurrency {
        let mut client = clients[worker % clients.len()].clone();
        let request = request.clone();
        workers.push(tokio::spawn(async move {
            let mut tally = Tally::new();
            while Instant::now() < deadline {
                let started = Instant::now();
                let Ok(answer) = client.check(request.clone()).await else {
                    break;
                };
                let code = answer.into_inner().status.map_or(-1, |status| status.code);
                tally.record(started.elapsed(), code);
            }
            tally
        }));
    }
    let mut tally = Tally::new();
    for worker in workers {
        tally.merge(worker.await.unwrap());
    }
    println!(
        "{}",
        tally.summary("calls", "grpc status codes", args.seconds)
    );
}
