//! What the server tests share: a policy, a server for it (check, gRPC
//! and admin listeners on ports of their own, two API keys, an audit file)
//! and an HTTP client.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use gatehouse_credentials::keys::{KeyStore, NewKey, ServerSecret};
use gatehouse_server::config::Config;
use gatehouse_server::Gate;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

pub const POLICY: &str = r#"api "pets" version "1"
scopes {
  pets:read
  pets:write
}
auth key = api_key(header: "X-API-Key")
auth service = mtls(subject: "*.internal.example.com")

endpoint GET /public/info {
  public
}

endpoint GET /internal {
  authenticate service
}

endpoint GET /admin {
  authenticate key
  require pets:write
}

endpoint GET /pets/{id:int} {
  authenticate key
  require pets:read
  quota 2/min by principal
}

endpoint POST /pets {
  authenticate key
  require pets:write
  body max 1KiB
  body json { name: string(1..40) }
}
"#;

pub const SECRET: &[u8] = b"a server secret of at least thirty-two bytes";

/// Paths that climb from a public endpoint to a protected one, each
/// spelled so that a gateway or backend might resolve it.
pub const TRAVERSALS: [&str; 5] = [
    "/public/../admin",
    "/public/%2e%2e/admin",
    "/public/%2E%2E%2Fadmin",
    "/public/..%2fadmin",
    "/public//../admin",
];

/// A directory of its own for each test.
pub fn scratch(name: &str) -> PathBuf {
    static COUNT: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "gatehouse-serve-{name}-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub struct Server {
    pub running: gatehouse_server::Running,
    pub dir: PathBuf,
    /// A key holding `pets:read`.
    pub key: String,
    /// A key holding `pets:write`.
    pub writer: String,
}

/// A server for POLICY with two keys.
pub async fn server(name: &str) -> Server {
    server_with(name, "").await
}

/// A server for POLICY with two keys, and `extra` appended to its config.
pub async fn server_with(name: &str, extra: &str) -> Server {
    let dir = scratch(name);
    std::fs::write(dir.join("pets.gate"), POLICY).unwrap();
    std::fs::write(dir.join("secret"), SECRET).unwrap();
    let mut store = KeyStore::new("gk_", ServerSecret::new(SECRET).unwrap()).unwrap();
    let mut issue = |owner: &str, scope: &str| {
        let new = NewKey {
            owner: owner.into(),
            scopes: vec![scope.into()],
            expires: None,
            networks: Vec::new(),
        };
        store.issue(new, 1_700_000_000).unwrap().key().to_string()
    };
    let key = issue("billing", "pets:read");
    let writer = issue("ops", "pets:write");
    store.keys().save(&dir.join("keys.json")).unwrap();
    let config = format!(
        r#"policies = ["pets.gate"]
[listen]
check = "127.0.0.1:0"
grpc = "127.0.0.1:0"
admin = "127.0.0.1:0"
[credentials]
key_store = "keys.json"
secret_file = "secret"
[audit]
sink = "audit.log"
{extra}"#
    );
    std::fs::write(dir.join("serve.toml"), config).unwrap();
    let config = Config::from_file(&dir.join("serve.toml")).unwrap();
    let gate = Gate::start(config).unwrap();
    let running = gatehouse_server::start(gate).await.unwrap();
    Server {
        running,
        dir,
        key,
        writer,
    }
}

/// A response, read whole.
pub struct Answer {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: String,
}

/// `GET path` of `address`, with `headers`.
pub async fn get(address: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Answer {
    send(address, "GET", path, headers, "").await
}

/// `method path` of `address`, with `headers` and `body`.
pub async fn send(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(format!("http://{address}{path}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = client
        .request(
            request
                .body(Full::new(Bytes::from(body.to_string())))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// A header's value (empty when absent).
pub fn header<'a>(answer: &'a Answer, name: &str) -> &'a str {
    answer
        .headers
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

/// The `reason` of a problem body.
pub fn reason(answer: &Answer) -> String {
    let problem: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    problem["reason"].as_str().unwrap().to_string()
}

/// The file's text once it holds `needle` (the audit writer is a thread of
/// its own).
pub async fn wait_for(path: &Path, needle: &str) -> String {
    for _ in 0..200 {
        if let Ok(text) = std::fs::read_to_string(path) {
            if text.contains(needle) {
                return text;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("{} never held {needle}", path.display());
}
