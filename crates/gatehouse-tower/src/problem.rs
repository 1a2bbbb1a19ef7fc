//! The answers the layer gives itself: RFC 9457 problem documents
//! (`application/problem+json`), and the layer's own reasons, for what it
//! refuses before or after the policy is asked.
//!
//! The document has the shape `gatehouse serve` answers with (its
//! `CheckOutcome::problem_json`): `type` (`urn:gatehouse:reason:CODE`),
//! `title`, `status`, `detail` and `reason`. The two are kept apart on
//! purpose for now: the server must not depend on this crate, and the
//! facade and the credentials crate know nothing of HTTP answers. Here the
//! document has no `decision_id` (the layer numbers nothing) and, for a
//! payload denial, a `violation` member with the JSON pointer. A shared
//! place for the shape is for the proxy mode, which needs both.

use bytes::Bytes;
use gatehouse::payload::Violation;
use http::header::{HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use http::{Response, StatusCode};
use serde_json::{json, Value};

use crate::body::GatehouseBody;

/// What the layer refuses on its own account, each a denial (fail
/// closed), with its stable code, status and sentence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerReason {
    /// The client's address could not be found (see
    /// [`GatehouseLayer::client_addr`](crate::GatehouseLayer::client_addr)):
    /// `allow from` networks and IP quotas cannot be checked, so nothing
    /// is let through. A misconfiguration of the service: 500.
    PeerUnknown,
    /// A request header value is not text (bytes outside visible ASCII):
    /// it cannot be read, so it cannot be decided on.
    HeaderNotText,
    /// The request body could not be read to its end (the connection
    /// broke, or the body stream failed).
    BodyUnreadable,
    /// The body is larger than the layer buffers
    /// ([`GatehouseLayer::max_buffered_body`](crate::GatehouseLayer::max_buffered_body))
    /// where the policy sets a larger `body max`, or none.
    BodyTooLarge,
    /// The response of an endpoint with response rules could not be
    /// masked (not JSON, too large, too deep, cut short, or of another
    /// content type): it is withheld, never passed through.
    ResponseWithheld,
}

impl LayerReason {
    /// The stable code: `peer_unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            LayerReason::PeerUnknown => "peer_unknown",
            LayerReason::HeaderNotText => "header_not_text",
            LayerReason::BodyUnreadable => "body_unreadable",
            LayerReason::BodyTooLarge => "body_too_large",
            LayerReason::ResponseWithheld => "response_withheld",
        }
    }

    /// The status it is answered with.
    pub fn status(self) -> u16 {
        match self {
            LayerReason::PeerUnknown => 500,
            LayerReason::HeaderNotText | LayerReason::BodyUnreadable => 400,
            LayerReason::BodyTooLarge => 413,
            LayerReason::ResponseWithheld => 502,
        }
    }

    /// What it means, safe to show a client.
    pub fn detail(self) -> &'static str {
        match self {
            LayerReason::PeerUnknown => "the service cannot tell the client's address",
            LayerReason::HeaderNotText => "a header value is not text",
            LayerReason::BodyUnreadable => "the request body could not be read",
            LayerReason::BodyTooLarge => "the body is larger than the service accepts",
            LayerReason::ResponseWithheld => {
                "the response could not be checked against the policy's response rules, so it is withheld"
            }
        }
    }
}

/// A problem document: the reason as a URN type and as a member of its
/// own, the status, the sentence, and where a payload rule broke (a
/// pointer, never a value). Nothing the client sent is echoed.
pub(crate) fn problem_json(
    status: u16,
    reason: &str,
    detail: &str,
    violation: Option<&Violation>,
) -> Bytes {
    let title = StatusCode::from_u16(status)
        .ok()
        .and_then(|status| status.canonical_reason())
        .unwrap_or("Denied");
    let mut problem = json!({
        "type": format!("urn:gatehouse:reason:{reason}"),
        "title": title,
        "status": status,
        "detail": detail,
        "reason": reason,
    });
    if let (Some(violation), Value::Object(members)) = (violation, &mut problem) {
        members.insert(
            "violation".into(),
            json!({
                "part": violation.part.as_str(),
                "pointer": violation.pointer,
                "problem": violation.problem.as_str(),
            }),
        );
    }
    Bytes::from(problem.to_string())
}

/// A response with a problem document, and `headers` (the policy's
/// `WWW-Authenticate`, `Allow`, `Retry-After`, `RateLimit-*`).
pub(crate) fn problem_response<B>(
    status: u16,
    document: Bytes,
    headers: Vec<(HeaderName, HeaderValue)>,
) -> Response<GatehouseBody<B>> {
    let length = HeaderValue::from(document.len());
    let mut response = Response::new(GatehouseBody::Problem(Some(document)));
    // A status outside 100..=999 cannot come from the policy or the
    // credentials crate; should one ever, the answer is still a denial.
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let response_headers = response.headers_mut();
    response_headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response_headers.insert(CONTENT_LENGTH, length);
    for (name, value) in headers {
        response_headers.insert(name, value);
    }
    response
}

/// `(name, value)` pairs as header fields; a pair that is not a valid
/// field is left out (the policy's headers always are valid).
pub(crate) fn header_fields<'n, 'v>(
    pairs: impl Iterator<Item = (&'n str, &'v str)>,
) -> Vec<(HeaderName, HeaderValue)> {
    pairs
        .filter_map(|(name, value)| {
            Some((
                HeaderName::from_bytes(name.as_bytes()).ok()?,
                HeaderValue::from_str(value).ok()?,
            ))
        })
        .collect()
}
