//! Envoy's ext_authz against `gatehouse serve` over real sockets on
//! 127.0.0.1. Envoy itself cannot be installed here, so the gRPC service
//! is called by a tonic client generated from the same v3 protos Envoy
//! speaks (`envoy-types`), with the attributes Envoy fills in; the HTTP
//! service is called as Envoy's HTTP filter calls it (`path_prefix`, the
//! client's method, `X-Forwarded-For`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::net::SocketAddr;

use envoy_types::pb::envoy::config::core::v3::address::Address as AddressKind;
use envoy_types::pb::envoy::config::core::v3::header_value_option::HeaderAppendAction;
use envoy_types::pb::envoy::config::core::v3::{Address, HeaderValueOption, SocketAddress};
use envoy_types::pb::envoy::service::auth::v3::attribute_context::{
    HttpRequest, Peer, Request as AttributeRequest,
};
use envoy_types::pb::envoy::service::auth::v3::authorization_client::AuthorizationClient;
use envoy_types::pb::envoy::service::auth::v3::check_response::HttpResponse;
use envoy_types::pb::envoy::service::auth::v3::{AttributeContext, CheckRequest};
use envoy_types::pb::google::protobuf::value::Kind;
use tonic::transport::Channel;

mod common;

use common::{
    get, header, reason, send, server, server_with, wait_for, Answer, Server, TRAVERSALS,
};

const OVERWRITE: i32 = HeaderAppendAction::OverwriteIfExistsOrAdd as i32;

/// The Envoy side: a gRPC client of the server's `Authorization` service.
struct Envoy {
    client: AuthorizationClient<Channel>,
}

/// What a `CheckResponse` told Envoy to do.
#[derive(Debug)]
struct Verdict {
    /// The `google.rpc.Status` code: 0 lets the request through.
    code: i32,
    /// The client's status: 200 for an allow, else the denial's.
    status: i32,
    /// Headers for the upstream (allow) or the client (denial), with
    /// their append actions.
    headers: Vec<(String, String, i32)>,
    /// Headers added to the upstream's response on an allow.
    client_headers: Vec<(String, String, i32)>,
    /// The denial's body.
    body: String,
    /// `dynamic_metadata.gatehouse.decision_id`.
    decision_id: String,
}

impl Verdict {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _, _)| key == name)
            .map(|(_, value, _)| value.as_str())
    }

    fn reason(&self) -> String {
        let problem: serde_json::Value = serde_json::from_str(&self.body).unwrap();
        problem["reason"].as_str().unwrap().to_string()
    }
}

fn options(options: &[HeaderValueOption]) -> Vec<(String, String, i32)> {
    options
        .iter()
        .map(|option| {
            let header = option.header.as_ref().unwrap();
            (
                header.key.clone(),
                header.value.clone(),
                option.append_action,
            )
        })
        .collect()
}

impl Envoy {
    async fn connect(address: SocketAddr) -> Envoy {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        Envoy {
            client: AuthorizationClient::new(channel),
        }
    }

    /// Checks `method path` from the client 203.0.113.7 with `headers`,
    /// as Envoy does without `with_request_body`.
    async fn check(&mut self, method: &str, path: &str, headers: &[(&str, &str)]) -> Verdict {
        self.ask(request(method, path, headers)).await
    }

    async fn ask(&mut self, request: CheckRequest) -> Verdict {
        let response = self.client.check(request).await.unwrap().into_inner();
        let code = response.status.as_ref().unwrap().code;
        let metadata = response.dynamic_metadata.unwrap();
        let Some(Kind::StructValue(gatehouse)) =
            metadata.fields["gatehouse"].kind.as_ref().cloned()
        else {
            panic!("no gatehouse metadata: {metadata:?}");
        };
        let Some(Kind::StringValue(decision_id)) = gatehouse.fields["decision_id"].kind.clone()
        else {
            panic!("no decision id: {gatehouse:?}");
        };
        match response.http_response.unwrap() {
            HttpResponse::OkResponse(ok) => Verdict {
                code,
                status: 200,
                headers: options(&ok.headers),
                client_headers: options(&ok.response_headers_to_add),
                body: String::new(),
                decision_id,
            },
            HttpResponse::DeniedResponse(denied) => Verdict {
                code,
                status: denied.status.unwrap().code,
                headers: options(&denied.headers),
                client_headers: Vec::new(),
                body: denied.body,
                decision_id,
            },
            HttpResponse::ErrorResponse(error) => panic!("an error response: {error:?}"),
        }
    }
}

/// A `CheckRequest` as Envoy fills it in for `method path` from the
/// client 203.0.113.7 (HTTP/1.1, so Envoy adds the pseudo-headers).
fn request(method: &str, path: &str, headers: &[(&str, &str)]) -> CheckRequest {
    let mut map: HashMap<String, String> = HashMap::from([
        (":method".to_string(), method.to_string()),
        (":path".to_string(), path.to_string()),
        (":authority".to_string(), "pets.example".to_string()),
        (":scheme".to_string(), "https".to_string()),
        ("x-forwarded-proto".to_string(), "https".to_string()),
    ]);
    for (name, value) in headers {
        map.insert(name.to_ascii_lowercase(), value.to_string());
    }
    CheckRequest {
        attributes: Some(AttributeContext {
            source: Some(Peer {
                address: Some(Address {
                    address: Some(AddressKind::SocketAddress(SocketAddress {
                        address: "203.0.113.7".into(),
                        ..SocketAddress::default()
                    })),
                }),
                ..Peer::default()
            }),
            request: Some(AttributeRequest {
                time: None,
                http: Some(HttpRequest {
                    id: "1".into(),
                    method: method.into(),
                    headers: map,
                    path: path.into(),
                    host: "pets.example".into(),
                    scheme: "https".into(),
                    protocol: "HTTP/1.1".into(),
                    ..HttpRequest::default()
                }),
            }),
            ..AttributeContext::default()
        }),
    }
}

/// The HTTP attributes of a `CheckRequest` made by [`request`].
fn http_of(request: &mut CheckRequest) -> &mut HttpRequest {
    request
        .attributes
        .as_mut()
        .unwrap()
        .request
        .as_mut()
        .unwrap()
        .http
        .as_mut()
        .unwrap()
}

/// `request`, with `body` sent as Envoy sends it with `with_request_body`
/// (`pack_as_bytes` when `raw`): its length declared, the body whole.
fn with_body(mut request: CheckRequest, body: &str, raw: bool) -> CheckRequest {
    let http = http_of(&mut request);
    http.headers
        .insert("content-length".into(), body.len().to_string());
    http.headers
        .insert("x-envoy-auth-partial-body".into(), "false".into());
    if raw {
        http.raw_body = body.as_bytes().to_vec();
    } else {
        http.body = body.to_string();
    }
    request
}

async fn envoy(server: &Server) -> Envoy {
    Envoy::connect(server.running.grpc.unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_envoy_relays() {
    let server = server("envoy-answers").await;
    let mut envoy = envoy(&server).await;
    let key = server.key.clone();
    let with_key = [("X-API-Key", key.as_str())];

    // Allowed: OK, and the principal for the upstream, replacing what the
    // client sent under those names.
    let allowed = envoy
        .check(
            "GET",
            "/pets/7?x=1",
            &[("X-API-Key", key.as_str()), ("X-Gatehouse-Subject", "root")],
        )
        .await;
    assert_eq!((allowed.code, allowed.status), (0, 200), "{allowed:?}");
    assert_eq!(allowed.header("x-gatehouse-subject"), Some("billing"));
    assert_eq!(allowed.header("x-gatehouse-scheme"), Some("key"));
    assert_eq!(allowed.header("x-gatehouse-scopes"), Some("pets:read"));
    assert!(!allowed.header("x-gatehouse-key-id").unwrap().is_empty());
    assert!(allowed
        .headers
        .iter()
        .all(|(_, _, action)| *action == OVERWRITE));
    // The decision id, in the upstream's header and Envoy's metadata.
    assert_eq!(allowed.decision_id.len(), 32);
    assert_eq!(
        allowed.header("x-gatehouse-decision-id"),
        Some(allowed.decision_id.as_str())
    );
    // The audit record names the same decision.
    let audit = wait_for(&server.dir.join("audit.log"), &allowed.decision_id).await;
    assert!(!audit.contains(&key));
    assert!(allowed
        .client_headers
        .iter()
        .any(|(name, _, action)| name.starts_with("ratelimit") && *action == OVERWRITE));

    // A public endpoint: every principal header set, and empty, so a
    // client's forgery is overwritten.
    let public = envoy
        .check("GET", "/public/info", &[("X-Gatehouse-Subject", "root")])
        .await;
    assert_eq!(public.code, 0);
    assert_eq!(public.header("x-gatehouse-subject"), Some(""));

    // 401 with the challenge: UNAUTHENTICATED.
    let anonymous = envoy.check("GET", "/pets/7", &[]).await;
    assert_eq!((anonymous.code, anonymous.status), (16, 401));
    assert!(anonymous
        .header("www-authenticate")
        .unwrap()
        .starts_with("ApiKey"));
    assert_eq!(
        anonymous.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(anonymous.reason(), "unauthenticated");
    assert_eq!(
        anonymous.header("x-gatehouse-reason"),
        Some("unauthenticated")
    );
    assert_eq!(
        anonymous.header("x-gatehouse-decision-id"),
        Some(anonymous.decision_id.as_str())
    );

    // 403, 404, 405 with Allow: PERMISSION_DENIED.
    let forbidden = envoy.check("GET", "/admin", &with_key).await;
    assert_eq!((forbidden.code, forbidden.status), (7, 403));
    assert_eq!(forbidden.reason(), "insufficient_scope");
    let missing = envoy.check("GET", "/nothing", &with_key).await;
    assert_eq!((missing.code, missing.status), (7, 404));
    let method = envoy.check("DELETE", "/pets/7", &with_key).await;
    assert_eq!((method.code, method.status), (7, 405));
    assert!(method.header("allow").unwrap().contains("GET"));

    // The quota (2/min): the third is 429 with Retry-After.
    let second = envoy.check("GET", "/pets/8", &with_key).await;
    assert_eq!(second.code, 0);
    let third = envoy.check("GET", "/pets/9", &with_key).await;
    assert_eq!((third.code, third.status), (7, 429));
    assert!(!third.header("retry-after").unwrap().is_empty());

    // Through a public route to a protected one: never an allow.
    for path in TRAVERSALS {
        let attempt = envoy.check("GET", path, &with_key).await;
        assert_eq!(attempt.status, 400, "{path}: {}", attempt.body);
        assert_eq!(attempt.reason(), "path_malformed", "{path}");
    }

    server.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_envoy_sends_are_checked_and_others_refused() {
    let server = server("envoy-bodies").await;
    let mut envoy = envoy(&server).await;
    let writer = server.writer.clone();
    let headers = [
        ("X-API-Key", writer.as_str()),
        ("Content-Type", "application/json"),
    ];
    let post = || request("POST", "/pets", &headers);

    for raw in [false, true] {
        let good = envoy.ask(with_body(post(), r#"{"name":"rex"}"#, raw)).await;
        assert_eq!((good.code, good.status), (0, 200), "{good:?}");
        assert_eq!(good.header("x-gatehouse-subject"), Some("ops"));

        let bad = envoy.ask(with_body(post(), r#"{"name":5}"#, raw)).await;
        assert_eq!((bad.code, bad.status), (7, 422), "{bad:?}");
        assert_eq!(bad.reason(), "body_invalid");
    }

    // Over `body max` (1 KiB): refused by the bytes.
    let large = format!(r#"{{"name":"{}"}}"#, "a".repeat(2000));
    let too_large = envoy.ask(with_body(post(), &large, false)).await;
    assert_eq!(too_large.status, 413, "{too_large:?}");

    // Declared, not sent (no `with_request_body`): not let through.
    let mut declared = post();
    http_of(&mut declared)
        .headers
        .insert("content-length".into(), "15".into());
    let unseen = envoy.ask(declared).await;
    assert_eq!((unseen.code, unseen.status), (7, 403));
    assert_eq!(unseen.reason(), "body_not_forwarded");

    // Cut at Envoy's `max_request_bytes`: a part is not the body.
    let mut cut = with_body(post(), r#"{"name":"#, false);
    http_of(&mut cut)
        .headers
        .insert("x-envoy-auth-partial-body".into(), "true".into());
    let partial = envoy.ask(cut).await;
    assert_eq!(partial.reason(), "body_not_forwarded");

    server.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn envoy_is_believed_only_from_a_configured_gateway() {
    let server = server_with(
        "envoy-untrusted",
        "[gateways]\ntrusted = [\"10.0.0.0/8\"]\n",
    )
    .await;
    let mut envoy = envoy(&server).await;
    let key = server.key.clone();
    let refused = envoy
        .check("GET", "/pets/7", &[("X-API-Key", key.as_str())])
        .await;
    assert_eq!((refused.code, refused.status), (7, 403));
    assert_eq!(refused.reason(), "untrusted_gateway");
    let http = ext_authz(
        &server,
        "GET",
        "/pets/7",
        &[("X-API-Key", key.as_str())],
        "",
    )
    .await;
    assert_eq!(
        (http.status, reason(&http).as_str()),
        (403, "untrusted_gateway")
    );
    server.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_that_does_not_say_who_asked_is_refused() {
    let server = server("envoy-missing").await;
    let mut envoy = envoy(&server).await;
    let mut anonymous = request("GET", "/public/info", &[]);
    anonymous.attributes.as_mut().unwrap().source = None;
    let refused = envoy.ask(anonymous).await;
    assert_eq!(
        (refused.status, refused.reason().as_str()),
        (400, "forwarded_request_missing")
    );
    let refused = envoy.ask(CheckRequest::default()).await;
    assert_eq!(refused.reason(), "forwarded_request_missing");
    server.running.stop().await;
}

/// A check as Envoy's HTTP filter sends it (`path_prefix: /ext_authz`,
/// `x-forwarded-for` among the allowed headers) for `method path`.
async fn ext_authz(
    server: &Server,
    method: &str,
    path: &str,
    extra: &[(&str, &str)],
    body: &str,
) -> Answer {
    // The client sets the body's Content-Length, as Envoy does.
    let mut headers = vec![
        ("Host", "pets.example"),
        ("X-Forwarded-For", "198.51.100.1, 203.0.113.7"),
    ];
    headers.extend_from_slice(extra);
    send(
        server.running.check,
        method,
        &format!("/ext_authz{path}"),
        &headers,
        body,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn envoy_http_service() {
    let server = server("envoy-http").await;
    let key = server.key.clone();
    let writer = server.writer.clone();

    let allowed = ext_authz(
        &server,
        "GET",
        "/pets/7?x=1",
        &[("X-API-Key", key.as_str()), ("X-Gatehouse-Subject", "root")],
        "",
    )
    .await;
    assert_eq!(allowed.status, 200, "{}", allowed.body);
    assert_eq!(header(&allowed, "x-gatehouse-subject"), "billing");

    let anonymous = ext_authz(&server, "GET", "/pets/7", &[], "").await;
    assert_eq!(anonymous.status, 401);
    assert!(header(&anonymous, "www-authenticate").starts_with("ApiKey"));

    let method = ext_authz(
        &server,
        "DELETE",
        "/pets/7",
        &[("X-API-Key", key.as_str())],
        "",
    )
    .await;
    assert_eq!(method.status, 405);
    assert!(header(&method, "allow").contains("GET"));

    for path in TRAVERSALS {
        let attempt = ext_authz(&server, "GET", path, &[("X-API-Key", key.as_str())], "").await;
        assert_eq!(
            (attempt.status, reason(&attempt).as_str()),
            (400, "path_malformed"),
            "{path}"
        );
    }

    // The body Envoy sends (`with_request_body`) is the one checked.
    let json = [
        ("X-API-Key", writer.as_str()),
        ("Content-Type", "application/json"),
    ];
    let good = ext_authz(&server, "POST", "/pets", &json, r#"{"name":"rex"}"#).await;
    assert_eq!(good.status, 200, "{}", good.body);
    let bad = ext_authz(&server, "POST", "/pets", &json, r#"{"name":5}"#).await;
    assert_eq!((bad.status, reason(&bad).as_str()), (422, "body_invalid"));
    let mut cut = json.to_vec();
    cut.push(("X-Envoy-Auth-Partial-Body", "true"));
    let partial = ext_authz(&server, "POST", "/pets", &cut, r#"{"name":"#).await;
    assert_eq!(reason(&partial), "body_not_forwarded");

    // Without the client's address, fail closed.
    let no_client = get(
        server.running.check,
        "/ext_authz/public/info",
        &[("Host", "pets.example")],
    )
    .await;
    assert_eq!(
        (no_client.status, reason(&no_client).as_str()),
        (400, "forwarded_request_missing")
    );
    // Only under the prefix.
    assert_eq!(
        get(server.running.check, "/ext_authzpets", &[])
            .await
            .status,
        404
    );

    server.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_peer_certificate_envoy_sends_authenticates() {
    let server = server("envoy-mtls").await;
    let mut envoy = envoy(&server).await;
    let mut params =
        rcgen::CertificateParams::new(vec!["api.internal.example.com".to_string()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "api.internal.example.com");
    let key = rcgen::KeyPair::generate().unwrap();
    let pem = params.self_signed(&key).unwrap().pem();
    // Envoy URL-encodes the PEM (`include_peer_certificate`).
    let encoded: String = pem
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();

    let mut with_certificate = request("GET", "/internal", &[]);
    with_certificate
        .attributes
        .as_mut()
        .unwrap()
        .source
        .as_mut()
        .unwrap()
        .certificate = encoded;
    let allowed = envoy.ask(with_certificate).await;
    assert_eq!(allowed.code, 0, "{allowed:?}");
    assert_eq!(
        allowed.header("x-gatehouse-subject"),
        Some("api.internal.example.com")
    );
    assert_eq!(allowed.header("x-gatehouse-scheme"), Some("service"));

    let without = envoy.check("GET", "/internal", &[]).await;
    assert_eq!(without.status, 401, "{without:?}");
    server.running.stop().await;
}
