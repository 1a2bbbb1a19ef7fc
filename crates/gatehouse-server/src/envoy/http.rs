//! Envoy's HTTP ext_authz, on the check listener under
//! [`HTTP_PREFIX`]: Envoy repeats the client's method,
//! its path (with the query) behind the filter's `path_prefix`, and the
//! headers `allowed_headers` lets through, so `GET /ext_authz/pets/7?x=1`
//! is a check of `GET /pets/7?x=1`.
//!
//! The client is the last `X-Forwarded-For` entry, as with forward-auth
//! (Envoy's connection manager appends the peer it saw; list
//! `x-forwarded-for` in `allowed_headers`). A check without it is refused.
//! The host is `Host` (`:authority` over HTTP/2).
//!
//! The body: Envoy sends the client's body as the check's own with
//! `with_request_body`, and replaces `Content-Length` with the length of
//! what it sends. So a body Envoy did not send cannot be told from no
//! body: set `with_request_body` when policies check bodies (the gRPC
//! service can tell, and refuses such a request, `body_not_forwarded`). A
//! body Envoy cut short (`x-envoy-auth-partial-body: true`, when that header
//! is allowed) or one larger than `limits.max_check_bytes` is not checked
//! in part: it counts as a body not sent.
//!
//! The answer is forward-auth's (Caddy's form): 200 and the principal
//! headers, which Envoy copies upstream when `allowed_upstream_headers`
//! names them; otherwise the denial's status, headers and problem body,
//! which Envoy relays to the client (a 5xx makes Envoy answer with its
//! own error status, still a denial).

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::http::request::Parts;
use hyper::{Request, Response};

use super::{sent_body, HTTP_PREFIX, PARTIAL_BODY};
use crate::check::{CheckInput, ServerReason};
use crate::forward_auth::{self, Mode};
use crate::gate::Gate;

/// Whether `path` (of the check listener) is one of Envoy's HTTP checks.
pub fn is_check(path: &str) -> bool {
    path.strip_prefix(HTTP_PREFIX)
        .is_some_and(|rest| rest.starts_with('/'))
}

/// Headers of the check that are Envoy's, not the client's.
const ENVOY: [&str; 1] = [PARTIAL_BODY];

/// Answers one of Envoy's HTTP checks (the peer is a trusted gateway).
pub async fn check(gate: &Gate, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let (method, target, host) = match asked(&parts) {
        Ok(asked) => asked,
        Err(reason) => return crate::http::refused(gate, reason),
    };
    let client = match forward_auth::client(&parts.headers, &ENVOY) {
        Ok(client) => client,
        Err(reason) => return crate::http::refused(gate, reason),
    };
    let partial = parts
        .headers
        .get(PARTIAL_BODY)
        .and_then(|value| value.to_str().ok());
    // Read after the headers are known good, so that a refused check
    // costs no body.
    let limit = gate.config().limits.max_check_bytes;
    let bytes = Limited::new(body, limit)
        .collect()
        .await
        .map(|collected| collected.to_bytes());
    let sent = match &bytes {
        Ok(bytes) => sent_body(partial, bytes),
        Err(_) => sent_body(Some("true"), &[]),
    };
    let input = CheckInput {
        method,
        target,
        host,
        headers: &client.headers,
        peer: client.address,
        body: sent.body,
        has_body: sent.present || client.has_body,
        client_certificate: None,
    };
    let outcome = gate.check(&input).await;
    forward_auth::render(&outcome, Mode::Forwarded)
}

/// The client's method, target and host.
fn asked(parts: &Parts) -> Result<(&str, &str, Option<&str>), ServerReason> {
    let target = parts
        .uri
        .path_and_query()
        .and_then(|target| target.as_str().strip_prefix(HTTP_PREFIX))
        .filter(|target| target.starts_with('/'))
        .ok_or(ServerReason::ForwardedRequestMissing)?;
    let host = match parts.headers.get(hyper::header::HOST) {
        Some(host) => Some(host.to_str().map_err(|_| ServerReason::HeaderNotText)?),
        None => parts.uri.authority().map(|authority| authority.as_str()),
    };
    Ok((parts.method.as_str(), target, host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_under_the_prefix_are_checks() {
        assert!(is_check("/ext_authz/"));
        assert!(is_check("/ext_authz/pets/7"));
        assert!(!is_check("/ext_authz"));
        assert!(!is_check("/ext_authzx/pets"));
        assert!(!is_check("/check"));
    }

    #[test]
    fn the_check_says_what_was_asked() {
        let (parts, ()) = Request::post("/ext_authz/pets/%2e%2e/7?x=1")
            .header("Host", "pets.example")
            .body(())
            .unwrap()
            .into_parts();
        assert_eq!(
            asked(&parts).unwrap(),
            ("POST", "/pets/%2e%2e/7?x=1", Some("pets.example"))
        );
        let (parts, ()) = Request::get("/ext_authz?x=1")
            .body(())
            .unwrap()
            .into_parts();
        assert_eq!(
            asked(&parts).unwrap_err(),
            ServerReason::ForwardedRequestMissing
        );
    }
}
