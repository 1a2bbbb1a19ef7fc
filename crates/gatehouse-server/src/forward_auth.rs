//! Forward-auth: the check request of nginx `auth_request`, Caddy
//! `forward_auth` and Traefik `forwardAuth`, read into a [`CheckInput`],
//! and the [`CheckOutcome`] rendered as the answer each gateway expects.
//!
//! Which request to decide comes from the gateway's headers, believed only
//! from a configured gateway:
//!
//! | gateway | method | URI | host |
//! | --- | --- | --- | --- |
//! | nginx (the printed config) | `X-Original-Method` | `X-Original-URI` | `X-Original-Host`, else `Host` |
//! | Caddy, Traefik | `X-Forwarded-Method` | `X-Forwarded-Uri` | `X-Forwarded-Host`, else `Host` |
//!
//! The client's address is the last `X-Forwarded-For` entry: the TCP peer
//! the gateway saw. The entries before it stay in `X-Forwarded-For` for
//! the policy's own `trusted_proxies` to read. A check without it is
//! refused: the gateway did not say who asked.
//!
//! Answers: an allow is `200` with the principal headers; a denial is its
//! status, headers and an RFC 9457 problem body. nginx's `auth_request`
//! only understands 2xx, 401 and 403 (anything else becomes a 500), so in
//! nginx mode a denial is answered 401 or 403, with the real answer in
//! `X-Gatehouse-Denial` for the printed config to replay through
//! `/denial` (see [`replay_denial`]).

use std::net::IpAddr;

use base64::Engine as _;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Response, StatusCode};
use serde_json::{json, Value};

use crate::check::{declares_body, CheckInput, CheckOutcome, ServerReason};

/// Which gateway's headers a check came with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// nginx `auth_request` (`X-Original-*`).
    Nginx,
    /// Caddy `forward_auth` or Traefik `forwardAuth` (`X-Forwarded-*`).
    Forwarded,
}

/// The request a check is about, borrowed from the check's headers.
#[derive(Debug)]
pub struct Forwarded<'h> {
    /// The gateway's kind.
    pub mode: Mode,
    /// The client's method.
    pub method: &'h str,
    /// The client's request target.
    pub uri: &'h str,
    /// The client's `Host`.
    pub host: Option<&'h str>,
    /// The client's address.
    pub client: IpAddr,
    /// The client's headers (the gateway's control headers removed, the
    /// `X-Forwarded-For` chain without its last entry).
    pub headers: Vec<(&'h str, &'h str)>,
    /// Whether the client's request has a body.
    pub has_body: bool,
}

/// The header in which nginx mode carries the real denial, for the
/// gateway to send back to [`DENIAL_PATH`].
pub const DENIAL_HEADER: &str = "X-Gatehouse-Denial";

/// The header naming a denial's reason code.
pub const REASON_HEADER: &str = "X-Gatehouse-Reason";

/// The check listener's path that replays a denial (see [`replay_denial`]).
pub const DENIAL_PATH: &str = "/denial";

/// Headers that carry the gateway's view of the request, not the client's.
const CONTROL: [&str; 10] = [
    "x-original-method",
    "x-original-uri",
    "x-original-host",
    "x-original-content-length",
    "x-original-transfer-encoding",
    "x-forwarded-method",
    "x-forwarded-uri",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-forwarded-for",
];

/// Reads what the gateway says the client asked.
pub fn read(headers: &HeaderMap) -> Result<Forwarded<'_>, ServerReason> {
    let one = |name: &str| -> Result<Option<&str>, ServerReason> {
        let mut values = headers.get_all(name).iter();
        let Some(first) = values.next() else {
            return Ok(None);
        };
        if values.next().is_some() {
            return Err(ServerReason::ForwardedRequestMissing);
        }
        first
            .to_str()
            .map(Some)
            .map_err(|_| ServerReason::HeaderNotText)
    };
    let (mode, method, uri, host) = match (one("x-original-uri")?, one("x-forwarded-uri")?) {
        (Some(uri), None) => (
            Mode::Nginx,
            one("x-original-method")?,
            uri,
            one("x-original-host")?,
        ),
        (None, Some(uri)) => (
            Mode::Forwarded,
            one("x-forwarded-method")?,
            uri,
            one("x-forwarded-host")?,
        ),
        _ => return Err(ServerReason::ForwardedRequestMissing),
    };
    let method = method
        .filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_alphabetic()))
        .ok_or(ServerReason::ForwardedRequestMissing)?;
    if !uri.starts_with('/') {
        return Err(ServerReason::ForwardedRequestMissing);
    }
    let host = match host {
        Some(host) => Some(host),
        None => one("host")?,
    };

    let client = client(headers, &CONTROL)?;
    Ok(Forwarded {
        mode,
        method,
        uri,
        host,
        client: client.address,
        headers: client.headers,
        has_body: client.has_body,
    })
}

/// Who asked and with which headers, as a gateway that appends the
/// client's address to `X-Forwarded-For` reports it.
#[derive(Debug)]
pub(crate) struct Client<'h> {
    /// The last `X-Forwarded-For` entry: the TCP peer the gateway saw.
    pub address: IpAddr,
    /// The check's headers but `skip`, `Host` and `Content-Length`, with
    /// the `X-Forwarded-For` chain before the client's entry.
    pub headers: Vec<(&'h str, &'h str)>,
    /// Whether `Content-Length` (or nginx's `X-Original-Content-Length`)
    /// is above 0, or `Transfer-Encoding` is present.
    pub has_body: bool,
}

/// Reads the client's address and headers from a check's headers, leaving
/// out the gateway's own (`skip`). A check without `X-Forwarded-For` is
/// refused: the gateway did not say who asked.
pub(crate) fn client<'h>(
    headers: &'h HeaderMap,
    skip: &[&str],
) -> Result<Client<'h>, ServerReason> {
    // The client is the last X-Forwarded-For entry; what comes before it
    // (earlier values, and the last value up to its last comma) stays, as
    // borrowed slices of the same headers.
    let mut chain: Vec<&str> = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        chain.push(value.to_str().map_err(|_| ServerReason::HeaderNotText)?);
    }
    let last_value = chain.pop().ok_or(ServerReason::ForwardedRequestMissing)?;
    let (before, last) = match last_value.rsplit_once(',') {
        Some((before, last)) => (Some(before.trim()), last),
        None => (None, last_value),
    };
    let address = last
        .trim()
        .parse::<IpAddr>()
        .map_err(|_| ServerReason::ForwardedRequestMissing)?;
    chain.extend(before.filter(|b| !b.is_empty()));

    let mut kept = Vec::with_capacity(headers.len());
    let mut has_body = false;
    for (name, value) in headers {
        let name = name.as_str();
        let value = value.to_str().map_err(|_| ServerReason::HeaderNotText)?;
        has_body |= declares_body(name, value);
        if skip.contains(&name)
            || name == "x-forwarded-for"
            || name == "host"
            || name == "content-length"
        {
            continue;
        }
        kept.push((name, value));
    }
    kept.extend(chain.into_iter().map(|value| ("x-forwarded-for", value)));
    Ok(Client {
        address,
        headers: kept,
        has_body,
    })
}

impl<'h> Forwarded<'h> {
    /// The check input for this request.
    pub fn input(&'h self, client_certificate: Option<&'h [u8]>) -> CheckInput<'h> {
        CheckInput {
            method: self.method,
            target: self.uri,
            host: self.host,
            headers: &self.headers,
            peer: self.client,
            body: None,
            has_body: self.has_body,
            client_certificate,
        }
    }
}

/// The answer to a check, as `mode`'s gateway expects it.
pub fn render(outcome: &CheckOutcome, mode: Mode) -> Response<Full<Bytes>> {
    if outcome.allowed {
        let mut response = Response::new(Full::new(Bytes::new()));
        let headers = response.headers_mut();
        for (name, value) in &outcome.principal_headers {
            // The principal headers' names, known and already lower-case:
            // no parsing on every allow.
            match PRINCIPAL_HEADER_NAMES
                .iter()
                .find(|(known, _)| known == name)
            {
                Some((_, header)) => {
                    if let Ok(value) = HeaderValue::from_str(value) {
                        headers.append(header.clone(), value);
                    }
                }
                None => insert(headers, name, value),
            }
        }
        for (name, value) in &outcome.response_headers {
            insert(headers, name, value);
        }
        return response;
    }
    let problem = outcome.problem_json();
    let status = match mode {
        Mode::Forwarded => outcome.status,
        Mode::Nginx if outcome.status == 401 => 401,
        Mode::Nginx => 403,
    };
    let mut response = Response::new(Full::new(Bytes::from(problem.clone())));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
    let headers = response.headers_mut();
    for (name, value) in outcome.denial_headers() {
        insert(headers, name, value);
    }
    if mode == Mode::Nginx {
        let denial = json!({
            "status": outcome.status,
            "headers": outcome.response_headers,
            "decision_id": outcome.decision_id,
            "reason": outcome.reason,
            "body": problem,
        });
        let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(denial.to_string());
        insert(headers, DENIAL_HEADER, &encoded);
    }
    response
}

/// [`PRINCIPAL_HEADERS`](crate::check::PRINCIPAL_HEADERS) with their
/// parsed names.
const PRINCIPAL_HEADER_NAMES: [(&str, HeaderName); 5] = [
    (
        "X-Gatehouse-Subject",
        HeaderName::from_static("x-gatehouse-subject"),
    ),
    (
        "X-Gatehouse-Scheme",
        HeaderName::from_static("x-gatehouse-scheme"),
    ),
    (
        "X-Gatehouse-Scopes",
        HeaderName::from_static("x-gatehouse-scopes"),
    ),
    (
        "X-Gatehouse-Key-Id",
        HeaderName::from_static("x-gatehouse-key-id"),
    ),
    (
        "X-Gatehouse-Decision-Id",
        HeaderName::from_static("x-gatehouse-decision-id"),
    ),
];

/// Headers a replayed denial may carry: the ones a check's denial has.
const REPLAYED: [&str; 8] = [
    "www-authenticate",
    "allow",
    "retry-after",
    "ratelimit-limit",
    "ratelimit-policy",
    "ratelimit-remaining",
    "ratelimit-reset",
    "ratelimit",
];

/// The client's answer to a denial nginx passed back from
/// `X-Gatehouse-Denial` (its `error_page` location sends it here): the
/// real status, the denial's headers and its problem body. Only a denial
/// can be replayed: a status outside 400–599 or a header outside the
/// denial's own is refused, so this cannot be made to answer anything
/// else.
pub fn replay_denial(headers: &HeaderMap) -> Option<Response<Full<Bytes>>> {
    let encoded = headers.get(DENIAL_HEADER)?.to_str().ok()?;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded)
        .ok()?;
    let denial: Value = serde_json::from_slice(&json).ok()?;
    let status = denial.get("status")?.as_u64()?;
    let status = StatusCode::from_u16(u16::try_from(status).ok()?).ok()?;
    if !(status.is_client_error() || status.is_server_error()) {
        return None;
    }
    let body = denial.get("body")?.as_str()?.to_string();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let out = response.headers_mut();
    insert(out, "Content-Type", "application/problem+json");
    if let Some(id) = denial.get("decision_id").and_then(Value::as_str) {
        insert(out, "X-Gatehouse-Decision-Id", id);
    }
    if let Some(reason) = denial.get("reason").and_then(Value::as_str) {
        insert(out, REASON_HEADER, reason);
    }
    for pair in denial.get("headers")?.as_array()? {
        let (Some(name), Some(value)) = (
            pair.get(0).and_then(Value::as_str),
            pair.get(1).and_then(Value::as_str),
        ) else {
            return None;
        };
        if !REPLAYED.contains(&name.to_ascii_lowercase().as_str()) {
            return None;
        }
        insert(out, name, value);
    }
    Some(response)
}

/// Appends a header; a name or value that is not a valid header is
/// dropped (every value here is made by the server, so none is expected).
fn insert(headers: &mut HeaderMap, name: &str, value: &str) {
    if let (Ok(name), Ok(value)) = (
        HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        headers.append(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            insert(&mut map, name, value);
        }
        map
    }

    #[test]
    fn the_parsed_principal_header_names_are_the_principal_headers() {
        let names: Vec<&str> = PRINCIPAL_HEADER_NAMES
            .iter()
            .map(|(name, _)| *name)
            .collect();
        assert_eq!(names, crate::check::PRINCIPAL_HEADERS);
        for (name, parsed) in &PRINCIPAL_HEADER_NAMES {
            assert_eq!(parsed.as_str(), name.to_ascii_lowercase());
        }
    }

    #[test]
    fn nginx_and_caddy_headers_say_what_was_asked() {
        let nginx = headers(&[
            ("X-Original-Method", "GET"),
            ("X-Original-URI", "/pets/7?x=1"),
            ("Host", "api.example"),
            ("X-Forwarded-For", "198.51.100.1, 203.0.113.9"),
            ("Authorization", "Bearer t"),
        ]);
        let asked = read(&nginx).unwrap();
        assert_eq!(asked.mode, Mode::Nginx);
        assert_eq!(
            (asked.method, asked.uri, asked.host),
            ("GET", "/pets/7?x=1", Some("api.example"))
        );
        assert_eq!(asked.client, "203.0.113.9".parse::<IpAddr>().unwrap());
        assert!(asked.headers.contains(&("authorization", "Bearer t")));
        assert!(asked.headers.contains(&("x-forwarded-for", "198.51.100.1")));
        assert!(!asked.has_body);

        let caddy = headers(&[
            ("X-Forwarded-Method", "POST"),
            ("X-Forwarded-Uri", "/pets"),
            ("X-Forwarded-Host", "api.example"),
            ("X-Forwarded-For", "203.0.113.9"),
            ("Content-Length", "12"),
        ]);
        let asked = read(&caddy).unwrap();
        assert_eq!(asked.mode, Mode::Forwarded);
        assert!(asked.has_body);
        assert!(!asked
            .headers
            .iter()
            .any(|(name, _)| *name == "x-forwarded-for"));
    }

    #[test]
    fn a_body_is_known_by_its_length_or_its_chunks() {
        let with = |pairs: &[(&str, &str)]| {
            let mut all = vec![
                ("X-Original-Method", "POST"),
                ("X-Original-URI", "/pets"),
                ("X-Forwarded-For", "203.0.113.9"),
            ];
            all.extend_from_slice(pairs);
            let map = headers(&all);
            let asked = read(&map).unwrap();
            assert!(!asked
                .headers
                .iter()
                .any(|(name, _)| name.starts_with("x-original")));
            asked.has_body
        };
        assert!(with(&[("X-Original-Transfer-Encoding", "chunked")]));
        assert!(with(&[("X-Original-Content-Length", "14")]));
        assert!(!with(&[("X-Original-Content-Length", "0")]));
        assert!(!with(&[("X-Original-Content-Length", "")]));
        assert!(!with(&[]));
    }

    #[test]
    fn a_check_that_does_not_say_what_was_asked_is_refused() {
        for pairs in [
            &[("X-Forwarded-For", "203.0.113.9")][..],
            &[("X-Original-URI", "/a"), ("X-Original-Method", "GET")],
            &[("X-Original-URI", "/a"), ("X-Forwarded-For", "203.0.113.9")],
            &[
                ("X-Original-URI", "a"),
                ("X-Original-Method", "GET"),
                ("X-Forwarded-For", "203.0.113.9"),
            ],
            &[
                ("X-Original-URI", "/a"),
                ("X-Forwarded-Uri", "/b"),
                ("X-Original-Method", "GET"),
                ("X-Forwarded-For", "203.0.113.9"),
            ],
            &[
                ("X-Original-URI", "/a"),
                ("X-Original-Method", "GET"),
                ("X-Forwarded-For", "not-an-ip"),
            ],
        ] {
            assert_eq!(
                read(&headers(pairs)).unwrap_err(),
                ServerReason::ForwardedRequestMissing,
                "{pairs:?}"
            );
        }
    }

    #[test]
    fn nginx_denials_are_401_or_403_and_replay_to_the_real_answer() {
        let outcome = CheckOutcome {
            allowed: false,
            status: 405,
            reason: "method_not_allowed".into(),
            detail: "no".into(),
            decision_id: "id1".into(),
            response_headers: vec![("Allow".into(), "GET, HEAD".into())],
            principal_headers: Vec::new(),
        };
        let response = render(&outcome, Mode::Nginx);
        assert_eq!(response.status(), 403);
        let replayed = replay_denial(response.headers()).unwrap();
        assert_eq!(replayed.status(), 405);
        assert_eq!(replayed.headers()["allow"], "GET, HEAD");
        assert_eq!(replayed.headers()["x-gatehouse-decision-id"], "id1");
        assert_eq!(render(&outcome, Mode::Forwarded).status(), 405);
    }

    #[test]
    fn only_denials_with_their_own_headers_replay() {
        let forge = |denial: Value| {
            let encoded =
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(denial.to_string());
            replay_denial(&headers(&[("X-Gatehouse-Denial", &encoded)]))
        };
        assert!(forge(json!({"status": 302, "headers": [], "body": ""})).is_none());
        assert!(forge(
            json!({"status": 403, "headers": [["Location", "https://evil"]], "body": ""})
        )
        .is_none());
        assert!(forge(json!({"status": 403, "headers": [], "body": "{}"})).is_some());
        assert!(replay_denial(&headers(&[("X-Gatehouse-Denial", "%%%")])).is_none());
    }
}
