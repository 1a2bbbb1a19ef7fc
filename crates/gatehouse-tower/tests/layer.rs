//! The layer under an axum app: over a real socket on 127.0.0.1 (a hyper
//! client, axum's server with `ConnectInfo`), and through
//! `tower::ServiceExt::oneshot` where a test must count what the layer
//! read.

// Tests may unwrap, index and panic: a panic here is a failing test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, Path};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use bytes::Bytes;
use gatehouse::Principal;
use gatehouse_tower::{GatehouseLayer, Matched, PeerAddr};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use support::{bytes, problem, token, Chunks};
use tower::ServiceExt;

type Records = Arc<Mutex<Vec<Value>>>;

/// The handlers' own counter: how many requests reached them.
static HANDLED: AtomicUsize = AtomicUsize::new(0);

fn app(records: Records) -> Router {
    let policy = support::policy();
    let layer = GatehouseLayer::new(policy.clone())
        .authenticator(support::authenticator(&policy))
        .client_addr(|parts| {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip())
                .or_else(|| parts.extensions.get::<PeerAddr>().map(|peer| peer.0))
        })
        .audit_sink(move |record: &Value| records.lock().unwrap().push(record.clone()));
    Router::new()
        .route("/users/{uid}", get(user))
        .route("/orders", post(create_order).get(list_orders))
        .route("/echo", put(echo))
        .route("/report", get(report))
        .route("/broken", get(broken))
        .route("/page", get(page))
        .layer(layer)
}

async fn user(
    Path(uid): Path<String>,
    Extension(principal): Extension<Arc<Principal>>,
    Extension(matched): Extension<Matched>,
) -> (HeaderMap, Json<Value>) {
    HANDLED.fetch_add(1, Ordering::SeqCst);
    let mut headers = HeaderMap::new();
    headers.insert("x-endpoint", matched.endpoint.parse().unwrap());
    headers.insert("x-subject", principal.subject.parse().unwrap());
    let body = json!({
        "id": uid,
        "name": "Alice",
        "ssn": "123-45-6789",
        "salary": 100000,
    });
    (headers, Json(body))
}

async fn create_order(body: Bytes) -> (StatusCode, Bytes) {
    HANDLED.fetch_add(1, Ordering::SeqCst);
    (StatusCode::CREATED, body)
}

async fn list_orders() -> Json<Value> {
    Json(json!({ "orders": [] }))
}

async fn echo(body: Bytes) -> Bytes {
    HANDLED.fetch_add(1, Ordering::SeqCst);
    body
}

/// 5 MB, streamed in 64 KiB chunks, with no length announced.
async fn report() -> axum::response::Response {
    let body = Chunks::repeat(b'r', 5_000_000, 64 << 10);
    axum::response::Response::builder()
        .header("content-type", "application/octet-stream")
        .body(axum::body::Body::new(body))
        .unwrap()
}

/// JSON cut off in the middle, as a service that broke down would send.
async fn broken() -> axum::response::Response {
    axum::response::Response::builder()
        .header("content-type", "application/json")
        .body(axum::body::Body::from(
            r#"{"id": 7, "secret": "hunter2", "items": [1, 2"#,
        ))
        .unwrap()
}

/// Valid HTML on an endpoint whose responses are masked.
async fn page() -> axum::response::Html<&'static str> {
    axum::response::Html("<p>secret: hunter2</p>")
}

struct Server {
    addr: SocketAddr,
    records: Records,
    client: Client<
        hyper_util::client::legacy::connect::HttpConnector,
        BoxBody<Bytes, std::convert::Infallible>,
    >,
}

async fn serve() -> Server {
    let records = Records::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = app(Arc::clone(&records)).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
    let client = Client::builder(TokioExecutor::new()).build_http();
    Server {
        addr,
        records,
        client,
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Server {
    async fn send(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: BoxBody<Bytes, std::convert::Infallible>,
    ) -> Answer {
        self.send_with(method, path, bearer, &[], body).await
    }

    async fn send_with(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        headers: &[(&str, String)],
        body: BoxBody<Bytes, std::convert::Infallible>,
    ) -> Answer {
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr));
        if let Some(token) = bearer {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = self
            .client
            .request(request.body(body).unwrap())
            .await
            .unwrap();
        let (parts, body) = response.into_parts();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body: bytes(body).await,
        }
    }

    async fn get(&self, path: &str, bearer: Option<&str>) -> Answer {
        self.send("GET", path, bearer, Empty::new().boxed()).await
    }

    async fn send_json(&self, method: &str, path: &str, bearer: &str, body: &str) -> Answer {
        let headers = [
            ("content-type", "application/json".to_string()),
            ("content-length", body.len().to_string()),
        ];
        let body = Full::new(Bytes::copy_from_slice(body.as_bytes())).boxed();
        self.send_with(method, path, Some(bearer), &headers, body)
            .await
    }
}

fn header<'a>(answer: &'a Answer, name: &str) -> &'a str {
    answer
        .headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", answer.headers))
        .to_str()
        .unwrap()
}

fn assert_problem(answer: &Answer, status: u16, reason: &str) -> Value {
    assert_eq!(answer.status.as_u16(), status, "{:?}", answer.body);
    assert_eq!(header(answer, "content-type"), "application/problem+json");
    let problem = problem(&answer.body);
    assert_eq!(problem["status"], status);
    assert_eq!(problem["reason"], reason);
    assert_eq!(problem["type"], format!("urn:gatehouse:reason:{reason}"));
    assert!(problem["title"].is_string() && problem["detail"].is_string());
    problem
}

#[tokio::test]
async fn allowed_the_handler_sees_the_principal_and_the_response_is_masked() {
    let server = serve().await;
    let answer = server.get("/users/alice", Some(&token("alice", ""))).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(header(&answer, "x-subject"), "alice");
    assert_eq!(header(&answer, "x-endpoint"), "GET /users/{uid}");
    // `response only` dropped the salary; `keep last 4` masked the SSN.
    assert_eq!(
        &answer.body[..],
        br#"{"id":"alice","name":"Alice","ssn":"*******6789"}"#
    );
    assert_eq!(
        header(&answer, "content-length"),
        answer.body.len().to_string()
    );

    let records = server.records.lock().unwrap().clone();
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(record["decision"], "allow");
    assert_eq!(record["endpoint"], "GET /users/{uid}");
    assert_eq!(record["response_status"], 200);
    assert_eq!(record["masked"], true);
    assert_eq!(record["principal"]["subject"], "alice");
    assert!(!record.to_string().contains("Bearer"));
}

#[tokio::test]
async fn no_credential_is_a_401_with_a_challenge() {
    let server = serve().await;
    let answer = server.get("/users/alice", None).await;
    assert_problem(&answer, 401, "unauthenticated");
    assert!(header(&answer, "www-authenticate").starts_with("Bearer realm=\"shop\""));
}

#[tokio::test]
async fn a_bad_token_is_refused_with_its_reason() {
    let server = serve().await;
    let answer = server.get("/users/alice", Some("not.a.token")).await;
    assert_eq!(answer.status.as_u16(), 401);
    let problem = problem(&answer.body);
    assert_ne!(problem["reason"], "unauthenticated");
    assert!(header(&answer, "www-authenticate").contains("error=\"invalid_token\""));
    let records = server.records.lock().unwrap().clone();
    assert_eq!(records[0]["stage"], "credentials");
    assert_eq!(records[0]["credential_scheme"], "user");
    assert!(!records[0].to_string().contains("not.a.token"));
}

#[tokio::test]
async fn what_fails_before_authentication_answers_as_for_anyone() {
    let server = serve().await;
    // A bad token does not turn an unknown route into a 401.
    let answer = server.get("/nowhere", Some("not.a.token")).await;
    assert_problem(&answer, 404, "route_not_found");
    let answer = server.get("/users/a/../b", Some("not.a.token")).await;
    assert_eq!(answer.status.as_u16(), 400);
}

#[tokio::test]
async fn conditions_scopes_methods_and_quotas_deny_with_problems_and_headers() {
    let server = serve().await;
    // Bob may not read Alice: a `when` condition.
    let answer = server.get("/users/alice", Some(&token("bob", ""))).await;
    assert_problem(&answer, 403, "condition_failed");
    // Unless he is an admin.
    let answer = server
        .get("/users/alice", Some(&token("bob", "admin")))
        .await;
    assert_eq!(answer.status, StatusCode::OK);

    // A missing scope.
    let answer = server.get("/orders", Some(&token("alice", ""))).await;
    assert_problem(&answer, 403, "insufficient_scope");

    // A method the path does not have: 405 with `Allow`.
    let answer = server
        .send(
            "DELETE",
            "/orders",
            Some(&token("alice", "")),
            Empty::new().boxed(),
        )
        .await;
    assert_problem(&answer, 405, "method_not_allowed");
    assert_eq!(header(&answer, "allow"), "GET, HEAD, POST");

    // `quota 2/min by principal`: the allowed answers carry the
    // `RateLimit-*` headers, the third is a 429 with `Retry-After`.
    let carol = token("carol", "orders:read");
    for left in ["1", "0"] {
        let answer = server.get("/orders", Some(&carol)).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(header(&answer, "ratelimit-remaining"), left);
        assert_eq!(header(&answer, "ratelimit-limit"), "2");
    }
    let answer = server.get("/orders", Some(&carol)).await;
    assert_problem(&answer, 429, "quota_exceeded");
    assert!(header(&answer, "retry-after").parse::<u32>().unwrap() > 0);
    assert_eq!(header(&answer, "ratelimit-remaining"), "0");
}

#[tokio::test]
async fn a_mass_assignment_body_is_a_422_with_its_pointer() {
    let server = serve().await;
    let writer = token("alice", "orders:write");
    let before = HANDLED.load(Ordering::SeqCst);
    let answer = server
        .send_json(
            "POST",
            "/orders",
            &writer,
            r#"{"item": "tea", "quantity": 2, "price": 0}"#,
        )
        .await;
    let problem = assert_problem(&answer, 422, "body_invalid");
    assert_eq!(problem["violation"]["pointer"], "/price");
    assert_eq!(problem["violation"]["problem"], "unknown");
    assert!(!answer.body.windows(3).any(|w| w == b"tea"));

    // The same order without the extra field goes through, and the
    // handler gets the very bytes that were sent.
    let order = r#"{"item": "tea",   "quantity": 2}"#;
    let answer = server.send_json("POST", "/orders", &writer, order).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(&answer.body[..], order.as_bytes());
    assert_eq!(HANDLED.load(Ordering::SeqCst), before + 1);
}

#[tokio::test]
async fn the_handler_receives_exactly_the_bytes_the_client_sent() {
    let server = serve().await;
    let sent: Vec<u8> = (0..60_000u32).map(|i| (i * 7 % 251) as u8 + 1).collect();
    // Chunked, in uneven pieces, with no length announced.
    let chunks = support::chunked(&sent, &[1, 333, 4096, 40_000, 59_999]);
    let answer = server
        .send(
            "PUT",
            "/echo",
            Some(&token("alice", "")),
            Chunks::new(chunks).boxed(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.body.len(), sent.len());
    assert!(answer.body[..] == sent[..]);
}

#[tokio::test]
async fn a_truncated_json_response_is_withheld() {
    let server = serve().await;
    let answer = server.get("/broken", None).await;
    assert_problem(&answer, 502, "response_withheld");
    assert!(!answer.body.windows(7).any(|w| w == b"hunter2"));
    let records = server.records.lock().unwrap().clone();
    assert_eq!(records[0]["response_status"], 502);
    assert_eq!(records[0]["masked"], false);
}

#[tokio::test]
async fn a_non_json_response_of_a_masked_endpoint_is_withheld() {
    let server = serve().await;
    let answer = server.get("/page", None).await;
    assert_problem(&answer, 502, "response_withheld");
    assert!(!answer.body.windows(7).any(|w| w == b"hunter2"));
}

#[tokio::test]
async fn an_unmasked_streamed_response_passes_through() {
    let server = serve().await;
    let answer = server.get("/report", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body.len(), 5_000_000);
    assert!(answer.body.iter().all(|&b| b == b'r'));
    assert_eq!(server.records.lock().unwrap()[0]["masked"], false);
}

/// The app driven without a socket: `PeerAddr` stands for the peer.
async fn oneshot(request: http::Request<Chunks>) -> (StatusCode, HeaderMap, Bytes) {
    let response = app(Records::default()).oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    (parts.status, parts.headers, bytes(body).await)
}

fn request_with(method: &str, path: &str, bearer: &str, body: Chunks) -> http::Request<Chunks> {
    let mut request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {bearer}"))
        .body(body)
        .unwrap();
    request
        .extensions_mut()
        .insert(PeerAddr(IpAddr::from([203, 0, 113, 9])));
    request
}

#[tokio::test]
async fn a_10_mb_body_against_64_kib_stops_after_the_limit() {
    let body = Chunks::repeat(b'x', 10 << 20, 16 << 10);
    let taken = Arc::clone(&body.taken);
    let before = HANDLED.load(Ordering::SeqCst);
    let (status, headers, body) =
        oneshot(request_with("PUT", "/echo", &token("alice", ""), body)).await;
    assert_eq!(status.as_u16(), 413, "{body:?}");
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(problem(&body)["reason"], "body_too_large");
    // `body max 64KiB`: at most the limit and one chunk more were read.
    let read = taken.load(Ordering::SeqCst);
    assert!(read <= (64 << 10) + (16 << 10), "read {read} bytes");
    assert_eq!(HANDLED.load(Ordering::SeqCst), before);
}

#[tokio::test]
async fn a_body_over_the_layers_own_cap_is_refused() {
    let policy = support::policy();
    let app = Router::new().route("/echo", put(echo)).layer(
        GatehouseLayer::new(policy.clone())
            .authenticator(support::authenticator(&policy))
            .max_buffered_body(1000)
            .audit_sink(|_: &Value| {}),
    );
    let body = Chunks::repeat(b'x', 5000, 100);
    let taken = Arc::clone(&body.taken);
    let response = app
        .oneshot(request_with("PUT", "/echo", &token("alice", ""), body))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    assert!(taken.load(Ordering::SeqCst) <= 1100);
}

#[tokio::test]
async fn a_request_without_a_client_address_is_refused() {
    let mut request = request_with("GET", "/report", "", Chunks::new([]));
    request.extensions_mut().clear();
    let (status, headers, body) = oneshot(request).await;
    assert_eq!(status.as_u16(), 500);
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(problem(&body)["reason"], "peer_unknown");
}

#[tokio::test]
async fn the_layer_works_in_a_service_builder_with_a_socket_addr_extension() {
    let policy = support::policy();
    let records = Records::default();
    let sink = Arc::clone(&records);
    let service = tower::ServiceBuilder::new()
        .layer(
            GatehouseLayer::new(policy.clone())
                .authenticator(support::authenticator(&policy))
                .audit_sink(move |record: &Value| sink.lock().unwrap().push(record.clone())),
        )
        .service(tower::service_fn(
            |request: http::Request<gatehouse_tower::RequestBody<Chunks>>| async move {
                let subject = request
                    .extensions()
                    .get::<Arc<Principal>>()
                    .map(|p| p.subject.clone())
                    .unwrap_or_default();
                let body = format!(r#"{{"id": 1, "name": "{subject}", "ssn": "000-00-1234"}}"#);
                let response = http::Response::builder()
                    .header("content-type", "application/json; charset=utf-8")
                    .body(Full::new(Bytes::from(body)))
                    .unwrap();
                Ok::<_, std::convert::Infallible>(response)
            },
        ));
    let mut request = http::Request::builder()
        .uri("/users/dave")
        .header("authorization", format!("Bearer {}", token("dave", "")))
        .body(Chunks::new([]))
        .unwrap();
    request
        .extensions_mut()
        .insert(SocketAddr::from(([192, 0, 2, 1], 4000)));
    let response = service.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = bytes(response.into_body()).await;
    assert_eq!(
        &body[..],
        br#"{"id": 1, "name": "dave", "ssn": "*******1234"}"#
    );
    let records = records.lock().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["request"]["peer"], "192.0.2.1");
}
