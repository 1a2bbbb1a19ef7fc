//! The configurations `gatehouse gateway` prints, run by the real nginx
//! and Caddy: each test starts `gatehouse serve` in process, an upstream
//! that echoes what it received, and the gateway (its own process, on a
//! free port of 127.0.0.1, with its files in a temporary directory), then
//! sends real requests through the gateway and checks what the client got
//! and what the upstream saw: allows with the principal headers, every
//! denial as gatehouse answered it, paths that try to reach a protected
//! route through a public one, forged principal headers, bodies the check
//! cannot see, and gatehouse down.
//!
//! Without nginx or Caddy installed the test skips with a notice, except
//! under `CI=true`, where it fails (`.ci/run` installs both).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{free_port, listening, notice, program, server, Child, Server, POLICY};
use gatehouse::PolicySet;
use gatehouse_server::gateway::{self, Address, Gateway, Options};
use http_body_util::Full;
use hyper::body::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A request the upstream received.
#[derive(Clone, Debug)]
struct Seen {
    target: String,
    headers: Vec<(String, String)>,
}

impl Seen {
    fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// The API behind the gateway: answers 200 with what it received, and
/// keeps a list of it.
struct Upstream {
    address: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Upstream {
    async fn start() -> Upstream {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let record = Arc::clone(&record);
                let service = hyper::service::service_fn(move |request: hyper::Request<_>| {
                    let record = Arc::clone(&record);
                    async move {
                        let target = request
                            .uri()
                            .path_and_query()
                            .map_or("/".to_string(), |p| p.as_str().to_string());
                        let headers: Vec<(String, String)> = request
                            .headers()
                            .iter()
                            .map(|(n, v)| {
                                (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into())
                            })
                            .collect();
                        let echo = serde_json::json!({ "target": target, "headers": headers });
                        record.lock().unwrap().push(Seen { target, headers });
                        let mut response =
                            hyper::Response::new(Full::new(Bytes::from(echo.to_string())));
                        response.headers_mut().insert(
                            "content-type",
                            hyper::header::HeaderValue::from_static("application/json"),
                        );
                        Ok::<_, Infallible>(response)
                    }
                });
                tokio::spawn(async move {
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await;
                });
            }
        });
        Upstream {
            address,
            seen,
            task,
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What the client got.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn header(&self, name: &str) -> &str {
        self.all(name).first().copied().unwrap_or("")
    }

    /// The reason code of the problem body.
    fn reason(&self) -> String {
        let problem: serde_json::Value = serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not a problem body ({e}): {self:?}"));
        problem["reason"].as_str().unwrap_or("").to_string()
    }
}

/// A request, written byte for byte as given (so that no client library
/// normalises the target) on a connection of its own.
struct Ask<'a> {
    method: &'a str,
    target: &'a str,
    headers: &'a [(&'a str, &'a str)],
    /// A body, with its `Content-Length`, or chunked.
    body: Option<(&'a str, bool)>,
}

impl<'a> Ask<'a> {
    fn get(target: &'a str, headers: &'a [(&'a str, &'a str)]) -> Ask<'a> {
        Ask {
            method: "GET",
            target,
            headers,
            body: None,
        }
    }
}

async fn send(port: u16, ask: &Ask<'_>) -> Reply {
    let mut request = format!(
        "{} {} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n",
        ask.method, ask.target
    );
    for (name, value) in ask.headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    match ask.body {
        None => request.push_str("\r\n"),
        Some((body, false)) => {
            request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        }
        Some((body, true)) => request.push_str(&format!(
            "Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
            body.len()
        )),
    }
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).await.unwrap();
        bytes
    };
    let bytes = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .unwrap_or_else(|_| panic!("no answer to {} {}", ask.method, ask.target));
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("not an HTTP response: {text:?}"));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        unchunk(body)
    } else {
        body.to_string()
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// A chunked body, decoded.
fn unchunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        body.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    body
}

/// A gateway process serving the printed configuration.
struct Running {
    port: u16,
    dir: PathBuf,
    _child: Child,
}

/// The printed configuration for this test's gatehouse, upstream and port.
fn printed(gateway: Gateway, server: &Server, upstream: &Upstream, port: u16) -> String {
    let policy = PolicySet::from_source("pets.gate", POLICY).unwrap();
    let options = Options {
        gatehouse: server.running.check.to_string().parse().unwrap(),
        upstream: format!("http://{}", upstream.address).parse().unwrap(),
        listen: Address::new("127.0.0.1", port).unwrap(),
        ..Options::default()
    };
    gateway::render(gateway, &policy, &options)
}

/// Starts `program` with `args` in `dir` until it listens on `port`,
/// trying other ports (the configuration printed anew) when it loses a
/// port race.
async fn start_gateway(
    name: &str,
    dir: &Path,
    mut configure: impl FnMut(u16) -> Command,
) -> Running {
    for _ in 0..5 {
        let port = free_port();
        let mut command = configure(port);
        let log = |file: &str| Stdio::from(std::fs::File::create(dir.join(file)).unwrap());
        command
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(log("stdout.log"))
            .stderr(log("stderr.log"));
        let mut child = Child {
            name: name.to_string(),
            child: command.spawn().unwrap(),
        };
        if listening(&mut child, port).await {
            return Running {
                port,
                dir: dir.to_path_buf(),
                _child: child,
            };
        }
        notice(&format!(
            "{name} did not start on port {port}: {}{}",
            std::fs::read_to_string(dir.join("stderr.log")).unwrap_or_default(),
            std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
        ));
    }
    panic!("{name} did not start; its logs are in {}", dir.display());
}

/// nginx, as the current user: one process (no daemon, no workers to
/// switch users for), its pid file, logs and temporary files in `dir`.
async fn start_nginx(nginx: &Path, server: &Server, upstream: &Upstream) -> Running {
    let dir = server.dir.join("nginx");
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    start_gateway("nginx", &dir, |port| {
        std::fs::write(
            dir.join("gatehouse.conf"),
            printed(Gateway::Nginx, server, upstream, port),
        )
        .unwrap();
        let d = dir.display();
        std::fs::write(
            dir.join("nginx.conf"),
            format!(
                "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log info;\n\
                 events {{ worker_connections 256; }}\n\
                 http {{\n  access_log {d}/access.log;\n  client_body_temp_path {d}/tmp/body;\n  \
                 proxy_temp_path {d}/tmp/proxy;\n  fastcgi_temp_path {d}/tmp/fastcgi;\n  \
                 uwsgi_temp_path {d}/tmp/uwsgi;\n  scgi_temp_path {d}/tmp/scgi;\n  \
                 include {d}/gatehouse.conf;\n}}\n"
            ),
        )
        .unwrap();
        let mut command = Command::new(nginx);
        command
            .arg("-p")
            .arg(format!("{d}/"))
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-e")
            .arg(dir.join("error.log"));
        command
    })
    .await
}

/// Caddy, with its data and configuration directories in `dir` and its
/// admin endpoint off (the printed file keeps Caddy's default, which two
/// Caddies on one machine would share).
async fn start_caddy(caddy: &Path, server: &Server, upstream: &Upstream) -> Running {
    let dir = server.dir.join("caddy");
    std::fs::create_dir_all(&dir).unwrap();
    start_gateway("caddy", &dir, |port| {
        let printed = printed(Gateway::Caddy, server, upstream, port);
        assert!(printed.contains("\tauto_https off\n"));
        let config = printed.replace("\tauto_https off\n", "\tauto_https off\n\tadmin off\n");
        std::fs::write(dir.join("Caddyfile"), config).unwrap();
        let mut command = Command::new(caddy);
        command
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(dir.join("Caddyfile"))
            .env("HOME", &dir)
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("XDG_CONFIG_HOME", dir.join("config"));
        command
    })
    .await
}

/// Everything a client and the upstream must see through a gateway.
async fn through(gateway: &Running, server: &Server, upstream: &Upstream) {
    let port = gateway.port;
    let key = [("X-API-Key", server.key.as_str())];
    let writer = [("X-API-Key", server.writer.as_str())];
    let context = format!("(logs in {})", gateway.dir.display());

    // Allowed: the upstream sees the principal, and not the client's
    // forgery of it.
    let forged = [
        ("X-API-Key", server.key.as_str()),
        ("X-Gatehouse-Subject", "root"),
        ("X-Gatehouse-Scopes", "pets:write admin"),
    ];
    let allowed = send(port, &Ask::get("/pets/7", &forged)).await;
    assert_eq!(allowed.status, 200, "{allowed:?} {context}");
    let seen = upstream.seen();
    let last = seen.last().unwrap();
    assert_eq!(last.target, "/pets/7");
    assert_eq!(last.all("x-gatehouse-subject"), ["billing"], "{last:?}");
    assert_eq!(last.all("x-gatehouse-scopes"), ["pets:read"], "{last:?}");
    assert_eq!(last.all("x-gatehouse-scheme"), ["key"], "{last:?}");
    assert_eq!(last.all("x-gatehouse-key-id").len(), 1, "{last:?}");
    assert_eq!(last.all("x-gatehouse-decision-id")[0].len(), 32, "{last:?}");

    // A public endpoint: the allow names no principal, and the client's
    // own principal headers still do not get through (nginx sends none,
    // Caddy sends them empty).
    let public = send(port, &Ask::get("/public/info", &forged[1..])).await;
    assert_eq!(public.status, 200, "{public:?}");
    let seen = upstream.seen();
    let last = seen.last().unwrap();
    assert_eq!(last.target, "/public/info");
    for name in ["x-gatehouse-subject", "x-gatehouse-scopes"] {
        assert!(
            last.all(name).iter().all(|value| value.is_empty()),
            "{name}: {last:?}"
        );
    }

    let before = upstream.count();

    // 401 with one challenge and the problem body.
    let anonymous = send(port, &Ask::get("/pets/7", &[])).await;
    assert_eq!(anonymous.status, 401, "{anonymous:?}");
    assert_eq!(anonymous.all("www-authenticate").len(), 1, "{anonymous:?}");
    assert!(anonymous.header("www-authenticate").starts_with("ApiKey"));
    assert_eq!(anonymous.reason(), "unauthenticated");
    assert_eq!(anonymous.header("content-type"), "application/problem+json");

    // 403, 404, and 405 with Allow.
    let forbidden = send(port, &Ask::get("/admin", &key)).await;
    assert_eq!(
        (forbidden.status, forbidden.reason().as_str()),
        (403, "insufficient_scope"),
        "{forbidden:?}"
    );
    let missing = send(port, &Ask::get("/nothing", &key)).await;
    assert_eq!(
        (missing.status, missing.reason().as_str()),
        (404, "route_not_found")
    );
    let wrong_method = send(
        port,
        &Ask {
            method: "DELETE",
            ..Ask::get("/pets/7", &key)
        },
    )
    .await;
    assert_eq!(wrong_method.status, 405, "{wrong_method:?}");
    assert!(wrong_method.header("allow").contains("GET"));
    assert_eq!(wrong_method.reason(), "method_not_allowed");

    // The quota (2/min, one used above): the third is 429 with Retry-After.
    assert_eq!(send(port, &Ask::get("/pets/8", &key)).await.status, 200);
    let before = before + 1;
    let limited = send(port, &Ask::get("/pets/9", &key)).await;
    assert_eq!(limited.status, 429, "{limited:?}");
    assert!(limited.header("retry-after").parse::<u64>().unwrap() > 0);
    assert_eq!(limited.reason(), "quota_exceeded");

    // Through a public route to a protected one (the writer may read
    // /admin, so only the path can deny): whatever the gateway makes of
    // the path, the answer is a denial and the upstream sees nothing.
    for target in [
        "/public/../admin",
        "/public/%2e%2e/admin",
        "/public/%2E%2E%2Fadmin",
        "/public/..%2fadmin",
        "//admin",
        "/public/./../admin",
    ] {
        let attempt = send(port, &Ask::get(target, &writer)).await;
        assert!(
            (400..500).contains(&attempt.status),
            "{target}: {attempt:?} {context}"
        );
    }
    assert_eq!(send(port, &Ask::get("/admin", &writer)).await.status, 200);
    let before = before + 1;

    // A body the check cannot see is not let through unchecked.
    refused_body(port, server, false).await;
    assert_eq!(upstream.count(), before, "{:?}", upstream.seen());
}

/// A body for an endpoint with body rules, with its length or chunked:
/// forward-auth checks see no body, so it is refused.
async fn refused_body(port: u16, server: &Server, chunked: bool) {
    let headers = [
        ("X-API-Key", server.writer.as_str()),
        ("Content-Type", "application/json"),
    ];
    let ask = Ask {
        method: "POST",
        target: "/pets",
        headers: &headers,
        body: Some((r#"{"name":"rex"}"#, chunked)),
    };
    let reply = send(port, &ask).await;
    assert_eq!(
        (reply.status, reply.reason().as_str()),
        (403, "body_not_forwarded"),
        "chunked: {chunked}, {reply:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_in_front_of_an_api() {
    let Some(nginx) = program("nginx", "apt-get install nginx") else {
        return;
    };
    let server = server("nginx-gateway").await;
    let upstream = Upstream::start().await;
    let gateway = start_nginx(&nginx, &server, &upstream).await;
    through(&gateway, &server, &upstream).await;

    // nginx does not pass a chunked body's framing to the check: the
    // printed configuration says there is one, so it is refused too.
    let before = upstream.count();
    refused_body(gateway.port, &server, true).await;
    assert_eq!(upstream.count(), before);

    gatehouse_down(&gateway, server, &upstream).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caddy_in_front_of_an_api() {
    let Some(caddy) = program("caddy", "apt-get install caddy") else {
        return;
    };
    let server = server("caddy-gateway").await;
    let upstream = Upstream::start().await;
    let gateway = start_caddy(&caddy, &server, &upstream).await;
    through(&gateway, &server, &upstream).await;
    gatehouse_down(&gateway, server, &upstream).await;
}

/// With gatehouse stopped, the gateway answers an error and lets nothing
/// through.
async fn gatehouse_down(gateway: &Running, server: Server, upstream: &Upstream) {
    let key = server.key.clone();
    server.running.stop().await;
    let before = upstream.count();
    let down = send(
        gateway.port,
        &Ask::get("/public/info", &[("X-API-Key", &key)]),
    )
    .await;
    assert!(down.status >= 500, "{down:?}");
    assert_eq!(upstream.count(), before);
    // Passed: the logs are not needed.
    let _ = std::fs::remove_dir_all(&server.dir);
}

/// The configurations printed for several APIs load in the real nginx
/// and Caddy (`nginx -t`, `caddy validate`).
#[test]
fn several_apis_load_in_nginx_and_caddy() {
    let nginx = program("nginx", "apt-get install nginx");
    let caddy = program("caddy", "apt-get install caddy");
    let mut sources = gatehouse::Sources::new();
    for (name, text) in common::SEVERAL_APIS {
        sources.add(name, text);
    }
    let policy = PolicySet::load(sources).unwrap();
    let dir = common::scratch("several-apis");
    let run = |command: &mut Command| {
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "{command:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    };
    if let Some(nginx) = nginx {
        let printed = gateway::render(Gateway::Nginx, &policy, &Options::default());
        std::fs::write(dir.join("gatehouse.conf"), printed).unwrap();
        let d = dir.display();
        std::fs::write(
            dir.join("nginx.conf"),
            format!(
                "pid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{}}\n\
                 http {{\n  access_log off;\n  include {d}/gatehouse.conf;\n}}\n"
            ),
        )
        .unwrap();
        run(Command::new(nginx)
            .arg("-t")
            .arg("-p")
            .arg(format!("{d}/"))
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-e")
            .arg(dir.join("error.log")));
    }
    if let Some(caddy) = caddy {
        let printed = gateway::render(Gateway::Caddy, &policy, &Options::default());
        std::fs::write(dir.join("Caddyfile"), printed).unwrap();
        run(Command::new(caddy)
            .args(["validate", "--adapter", "caddyfile", "--config"])
            .arg(dir.join("Caddyfile"))
            .env("HOME", &dir)
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("XDG_CONFIG_HOME", dir.join("config")));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
