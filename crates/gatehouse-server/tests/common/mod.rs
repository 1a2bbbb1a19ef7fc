//! What the server's integration tests share: a directory per test, a
//! policy with a key store holding two keys, `gatehouse serve` started in
//! process on a free port, and the rule for tests that need an outside
//! program (skip with a notice, but fail under `CI=true`).
#![allow(dead_code)]

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

/// The policy most tests run: public, scoped, quota'd and body-checked
/// endpoints of one API without a base.
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

/// Several APIs, two of them bound to a host: more than one site, each
/// with several routes and a 404 for the rest.
pub const SEVERAL_APIS: [(&str, &str); 3] = [
    (
        "shop.gate",
        "api \"shop\" version \"1\"\nbase /v1\nendpoint GET /health {\n  public\n}\n",
    ),
    (
        "partner.gate",
        "api \"partner\"\nhost \"Partner.example.com\"\nbase /partner\nendpoint GET /status {\n  public\n}\n",
    ),
    (
        "internal.gate",
        "api \"internal\"\nhost \"partner.example.com\"\nbase /internal\nendpoint GET /status {\n  public\n}\n",
    ),
];

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

/// A policy and its key store, written to a directory: what servers are
/// started from.
pub struct Prepared {
    pub dir: PathBuf,
    /// A key holding `pets:read`, owned by the reader given.
    pub key: String,
    /// A key holding `pets:write`, owned by `ops`.
    pub writer: String,
}

/// Writes `policy` (as `pets.gate`), the secret and a key store whose
/// read key belongs to `reader`.
pub fn prepare(name: &str, policy: &str, reader: &str) -> Prepared {
    let dir = scratch(name);
    std::fs::write(dir.join("pets.gate"), policy).unwrap();
    std::fs::write(dir.join("secret"), SECRET).unwrap();
    let mut store = KeyStore::new("gk_", ServerSecret::new(SECRET).unwrap()).unwrap();
    let mut issue = |owner: &str, scope: &str| {
        store
            .issue(
                NewKey {
                    owner: owner.into(),
                    scopes: vec![scope.into()],
                    expires: None,
                    networks: Vec::new(),
                },
                1_700_000_000,
            )
            .unwrap()
            .key()
            .to_string()
    };
    let key = issue(reader, "pets:read");
    let writer = issue("ops", "pets:write");
    store.keys().save(&dir.join("keys.json")).unwrap();
    Prepared { dir, key, writer }
}

/// Starts `gatehouse serve` in this process for a prepared directory, on
/// free ports, with `extra` appended to its configuration.
pub async fn start_in(dir: &Path, extra: &str) -> gatehouse_server::Running {
    static COUNT: AtomicU32 = AtomicU32::new(0);
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
    let file = dir.join(format!(
        "serve-{}.toml",
        COUNT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&file, config).unwrap();
    let config = Config::from_file(&file).unwrap();
    let gate = Gate::start(config).unwrap();
    gatehouse_server::start(gate).await.unwrap()
}

pub struct Server {
    pub running: gatehouse_server::Running,
    pub dir: PathBuf,
    /// A key holding `pets:read`, owned by `billing`.
    pub key: String,
    /// A key holding `pets:write`, owned by `ops`.
    pub writer: String,
}

/// A server for POLICY with two keys.
pub async fn server(name: &str) -> Server {
    server_with(name, "").await
}

/// A server for POLICY with two keys, and `extra` appended to its config.
pub async fn server_with(name: &str, extra: &str) -> Server {
    let prepared = prepare(name, POLICY, "billing");
    let running = start_in(&prepared.dir, extra).await;
    Server {
        running,
        dir: prepared.dir,
        key: prepared.key,
        writer: prepared.writer,
    }
}

/// Says something on standard error (seen with `--nocapture`, and in CI
/// logs when a test fails).
pub fn notice(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{text}");
}

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The path of an outside program the test needs, or `None` (with a
/// notice) when it is not installed; under `CI=true` a missing program
/// fails the test, so that CI never passes by skipping.
pub fn program(name: &str, install: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .chain(["/usr/sbin".into(), "/sbin".into()])
            .map(|dir| dir.join(name))
            .find(|path| path.is_file())
    });
    if found.is_none() {
        if in_ci() {
            panic!("CI=true but `{name}` is not installed ({install}; .ci/run installs it): this test must run in CI");
        }
        notice(&format!(
            "SKIPPED: `{name}` is not installed ({install}); the test that needs it did not run"
        ));
    }
    found
}

/// A port on 127.0.0.1 that was free a moment ago (a program told to
/// listen there may still lose a race for it: callers retry).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A child process stopped (killed and reaped) when dropped, so that no
/// test leaves a server behind, whatever fails.
pub struct Child {
    pub name: String,
    pub child: std::process::Child,
}

impl Child {
    /// Whether it has exited.
    pub fn exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits (up to five seconds) until something accepts connections on
/// `port`, or `child` exits. Whether it listens.
pub async fn listening(child: &mut Child, port: u16) -> bool {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return true;
        }
        if child.exited() {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

/// An answer of gatehouse itself.
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

/// A check as Caddy sends it, to gatehouse at `address`, for the client
/// request `method uri`.
pub async fn caddy_check(
    address: SocketAddr,
    method: &str,
    uri: &str,
    extra: &[(&str, &str)],
) -> Answer {
    let mut headers = vec![
        ("X-Forwarded-Method", method),
        ("X-Forwarded-Uri", uri),
        ("X-Forwarded-Host", "pets.example"),
        ("X-Forwarded-Proto", "https"),
        ("X-Forwarded-For", "203.0.113.7"),
    ];
    headers.extend_from_slice(extra);
    get(address, "/check", &headers).await
}

pub fn header<'a>(answer: &'a Answer, name: &str) -> &'a str {
    answer
        .headers
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

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
