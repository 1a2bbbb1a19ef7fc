//! What a check is asked and what it answers, whatever the protocol:
//! [`CheckInput`] is the client's request as the gateway saw it;
//! [`CheckOutcome`] is the answer each protocol renders in its own form
//! (an HTTP status for forward-auth, a `CheckResponse` for Envoy).

use std::net::IpAddr;

use serde_json::json;

/// The client's request, as the gateway reports it.
#[derive(Clone, Copy, Debug)]
pub struct CheckInput<'a> {
    /// The method: `GET`.
    pub method: &'a str,
    /// The request target as the client sent it: path and query, still
    /// percent-encoded (the evaluator refuses ambiguous paths itself).
    pub target: &'a str,
    /// The `Host` (or `:authority`) the client sent.
    pub host: Option<&'a str>,
    /// The client's headers, without the gateway's control headers.
    pub headers: &'a [(&'a str, &'a str)],
    /// The client's address, as the gateway saw its TCP peer.
    pub peer: IpAddr,
    /// The request body, when the gateway sends it (Envoy's
    /// `with_request_body`); `None` when it cannot (forward-auth).
    pub body: Option<&'a [u8]>,
    /// Whether the request has a body, whether or not it was sent to the
    /// check (`Content-Length` above 0, or `Transfer-Encoding`).
    pub has_body: bool,
    /// The DER of the client certificate the gateway verified, if any.
    pub client_certificate: Option<&'a [u8]>,
}

/// A check's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckOutcome {
    /// Whether the request may go on.
    pub allowed: bool,
    /// The HTTP status: 200 when allowed, else the denial's.
    pub status: u16,
    /// The stable reason code: a policy reason (`insufficient_scope`), a
    /// credential refusal (`token_expired`) or the server's own
    /// (`untrusted_gateway`, `body_not_forwarded`).
    pub reason: String,
    /// A sentence saying why, safe to show a client.
    pub detail: String,
    /// Unique per decision: in the problem body, the headers, the audit
    /// record and the logs, so that one can be found from the other.
    pub decision_id: String,
    /// Response headers for the client (`WWW-Authenticate`, `Allow`,
    /// `Retry-After`, `RateLimit-*`): with a denial, or, for an allow, to
    /// add to the upstream's response where the protocol can.
    pub response_headers: Vec<(String, String)>,
    /// Headers naming the principal, for the upstream: on an allow only.
    /// Every name of [`PRINCIPAL_HEADERS`] is present (empty when it does
    /// not apply), so a gateway that copies them overwrites whatever a
    /// client sent under those names.
    pub principal_headers: Vec<(&'static str, String)>,
}

/// The headers an allow passes to the upstream. A client's own headers
/// of these names are never believed: gateways are configured to
/// overwrite them with these values (see `gatehouse gateway`).
pub const PRINCIPAL_HEADERS: [&str; 5] = [
    "X-Gatehouse-Subject",
    "X-Gatehouse-Scheme",
    "X-Gatehouse-Scopes",
    "X-Gatehouse-Key-Id",
    "X-Gatehouse-Decision-Id",
];

impl CheckOutcome {
    /// The RFC 9457 problem document of a denial (`application/problem+json`):
    /// the reason as a URN type and as a member of its own, the status, the
    /// sentence and the decision id. Nothing the client sent is echoed.
    pub fn problem_json(&self) -> String {
        json!({
            "type": format!("urn:gatehouse:reason:{}", self.reason),
            "title": title(self.status),
            "status": self.status,
            "detail": self.detail,
            "reason": self.reason,
            "decision_id": self.decision_id,
        })
        .to_string()
    }

    /// The headers a denial answers with, in order: its content type, the
    /// decision id and reason (for the gateway's logs and the client's
    /// support request), then the policy's (`WWW-Authenticate`, `Allow`,
    /// `Retry-After`, `RateLimit-*`).
    pub fn denial_headers(&self) -> impl Iterator<Item = (&str, &str)> {
        [
            ("Content-Type", "application/problem+json"),
            ("X-Gatehouse-Decision-Id", self.decision_id.as_str()),
            ("X-Gatehouse-Reason", self.reason.as_str()),
        ]
        .into_iter()
        .chain(
            self.response_headers
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str())),
        )
    }
}

/// Whether a client header says the request has a body: a
/// `Content-Length` above 0 (nginx passes it as
/// `X-Original-Content-Length`), or any `Transfer-Encoding` (nginx:
/// `X-Original-Transfer-Encoding`).
pub fn declares_body(name: &str, value: &str) -> bool {
    if name.eq_ignore_ascii_case("transfer-encoding") {
        return true;
    }
    // A chunked body has no length: nginx does not pass the client's
    // `Transfer-Encoding` to the check, so the printed config sends it
    // under this name.
    if name.eq_ignore_ascii_case("x-original-transfer-encoding") {
        return !value.trim().is_empty();
    }
    (name.eq_ignore_ascii_case("content-length")
        || name.eq_ignore_ascii_case("x-original-content-length"))
        && !matches!(value.trim(), "" | "0")
}

/// The reason phrase of a status, for a problem's `title`.
fn title(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Denied",
    }
}

/// Server-level reasons: a check the server refuses before the policy is
/// asked. Each is a denial (fail closed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerReason {
    /// The peer asking is not one of the configured gateways: its
    /// forwarding headers cannot be believed.
    UntrustedGateway,
    /// The request does not say what the client asked (no
    /// `X-Original-URI`/`X-Forwarded-Uri`, or a method or URI that is not
    /// one).
    ForwardedRequestMissing,
    /// A header of the check is not text (bytes outside visible ASCII and
    /// UTF-8): it cannot be read, so it cannot be decided on.
    HeaderNotText,
    /// The endpoint has body rules, the request has a body, and the
    /// gateway did not send it: the rules cannot be checked, so the
    /// request is refused rather than let through unchecked.
    BodyNotForwarded,
}

impl ServerReason {
    /// The stable code.
    pub fn as_str(self) -> &'static str {
        match self {
            ServerReason::UntrustedGateway => "untrusted_gateway",
            ServerReason::ForwardedRequestMissing => "forwarded_request_missing",
            ServerReason::HeaderNotText => "header_not_text",
            ServerReason::BodyNotForwarded => "body_not_forwarded",
        }
    }

    /// The status it is answered with.
    pub fn status(self) -> u16 {
        match self {
            ServerReason::UntrustedGateway => 403,
            ServerReason::ForwardedRequestMissing => 400,
            ServerReason::HeaderNotText => 400,
            ServerReason::BodyNotForwarded => 403,
        }
    }

    /// What it means.
    pub fn detail(self) -> &'static str {
        match self {
            ServerReason::UntrustedGateway => {
                "the check came from a peer that is not a configured gateway"
            }
            ServerReason::ForwardedRequestMissing => {
                "the check does not say which request to decide (method and URI headers)"
            }
            ServerReason::HeaderNotText => "a header value is not text",
            ServerReason::BodyNotForwarded => {
                "the endpoint has body rules and the gateway did not send the body; use a gateway mode that forwards bodies"
            }
        }
    }

    /// Every server reason, for the reference table.
    pub const ALL: [ServerReason; 4] = [
        ServerReason::UntrustedGateway,
        ServerReason::ForwardedRequestMissing,
        ServerReason::HeaderNotText,
        ServerReason::BodyNotForwarded,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_names_the_reason_and_the_decision() {
        let outcome = CheckOutcome {
            allowed: false,
            status: 403,
            reason: "insufficient_scope".into(),
            detail: "the principal lacks a required scope".into(),
            decision_id: "00ff".into(),
            response_headers: Vec::new(),
            principal_headers: Vec::new(),
        };
        insta::assert_snapshot!(outcome.problem_json(), @r#"{"decision_id":"00ff","detail":"the principal lacks a required scope","reason":"insufficient_scope","status":403,"title":"Forbidden","type":"urn:gatehouse:reason:insufficient_scope"}"#);
    }
}
