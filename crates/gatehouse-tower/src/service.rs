//! [`Gatehouse`]: the service the layer makes, and the path of one
//! request through it: client address → credentials → decision (the body
//! read as it streams) → the inner service → the response masked → one
//! audit record.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use gatehouse::{Begin, BodyCheck, Decision, Principal, Request};
use gatehouse_credentials::{CredentialRequest, Refusal};
use http::header::{HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use http::request::Parts;
use http::{Method, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Either, Full};
use serde_json::{json, Value};
use tower_service::Service;

use crate::body::{BoxError, GatehouseBody};
use crate::problem::{header_fields, problem_json, problem_response, LayerReason};
use crate::{Config, Matched};

/// The request body the inner service receives: the client's body
/// untouched when the policy did not need to read it, else the bytes the
/// layer read, exactly as they arrived.
pub type RequestBody<B> = Either<B, Full<Bytes>>;

/// The future of a [`Gatehouse`] call.
pub type ResponseFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

/// The service a [`GatehouseLayer`](crate::GatehouseLayer) wraps around
/// `S`: see the [crate docs](crate).
#[derive(Clone)]
pub struct Gatehouse<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> std::fmt::Debug for Gatehouse<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gatehouse")
            .field("policy", &self.config.policy)
            .finish_non_exhaustive()
    }
}

impl<S> Gatehouse<S> {
    pub(crate) fn new(inner: S, config: Arc<Config>) -> Gatehouse<S> {
        Gatehouse { inner, config }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S, B, ResBody> Service<http::Request<B>> for Gatehouse<S>
where
    S: Service<http::Request<RequestBody<B>>, Response = Response<ResBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    ResBody: Body<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Response = Response<GatehouseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<Self::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        // The service that was polled ready is the one to call; a clone
        // stays behind for the next request (tower's usual dance).
        let ready = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, ready);
        Box::pin(handle(Arc::clone(&self.config), inner, request))
    }
}

/// One request, start to end.
async fn handle<S, B, ResBody>(
    config: Arc<Config>,
    mut inner: S,
    request: http::Request<B>,
) -> Result<Response<GatehouseBody<ResBody>>, S::Error>
where
    S: Service<http::Request<RequestBody<B>>, Response = Response<ResBody>>,
    B: Body<Data = Bytes> + Send,
    B::Error: Into<BoxError>,
    ResBody: Body<Data = Bytes>,
    ResBody::Error: Into<BoxError>,
{
    let (mut parts, body) = request.into_parts();
    let now_ms = unix_millis();
    let allowed = match decide(&config, &parts, body, now_ms).await {
        Decided::Denied(denial) => {
            config.audit.record(&denial.audit);
            return Ok(problem_response(
                denial.status,
                denial.problem,
                denial.headers,
            ));
        }
        Decided::Allowed(allowed) => allowed,
    };
    let Allowed {
        decision,
        body,
        rate_headers,
        audit,
        ..
    } = *allowed;
    if let Some(principal) = allowed.principal {
        parts.extensions.insert(principal);
    }
    if let Some(matched) = allowed.matched {
        parts.extensions.insert(matched);
    }
    let head_only = parts.method == Method::HEAD;
    let response = inner.call(http::Request::from_parts(parts, body)).await?;
    let (mut response, masked) = if config.policy.masks_response(&decision) && !head_only {
        mask(&config, &decision, response).await
    } else {
        let (parts, body) = response.into_parts();
        (
            Response::from_parts(parts, GatehouseBody::passthrough(body)),
            false,
        )
    };
    for (name, value) in rate_headers {
        response.headers_mut().insert(name, value);
    }
    config
        .audit
        .record(&with_response(audit, response.status().as_u16(), masked));
    Ok(response)
}

/// What the policy said: a denial to answer, or an allowed request to
/// hand on.
enum Decided<B> {
    Denied(Denial),
    Allowed(Box<Allowed<B>>),
}

/// A denial, ready to answer.
struct Denial {
    status: u16,
    problem: Bytes,
    headers: Vec<(HeaderName, HeaderValue)>,
    audit: Value,
}

/// An allowed request: what the inner service gets, what the response
/// gets, and the audit record waiting for the response's status.
struct Allowed<B> {
    decision: Decision,
    principal: Option<Arc<Principal>>,
    body: RequestBody<B>,
    rate_headers: Vec<(HeaderName, HeaderValue)>,
    audit: Value,
    matched: Option<Matched>,
}

/// Authenticates and decides a request, reading its body if the policy
/// needs it.
async fn decide<B>(config: &Config, parts: &Parts, body: B, now_ms: u64) -> Decided<B>
where
    B: Body<Data = Bytes> + Send,
    B::Error: Into<BoxError>,
{
    let Some(peer) = (config.client_addr)(parts) else {
        return layer_denial(LayerReason::PeerUnknown, parts, None, now_ms);
    };
    // The length the headers would state over HTTP/1, for a body they do
    // not describe (HTTP/2 may send one with neither header): the policy
    // must know a body is coming to read it.
    let length;
    let mut headers: Vec<(&str, &str)> = Vec::with_capacity(parts.headers.len() + 1);
    for (name, value) in &parts.headers {
        match value.to_str() {
            Ok(value) => headers.push((name.as_str(), value)),
            Err(_) => return layer_denial(LayerReason::HeaderNotText, parts, Some(peer), now_ms),
        }
    }
    let described =
        parts.headers.contains_key(CONTENT_LENGTH) || parts.headers.contains_key(TRANSFER_ENCODING);
    if !described && !body.is_end_stream() {
        match body.size_hint().exact() {
            Some(exact) => {
                length = exact.to_string();
                headers.push((CONTENT_LENGTH.as_str(), &length));
            }
            None => headers.push((TRANSFER_ENCODING.as_str(), "chunked")),
        }
    }
    let target = target_of(parts);
    let mut request = Request::new(parts.method.as_str(), target, peer)
        .headers(&headers)
        .at(now_ms);
    if let Some(host) = host_of(parts) {
        request = request.host(host);
    }

    let principal = match authenticate(config, parts, &headers, peer, now_ms).await {
        Ok(principal) => principal,
        Err(refusal) => return refused(config, &request, &refusal, parts, peer, now_ms),
    };
    if let Some(principal) = &principal {
        request = request.principal(principal);
    }
    let (decision, body) = match config.policy.begin(&request) {
        Begin::Decided(decision) => (decision, Either::Left(body)),
        Begin::Body(check) => match read_body(check, body, config.max_buffered_body).await {
            Ok((decision, bytes)) => (decision, Either::Right(Full::new(bytes))),
            Err(reason) => return layer_denial(reason, parts, Some(peer), now_ms),
        },
    };
    let rate_headers = header_fields(config.policy.response_headers(&request, &decision).iter());
    let audit = serde_json::to_value(config.policy.audit(&request, &decision, Some(now_ms)))
        .unwrap_or(Value::Null);
    if !decision.allowed() {
        let problem = problem_json(
            decision.status(),
            decision.reason().as_str(),
            decision.reason().summary(),
            decision.violation(),
        );
        return Decided::Denied(Denial {
            status: decision.status(),
            problem,
            headers: rate_headers,
            audit: with_response(audit, decision.status(), false),
        });
    }
    let matched = config.policy.endpoint(&decision).map(|endpoint| Matched {
        api: endpoint.api().to_string(),
        api_version: endpoint.api_version().map(str::to_string),
        endpoint: endpoint.label(),
    });
    Decided::Allowed(Box::new(Allowed {
        decision,
        principal,
        body,
        rate_headers,
        audit,
        matched,
    }))
}

/// The request's principal: verified by the authenticator, or, without
/// one, put in the extensions by the host (a client cannot put anything
/// there).
async fn authenticate(
    config: &Config,
    parts: &Parts,
    headers: &[(&str, &str)],
    peer: IpAddr,
    now_ms: u64,
) -> Result<Option<Arc<Principal>>, Refusal> {
    let Some(authenticator) = &config.authenticator else {
        return Ok(parts.extensions.get::<Arc<Principal>>().cloned());
    };
    let credentials = CredentialRequest {
        headers,
        query: target_of(parts).split_once('?').map(|(_, query)| query),
        peer: Some(peer),
        client_ip: None,
        client_certificate: None,
    };
    match &config.fetcher {
        Some(fetcher) => {
            authenticator
                .authenticate_fetching(&**fetcher, &credentials, now_ms / 1000)
                .await
        }
        None => authenticator.authenticate(&credentials, now_ms / 1000),
    }
}

/// The answer to a credential that did not verify: what the policy turns
/// away before looking at the principal (a malformed path, no route, a
/// wrong method, a denied network) answers as it would for anyone;
/// otherwise the refusal (401 with its challenge, or 503
/// `keys_unavailable`).
fn refused<B>(
    config: &Config,
    request: &Request<'_>,
    refusal: &Refusal,
    parts: &Parts,
    peer: IpAddr,
    now_ms: u64,
) -> Decided<B> {
    let anonymous = config.policy.decide(request);
    if !anonymous.allowed() && anonymous.reason().is_before_authentication() {
        let headers = header_fields(config.policy.response_headers(request, &anonymous).iter());
        let audit = serde_json::to_value(config.policy.audit(request, &anonymous, Some(now_ms)))
            .unwrap_or(Value::Null);
        return Decided::Denied(Denial {
            status: anonymous.status(),
            problem: problem_json(
                anonymous.status(),
                anonymous.reason().as_str(),
                anonymous.reason().summary(),
                None,
            ),
            headers,
            audit: with_response(audit, anonymous.status(), false),
        });
    }
    let status = refusal.reason.status();
    let reason = refusal.reason.as_str();
    let mut headers = Vec::new();
    if let Some(challenge) = config
        .authenticator
        .as_ref()
        .and_then(|authenticator| authenticator.challenge(refusal))
    {
        headers.extend(header_fields(
            [("WWW-Authenticate", challenge.as_str())].into_iter(),
        ));
    }
    let mut audit = plain_audit(status, reason, "credentials", parts, Some(peer), now_ms);
    if let Value::Object(members) = &mut audit {
        members.insert(
            "credential_scheme".into(),
            Value::String(refusal.scheme.clone()),
        );
    }
    Decided::Denied(Denial {
        status,
        problem: problem_json(status, reason, refusal.reason.description(), None),
        headers,
        audit,
    })
}

/// A denial on the layer's own account.
fn layer_denial<B>(
    reason: LayerReason,
    parts: &Parts,
    peer: Option<IpAddr>,
    now_ms: u64,
) -> Decided<B> {
    let status = reason.status();
    Decided::Denied(Denial {
        status,
        problem: problem_json(status, reason.as_str(), reason.detail(), None),
        headers: Vec::new(),
        audit: plain_audit(status, reason.as_str(), "layer", parts, peer, now_ms),
    })
}

/// Feeds the body to the policy chunk by chunk and keeps the bytes, up to
/// the endpoint's `body max` (the policy denies past it) or `cap`,
/// whichever is smaller: reading stops at the first denial, so a client
/// can make the layer read at most the limit plus one chunk.
async fn read_body<B>(
    mut check: Box<BodyCheck<'_, '_>>,
    body: B,
    cap: u64,
) -> Result<(Decision, Bytes), LayerReason>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let mut body = std::pin::pin!(body);
    let mut kept: Vec<u8> = Vec::new();
    let mut early: Option<Decision> = None;
    while let Some(frame) = body.as_mut().frame().await {
        let Ok(frame) = frame else {
            return Err(LayerReason::BodyUnreadable);
        };
        // Trailers carry nothing the policy reads, and the inner service
        // gets the body as one buffer.
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        if early.is_none() {
            early = check.feed(&chunk);
        }
        if let Some(decision) = &early {
            if !decision.allowed() {
                return Ok((decision.clone(), Bytes::new()));
            }
        }
        if (kept.len() as u64).saturating_add(chunk.len() as u64) > cap {
            return Err(LayerReason::BodyTooLarge);
        }
        kept.extend_from_slice(&chunk);
    }
    let decision = match early {
        Some(decision) => decision,
        None => check.finish(),
    };
    Ok((decision, Bytes::from(kept)))
}

/// The response of an endpoint with response rules, masked and buffered,
/// or a 502 `response_withheld` problem when it cannot be: masking never
/// fails open. Returns whether masks were applied.
async fn mask<ResBody>(
    config: &Config,
    decision: &Decision,
    response: Response<ResBody>,
) -> (Response<GatehouseBody<ResBody>>, bool)
where
    ResBody: Body<Data = Bytes>,
    ResBody::Error: Into<BoxError>,
{
    let (mut parts, body) = response.into_parts();
    // Nothing to mask in a response that has no content.
    if matches!(
        parts.status,
        StatusCode::NO_CONTENT | StatusCode::NOT_MODIFIED
    ) || parts.status.is_informational()
    {
        return (
            Response::from_parts(parts, GatehouseBody::passthrough(body)),
            false,
        );
    }
    let masked = if is_json(&parts.headers) {
        mask_body(config, decision, body).await
    } else {
        None
    };
    let Some(masked) = masked else {
        let reason = LayerReason::ResponseWithheld;
        let problem = problem_json(reason.status(), reason.as_str(), reason.detail(), None);
        return (
            problem_response(reason.status(), problem, Vec::new()),
            false,
        );
    };
    // The masked body has its own length; anything that described the
    // inner body's bytes no longer applies.
    parts.headers.remove(TRANSFER_ENCODING);
    parts.headers.remove(http::header::CONTENT_ENCODING);
    parts.headers.remove(http::header::ETAG);
    parts
        .headers
        .insert(CONTENT_LENGTH, HeaderValue::from(masked.len()));
    (
        Response::from_parts(parts, GatehouseBody::Full(Some(masked))),
        true,
    )
}

/// The masked body, or `None` when the response must be withheld.
async fn mask_body<ResBody>(config: &Config, decision: &Decision, body: ResBody) -> Option<Bytes>
where
    ResBody: Body<Data = Bytes>,
    ResBody::Error: Into<BoxError>,
{
    let mut stream = config.policy.mask_stream(decision, &config.mask).ok()?;
    let mut body = std::pin::pin!(body);
    let mut out = Vec::new();
    while let Some(frame) = body.as_mut().frame().await {
        // A body that breaks off is a truncated document: withheld.
        let frame = frame.ok()?;
        if let Ok(chunk) = frame.into_data() {
            stream.push(&chunk, &mut out).ok()?;
        }
    }
    stream.finish(&mut out).ok()?;
    Some(Bytes::from(out))
}

/// Whether the response says it is JSON: `application/json`, or any
/// `+json` type (`application/problem+json`).
fn is_json(headers: &http::HeaderMap) -> bool {
    let Some(Ok(value)) = headers.get(CONTENT_TYPE).map(HeaderValue::to_str) else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The request target as the policy reads it: path and query, still
/// percent-encoded (`*` for `OPTIONS *`).
fn target_of(parts: &Parts) -> &str {
    parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path(), |target| target.as_str())
}

/// The host the client asked for: its `Host` header, else the URI's
/// authority (HTTP/2's `:authority`).
fn host_of(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(http::header::HOST)
        .and_then(|host| host.to_str().ok())
        .or_else(|| parts.uri.authority().map(|authority| authority.as_str()))
}

/// An audit record with what the client was answered.
fn with_response(mut record: Value, status: u16, masked: bool) -> Value {
    if let Value::Object(members) = &mut record {
        members.insert("response_status".into(), status.into());
        members.insert("masked".into(), masked.into());
    }
    record
}

/// An audit record for a request refused outside the policy, in the shape
/// of `gatehouse.audit/v1`.
fn plain_audit(
    status: u16,
    reason: &str,
    stage: &str,
    parts: &Parts,
    peer: Option<IpAddr>,
    now_ms: u64,
) -> Value {
    json!({
        "schema": "gatehouse.audit/v1",
        "time_ms": now_ms,
        "decision": "deny",
        "status": status,
        "reason": reason,
        "stage": stage,
        "request": {
            "method": parts.method.as_str(),
            "path": parts.uri.path(),
            "host": host_of(parts),
            "peer": peer.map(|peer| peer.to_string()),
        },
        "response_status": status,
        "masked": false,
    })
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
fn unix_millis() -> u64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH);
    since_epoch.map_or(0, |elapsed| {
        u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
    })
}
