//! Envoy's gRPC ext_authz: `envoy.service.auth.v3.Authorization/Check`,
//! with the v3 messages of `envoy-types` and tonic's generated service,
//! served on the gRPC listener by the crate's own accept loop (so the
//! connection limit and the graceful shutdown are the other listeners').
//!
//! What is read from a `CheckRequest` ([`read`]):
//!
//! | `CheckInput` | from |
//! | --- | --- |
//! | method, target, host | `attributes.request.http`: `method`, `path` (with the query, not decoded), `host` |
//! | headers | `http.headers` (lower-case names), or `http.header_map` with `encode_raw_headers`; pseudo-headers and `host` left out |
//! | peer | `attributes.source.address`: the TCP peer Envoy saw |
//! | body | `http.raw_body` (`pack_as_bytes`) or `http.body`, when Envoy sent it whole |
//! | has a body | `content-length` above 0, `transfer-encoding`, or a body sent |
//! | client certificate | `attributes.source.certificate` (URL-encoded PEM, with `include_peer_certificate`), as DER |
//!
//! `attributes.source.principal` is not used: it is Envoy's reading of
//! the certificate's names, and the policy's `mtls` schemes read the
//! names from the certificate itself.
//!
//! What is answered ([`render`]): status `OK` and an `OkHttpResponse`
//! whose `headers` set the principal headers for the upstream (replacing
//! whatever the client sent under those names) and whose
//! `response_headers_to_add` carry `RateLimit-*` to the client; or
//! `UNAUTHENTICATED` (a 401) / `PERMISSION_DENIED` (any other denial) and a
//! `DeniedHttpResponse` with the status, headers and RFC 9457 problem
//! body the client gets. Either way `dynamic_metadata` holds
//! `{"gatehouse": {"decision_id", "reason"}}` for Envoy's access log.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use base64::Engine as _;
use envoy_types::pb::envoy::config::core::v3::address::Address as SocketOrPipe;
use envoy_types::pb::envoy::config::core::v3::header_value_option::HeaderAppendAction;
use envoy_types::pb::envoy::config::core::v3::{HeaderValue, HeaderValueOption};
use envoy_types::pb::envoy::r#type::v3::{HttpStatus, StatusCode};
use envoy_types::pb::envoy::service::auth::v3::authorization_server::{
    Authorization, AuthorizationServer,
};
use envoy_types::pb::envoy::service::auth::v3::check_response::HttpResponse;
use envoy_types::pb::envoy::service::auth::v3::{
    CheckRequest, CheckResponse, DeniedHttpResponse, OkHttpResponse,
};
use envoy_types::pb::google::protobuf::{value::Kind, Struct, Value};
use envoy_types::pb::google::rpc;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::codegen::Service as _;
use tonic::transport::server::TcpConnectInfo;

use super::{sent_body, PARTIAL_BODY};
use crate::check::{declares_body, CheckInput, CheckOutcome, ServerReason};
use crate::gate::Gate;

/// Serves Envoy's `Authorization` service on `listener` until `shutdown`
/// turns true. HTTP/2 only (gRPC needs it); messages larger than
/// `limits.max_check_bytes` are refused before they are decoded.
pub async fn serve(listener: TcpListener, gate: Arc<Gate>, shutdown: watch::Receiver<bool>) {
    let limits = gate.config().limits.clone();
    let grpc = AuthorizationServer::new(Authorizer { gate })
        .max_decoding_message_size(limits.max_check_bytes);
    let mut builder = auto::Builder::new(TokioExecutor::new()).http2_only();
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX));
    crate::http::accept(listener, &limits, &builder, shutdown, |peer| {
        let grpc = grpc.clone();
        hyper::service::service_fn(move |mut request: Request<Incoming>| {
            // What tonic's own server records, so that
            // `tonic::Request::remote_addr` names the peer.
            request.extensions_mut().insert(TcpConnectInfo {
                local_addr: None,
                remote_addr: Some(peer),
            });
            let mut grpc = grpc.clone();
            async move {
                // The generated service is always ready; asked anyway, as
                // the `Service` contract wants.
                std::future::poll_fn(|cx| {
                    tonic::codegen::Service::<Request<Incoming>>::poll_ready(&mut grpc, cx)
                })
                .await?;
                grpc.call(request).await
            }
        })
    })
    .await;
}

/// The `Authorization` service: each check decided by the gate.
#[derive(Debug)]
pub struct Authorizer {
    gate: Arc<Gate>,
}

impl Authorizer {
    /// The service for `gate`'s policies.
    pub fn new(gate: Arc<Gate>) -> Authorizer {
        Authorizer { gate }
    }

    /// The outcome of a check from `peer`.
    pub async fn decide(
        &self,
        peer: Option<std::net::SocketAddr>,
        check: &CheckRequest,
    ) -> CheckOutcome {
        if !peer.is_some_and(|peer| crate::http::trusted(&self.gate, peer)) {
            return self.gate.refuse(None, ServerReason::UntrustedGateway);
        }
        match read(check) {
            Ok(asked) => self.gate.check(&asked.input()).await,
            Err(reason) => self.gate.refuse(None, reason),
        }
    }
}

#[tonic::async_trait]
impl Authorization for Authorizer {
    async fn check(
        &self,
        request: tonic::Request<CheckRequest>,
    ) -> Result<tonic::Response<CheckResponse>, tonic::Status> {
        let peer = request.remote_addr();
        let outcome = self.decide(peer, request.get_ref()).await;
        // A denial is an answer too: the gRPC call itself succeeds.
        Ok(tonic::Response::new(render(&outcome)))
    }
}

/// The client's request, borrowed from a `CheckRequest`.
#[derive(Debug)]
pub struct Asked<'r> {
    method: &'r str,
    target: &'r str,
    host: Option<&'r str>,
    headers: Vec<(&'r str, &'r str)>,
    peer: IpAddr,
    body: Option<&'r [u8]>,
    has_body: bool,
    certificate: Option<Vec<u8>>,
}

impl Asked<'_> {
    /// The check input for this request.
    pub fn input(&self) -> CheckInput<'_> {
        CheckInput {
            method: self.method,
            target: self.target,
            host: self.host,
            headers: &self.headers,
            peer: self.peer,
            body: self.body,
            has_body: self.has_body,
            client_certificate: self.certificate.as_deref(),
        }
    }
}

/// Reads what Envoy says the client asked. A check without a method, a
/// path or a socket address for the client is refused
/// (`forwarded_request_missing`); a raw header value that is not UTF-8,
/// `header_not_text`.
pub fn read(check: &CheckRequest) -> Result<Asked<'_>, ServerReason> {
    let missing = ServerReason::ForwardedRequestMissing;
    let attributes = check.attributes.as_ref().ok_or(missing)?;
    let http = attributes
        .request
        .as_ref()
        .and_then(|request| request.http.as_ref())
        .ok_or(missing)?;
    let method = http.method.as_str();
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(missing);
    }
    if !http.path.starts_with('/') {
        return Err(missing);
    }
    let source = attributes.source.as_ref();
    let peer = source
        .and_then(|source| source.address.as_ref())
        .and_then(|address| address.address.as_ref())
        .and_then(|address| match address {
            SocketOrPipe::SocketAddress(socket) => socket.address.parse::<IpAddr>().ok(),
            // A pipe or an internal listener has no client address to
            // decide `allow from` or `by ip` on.
            _ => None,
        })
        .ok_or(missing)?;

    let mut all: Vec<(&str, &str)> = http
        .headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    if let Some(map) = &http.header_map {
        for header in &map.headers {
            // With `encode_raw_headers` only `raw_value` is filled in.
            let value = if header.raw_value.is_empty() {
                header.value.as_str()
            } else {
                std::str::from_utf8(&header.raw_value).map_err(|_| ServerReason::HeaderNotText)?
            };
            all.push((header.key.as_str(), value));
        }
    }
    let partial = all
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(PARTIAL_BODY))
        .map(|(_, value)| *value);
    let declared = all.iter().any(|(name, value)| declares_body(name, value));
    // Pseudo-headers repeat the method, path and host read above; Envoy's
    // partial-body header is Envoy's, not the client's.
    all.retain(|(name, _)| {
        !name.starts_with(':')
            && !name.eq_ignore_ascii_case("host")
            && !name.eq_ignore_ascii_case(PARTIAL_BODY)
    });

    let bytes = if http.raw_body.is_empty() {
        http.body.as_bytes()
    } else {
        http.raw_body.as_slice()
    };
    let sent = sent_body(partial, bytes);
    Ok(Asked {
        method,
        target: &http.path,
        host: Some(http.host.as_str()).filter(|host| !host.is_empty()),
        headers: all,
        peer,
        body: sent.body,
        has_body: declared || sent.present,
        certificate: source.and_then(|source| certificate_der(&source.certificate)),
    })
}

/// The DER of the first certificate in Envoy's URL-encoded PEM, or `None`
/// when there is none or it does not decode (an `mtls` scheme then finds
/// no certificate, and refuses).
fn certificate_der(url_encoded_pem: &str) -> Option<Vec<u8>> {
    if url_encoded_pem.is_empty() {
        return None;
    }
    let pem = percent_decode(url_encoded_pem)?;
    let pem = std::str::from_utf8(&pem).ok()?;
    let (_, rest) = pem.split_once("-----BEGIN CERTIFICATE-----")?;
    let (armoured, _) = rest.split_once("-----END CERTIFICATE-----")?;
    let base64: String = armoured
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(base64)
        .ok()
        .filter(|der| !der.is_empty())
}

/// `%XX` escapes decoded; `None` for a broken one.
fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let hex = |digit: u8| char::from(digit).to_digit(16);
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(byte) = bytes.next() {
        if byte == b'%' {
            let high = hex(bytes.next()?)?;
            let low = hex(bytes.next()?)?;
            out.push(u8::try_from(high * 16 + low).ok()?);
        } else {
            out.push(byte);
        }
    }
    Some(out)
}

/// The `CheckResponse` for an outcome.
pub fn render(outcome: &CheckOutcome) -> CheckResponse {
    let metadata = Struct {
        fields: HashMap::from([(
            "gatehouse".to_string(),
            Value {
                kind: Some(Kind::StructValue(Struct {
                    fields: HashMap::from([
                        ("decision_id".to_string(), text(&outcome.decision_id)),
                        ("reason".to_string(), text(&outcome.reason)),
                    ]),
                })),
            },
        )]),
    };
    let (code, http_response) = if outcome.allowed {
        let principal = outcome
            .principal_headers
            .iter()
            .map(|(name, value)| (*name, value.as_str()));
        let for_client = outcome
            .response_headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()));
        let ok = OkHttpResponse {
            headers: header_options(principal),
            response_headers_to_add: header_options(for_client),
            ..OkHttpResponse::default()
        };
        (tonic::Code::Ok, HttpResponse::OkResponse(ok))
    } else {
        let status = StatusCode::try_from(i32::from(outcome.status))
            .ok()
            .filter(|code| *code != StatusCode::Empty)
            .unwrap_or(StatusCode::Forbidden);
        let denied = DeniedHttpResponse {
            status: Some(HttpStatus {
                code: status.into(),
            }),
            headers: header_options(outcome.denial_headers()),
            body: outcome.problem_json(),
        };
        let code = if outcome.status == 401 {
            tonic::Code::Unauthenticated
        } else {
            tonic::Code::PermissionDenied
        };
        (code, HttpResponse::DeniedResponse(denied))
    };
    CheckResponse {
        status: Some(rpc::Status {
            code: code.into(),
            message: if outcome.allowed {
                String::new()
            } else {
                outcome.reason.clone()
            },
            details: Vec::new(),
        }),
        http_response: Some(http_response),
        dynamic_metadata: Some(metadata),
    }
}

fn text(value: &str) -> Value {
    Value {
        kind: Some(Kind::StringValue(value.to_string())),
    }
}

/// Header options that replace what a request or response already holds
/// under each name (so a client's own `X-Gatehouse-Subject` never reaches
/// the upstream), a repeated name adding to the first (two challenges in
/// `WWW-Authenticate`, say).
fn header_options<'a>(headers: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<HeaderValueOption> {
    let mut options: Vec<HeaderValueOption> = Vec::new();
    for (name, value) in headers {
        let repeated = options.iter().any(|option| {
            option
                .header
                .as_ref()
                .is_some_and(|header| header.key.eq_ignore_ascii_case(name))
        });
        let action = if repeated {
            HeaderAppendAction::AppendIfExistsOrAdd
        } else {
            HeaderAppendAction::OverwriteIfExistsOrAdd
        };
        options.push(HeaderValueOption {
            header: Some(HeaderValue {
                key: name.to_ascii_lowercase(),
                value: value.to_string(),
                raw_value: Vec::new(),
            }),
            append_action: action.into(),
            ..HeaderValueOption::default()
        });
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;
    use envoy_types::pb::envoy::config::core::v3::{Address, HeaderMap, SocketAddress};
    use envoy_types::pb::envoy::service::auth::v3::attribute_context::{
        HttpRequest, Peer, Request as AttributeRequest,
    };
    use envoy_types::pb::envoy::service::auth::v3::AttributeContext;

    fn check(http: HttpRequest, source: Peer) -> CheckRequest {
        CheckRequest {
            attributes: Some(AttributeContext {
                source: Some(source),
                request: Some(AttributeRequest {
                    time: None,
                    http: Some(http),
                }),
                ..AttributeContext::default()
            }),
        }
    }

    fn from(address: &str) -> Peer {
        Peer {
            address: Some(Address {
                address: Some(SocketOrPipe::SocketAddress(SocketAddress {
                    address: address.to_string(),
                    ..SocketAddress::default()
                })),
            }),
            ..Peer::default()
        }
    }

    fn get(path: &str) -> HttpRequest {
        HttpRequest {
            method: "GET".into(),
            path: path.into(),
            host: "pets.example".into(),
            headers: HashMap::from([
                (":authority".to_string(), "pets.example".to_string()),
                (":path".to_string(), path.to_string()),
                ("x-api-key".to_string(), "k".to_string()),
            ]),
            ..HttpRequest::default()
        }
    }

    #[test]
    fn the_attributes_say_what_was_asked() {
        let request = check(get("/pets/7?x=1"), from("203.0.113.9"));
        let asked = read(&request).unwrap();
        let input = asked.input();
        assert_eq!(
            (input.method, input.target, input.host),
            ("GET", "/pets/7?x=1", Some("pets.example"))
        );
        assert_eq!(input.peer, "203.0.113.9".parse::<IpAddr>().unwrap());
        assert_eq!(input.headers, &[("x-api-key", "k")]);
        assert!(!input.has_body && input.body.is_none());
        assert!(input.client_certificate.is_none());
    }

    #[test]
    fn raw_headers_and_bodies_are_read() {
        let mut http = get("/pets");
        http.method = "POST".into();
        http.headers.clear();
        http.header_map = Some(HeaderMap {
            headers: vec![
                HeaderValue {
                    key: "content-length".into(),
                    value: String::new(),
                    raw_value: b"2".to_vec(),
                },
                HeaderValue {
                    key: PARTIAL_BODY.into(),
                    value: String::new(),
                    raw_value: b"false".to_vec(),
                },
            ],
        });
        http.raw_body = b"{}".to_vec();
        let request = check(http.clone(), from("::1"));
        let asked = read(&request).unwrap();
        assert_eq!(asked.input().headers, &[("content-length", "2")]);
        assert_eq!(asked.input().body, Some(&b"{}"[..]));
        assert!(asked.input().has_body);

        // Declared but not sent: a body the check did not see.
        http.header_map = Some(HeaderMap {
            headers: vec![HeaderValue {
                key: "content-length".into(),
                value: "12".into(),
                raw_value: Vec::new(),
            }],
        });
        http.raw_body.clear();
        let request = check(http.clone(), from("::1"));
        let asked = read(&request).unwrap();
        assert!(asked.input().has_body && asked.input().body.is_none());

        http.header_map = Some(HeaderMap {
            headers: vec![HeaderValue {
                key: "x-bad".into(),
                value: String::new(),
                raw_value: vec![0xff, 0xfe],
            }],
        });
        let request = check(http, from("::1"));
        assert_eq!(read(&request).unwrap_err(), ServerReason::HeaderNotText);
    }

    #[test]
    fn a_check_without_a_request_or_a_client_address_is_refused() {
        let missing = Err(ServerReason::ForwardedRequestMissing);
        assert_eq!(read(&CheckRequest::default()).map(|_| ()), missing.clone());
        let mut no_method = get("/a");
        no_method.method.clear();
        for request in [
            check(no_method, from("203.0.113.9")),
            check(get("pets"), from("203.0.113.9")),
            check(get("/a"), Peer::default()),
            check(get("/a"), from("not-an-ip")),
            check(
                get("/a"),
                Peer {
                    address: Some(Address {
                        address: Some(SocketOrPipe::Pipe(Default::default())),
                    }),
                    ..Peer::default()
                },
            ),
        ] {
            assert_eq!(read(&request).map(|_| ()), missing, "{request:?}");
        }
    }

    #[test]
    fn the_peer_certificate_is_decoded_to_der() {
        let der = b"\x30\x03\x02\x01\x05";
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            base64::engine::general_purpose::STANDARD.encode(der)
        );
        let encoded: String = pem
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' => char::from(b).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        assert_eq!(certificate_der(&encoded).as_deref(), Some(&der[..]));
        for broken in ["", "%", "%zz", "-----BEGIN CERTIFICATE-----", "plain text"] {
            assert_eq!(certificate_der(broken), None, "{broken}");
        }
    }

    #[test]
    fn denials_carry_status_headers_problem_and_metadata() {
        let outcome = CheckOutcome {
            allowed: false,
            status: 401,
            reason: "unauthenticated".into(),
            detail: "no".into(),
            decision_id: "id1".into(),
            response_headers: vec![
                ("WWW-Authenticate".into(), "Bearer".into()),
                ("WWW-Authenticate".into(), "ApiKey".into()),
            ],
            principal_headers: Vec::new(),
        };
        let response = render(&outcome);
        assert_eq!(
            response.status.as_ref().map(|s| s.code),
            Some(tonic::Code::Unauthenticated as i32)
        );
        let Some(HttpResponse::DeniedResponse(denied)) = &response.http_response else {
            panic!("{response:?}");
        };
        assert_eq!(denied.status.as_ref().map(|s| s.code), Some(401));
        assert_eq!(denied.body, outcome.problem_json());
        let actions: Vec<(&str, i32)> = denied
            .headers
            .iter()
            .map(|o| (o.header.as_ref().unwrap().key.as_str(), o.append_action))
            .collect();
        assert_eq!(
            actions,
            [
                (
                    "content-type",
                    HeaderAppendAction::OverwriteIfExistsOrAdd as i32
                ),
                (
                    "x-gatehouse-decision-id",
                    HeaderAppendAction::OverwriteIfExistsOrAdd as i32
                ),
                (
                    "x-gatehouse-reason",
                    HeaderAppendAction::OverwriteIfExistsOrAdd as i32
                ),
                (
                    "www-authenticate",
                    HeaderAppendAction::OverwriteIfExistsOrAdd as i32
                ),
                (
                    "www-authenticate",
                    HeaderAppendAction::AppendIfExistsOrAdd as i32
                ),
            ]
        );
        let Some(Kind::StructValue(gatehouse)) = response
            .dynamic_metadata
            .as_ref()
            .and_then(|m| m.fields.get("gatehouse"))
            .and_then(|v| v.kind.clone())
        else {
            panic!("{response:?}");
        };
        assert_eq!(gatehouse.fields.get("decision_id"), Some(&text("id1")));

        // A status Envoy has no name for is answered 403.
        let odd = CheckOutcome {
            status: 499,
            ..outcome
        };
        let Some(HttpResponse::DeniedResponse(denied)) = render(&odd).http_response else {
            panic!();
        };
        assert_eq!(denied.status.map(|s| s.code), Some(403));
    }
}
