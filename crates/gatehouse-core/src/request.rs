//! What the evaluator is asked about: a [`Request`] (borrowed, cheap to
//! build per request) and the [`Principal`] the host authenticated.
//! [`RequestData`] is the owned, serde form used by the CLI, tests and WASM;
//! its JSON shape is documented in the README.

// Re-exported by the `gatehouse` facade: every public item is documented.
#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::scopes::Grant;

/// Who is calling, as established by the host (or by Gatehouse's own
/// authenticators): the auth scheme (by its name in the policy), the
/// subject, granted scopes and other claims. Never a credential.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Principal {
    /// The name of the `auth` scheme that authenticated the caller: `user`.
    pub scheme: String,
    /// The caller's identity: a user id, key id or certificate subject.
    pub subject: String,
    /// The scopes granted to the caller, by their names in the policy's
    /// `scopes` block; what `require` and `principal has` check.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Other claims (from a JWT, say), read by `claim.NAME` in conditions and
    /// quota keys; a `.` in `claim.a.b` descends into JSON objects.
    #[serde(default)]
    pub claims: serde_json::Map<String, serde_json::Value>,
}

impl Principal {
    /// A principal authenticated by the scheme named `scheme`, with no scopes
    /// and no claims.
    pub fn new(scheme: impl Into<String>, subject: impl Into<String>) -> Principal {
        Principal {
            scheme: scheme.into(),
            subject: subject.into(),
            ..Principal::default()
        }
    }

    /// The same principal with these scopes (replacing any it had).
    pub fn with_scopes<I, S>(mut self, scopes: I) -> Principal
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The same principal with one more claim (replacing a claim of the
    /// same name).
    pub fn with_claim(mut self, name: impl Into<String>, value: serde_json::Value) -> Principal {
        self.claims.insert(name.into(), value);
        self
    }

    /// Makes this principal the one described, with no claims, reusing its
    /// buffers: a host that builds a principal for every request (from a
    /// gateway's headers, say) keeps one per worker and rebuilds it, and
    /// allocates only when a text is longer than any it held before.
    pub fn rebuild<'s>(
        &mut self,
        scheme: &str,
        subject: &str,
        scopes: impl IntoIterator<Item = &'s str>,
    ) {
        self.scheme.clear();
        self.scheme.push_str(scheme);
        self.subject.clear();
        self.subject.push_str(subject);
        let mut count = 0;
        for scope in scopes {
            match self.scopes.get_mut(count) {
                Some(held) => {
                    held.clear();
                    held.push_str(scope);
                }
                None => self.scopes.push(scope.to_owned()),
            }
            count += 1;
        }
        self.scopes.truncate(count);
        self.claims.clear();
    }
}

/// A [`Principal`] whose scheme and scopes were resolved once against one
/// compiled policy set: each API's scheme index and scope bitset. A host
/// that keeps principals per token or session resolves them when it builds
/// them, and every request that carries one skips matching scope names
/// (see [`Request::resolved_principal`]). It stays valid for that policy
/// set and its clones; against any other (a reloaded policy, say) the
/// evaluator matches names as for a plain principal, which is correct,
/// only slower. The principal cannot be changed once resolved.
#[derive(Clone, Debug)]
pub struct ResolvedPrincipal {
    principal: Principal,
    generation: u64,
    grants: Box<[Grant]>,
}

impl ResolvedPrincipal {
    /// A principal with its grants in each API of the tree of `generation`
    /// (made by `Tree::resolve`; hosts call `PolicySet::resolve`).
    pub(crate) fn new(
        generation: u64,
        principal: Principal,
        grants: Box<[Grant]>,
    ) -> ResolvedPrincipal {
        ResolvedPrincipal {
            principal,
            generation,
            grants,
        }
    }

    /// The principal.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The principal, unresolved.
    pub fn into_principal(self) -> Principal {
        self.principal
    }

    /// The grant of API `api` in the tree of `generation`, if this was
    /// resolved against that tree.
    pub(crate) fn grant(&self, generation: u64, api: usize) -> Option<&Grant> {
        if self.generation != generation {
            return None;
        }
        self.grants.get(api)
    }
}

/// One HTTP request, borrowed. Building it allocates nothing.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The method exactly as received: `GET`.
    pub method: &'a str,
    /// The request target as received: path, optional query; a `#fragment`
    /// is denied.
    pub target: &'a str,
    /// The `Host` header (or `:authority`), if any; a port is ignored.
    pub host: Option<&'a str>,
    /// Header names in any case, values as received; repeated headers repeat.
    pub headers: &'a [(&'a str, &'a str)],
    /// The address of the TCP peer: the client, or a proxy in front of it.
    pub peer: IpAddr,
    /// Who the host authenticated, if anyone; `None` for an anonymous
    /// request (401 `unauthenticated` on an endpoint that authenticates).
    pub principal: Option<&'a Principal>,
    /// The same principal resolved against the policy set, when the host
    /// has it (set with [`Request::resolved_principal`]): used only while
    /// `principal` still points at its principal.
    resolved: Option<&'a ResolvedPrincipal>,
    /// The whole body, if the host has it in memory. `None` and an empty
    /// body are the same: no body. `PolicySet::decide` reads it;
    /// to check a body as it arrives instead, use
    /// `PolicySet::begin`, which ignores this field.
    pub body: Option<&'a [u8]>,
    /// When the request arrived, in milliseconds since the Unix epoch (or
    /// any fixed epoch the host uses consistently). The library reads no
    /// clock: quotas need this, and an endpoint with quotas denies a request
    /// without it (500 `quota_clock_missing`).
    pub now_ms: Option<u64>,
}

impl<'a> Request<'a> {
    /// A request with no `Host`, headers, principal, body or time: add them
    /// with the methods below.
    pub fn new(method: &'a str, target: &'a str, peer: IpAddr) -> Request<'a> {
        Request {
            method,
            target,
            host: None,
            headers: &[],
            peer,
            principal: None,
            resolved: None,
            body: None,
            now_ms: None,
        }
    }

    /// The time the request arrived (see [`Request::now_ms`]).
    pub fn at(mut self, now_ms: u64) -> Request<'a> {
        self.now_ms = Some(now_ms);
        self
    }

    /// The same request with its whole body (see the `body` field).
    pub fn body(mut self, body: &'a [u8]) -> Request<'a> {
        self.body = Some(body);
        self
    }

    /// The same request with a `Host` header (or `:authority`).
    pub fn host(mut self, host: &'a str) -> Request<'a> {
        self.host = Some(host);
        self
    }

    /// The same request with these headers, as (name, value) pairs in the
    /// order received.
    pub fn headers(mut self, headers: &'a [(&'a str, &'a str)]) -> Request<'a> {
        self.headers = headers;
        self
    }

    /// The same request, sent by `principal`.
    pub fn principal(mut self, principal: &'a Principal) -> Request<'a> {
        self.principal = Some(principal);
        self.resolved = None;
        self
    }

    /// The same request, sent by a principal resolved against the policy
    /// set (see [`ResolvedPrincipal`]); decided exactly as with
    /// [`Request::principal`], without matching scope names.
    pub fn resolved_principal(mut self, principal: &'a ResolvedPrincipal) -> Request<'a> {
        self.principal = Some(&principal.principal);
        self.resolved = Some(principal);
        self
    }

    /// The resolved form of [`Request::principal`], if the host gave one and
    /// it is still the request's principal.
    pub(crate) fn resolved(&self) -> Option<&'a ResolvedPrincipal> {
        let resolved = self.resolved?;
        let principal = self.principal?;
        std::ptr::eq(principal, &resolved.principal).then_some(resolved)
    }

    /// Every value of a header, in order, matching the name case-insensitively.
    pub fn header_values<'n>(&self, name: &'n str) -> impl Iterator<Item = &'a str> + 'n
    where
        'a: 'n,
    {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// The owned, serialisable form of a request: the JSON the CLI reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestData {
    /// The method exactly as received: `GET`.
    pub method: String,
    /// Path with optional query, as received: `/v1/pets?limit=10`.
    pub path: String,
    /// The `Host` header, if any; a port is ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The request's headers; none when absent.
    #[serde(default, skip_serializing_if = "HeadersData::is_empty")]
    pub headers: HeadersData,
    /// The TCP peer's address. Defaults to 127.0.0.1.
    #[serde(default = "loopback", alias = "peer")]
    pub client_ip: IpAddr,
    /// Who the host authenticated; absent for an anonymous request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    /// The body: a JSON value, sent as its serialisation (compact, object
    /// members in sorted order), or a string, sent as it is (so a string
    /// can hold any text, JSON or not, byte for byte).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<BodyData>,
    /// A file holding the body, relative to the request file; read by
    /// the host (the CLI reads it; the library reads no file). Not with `body`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_file: Option<std::path::PathBuf>,
    /// The bytes of `body_file`, once loaded.
    #[serde(skip)]
    pub body_loaded: Option<Vec<u8>>,
    /// When the request arrived, in milliseconds since the Unix epoch: what
    /// quotas count with. The CLI uses the current time when it is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_ms: Option<u64>,
}

/// A request body given inline in request JSON: a JSON value and the bytes
/// it stands for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "serde_json::Value", into = "serde_json::Value")]
pub struct BodyData {
    value: serde_json::Value,
    bytes: Vec<u8>,
}

impl BodyData {
    /// The bytes sent: a string's text, or any other value's compact JSON.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The JSON value as written in the request file.
    pub fn value(&self) -> &serde_json::Value {
        &self.value
    }
}

impl From<serde_json::Value> for BodyData {
    fn from(value: serde_json::Value) -> BodyData {
        let bytes = match &value {
            serde_json::Value::String(text) => text.as_bytes().to_vec(),
            other => serde_json::to_vec(other).unwrap_or_default(),
        };
        BodyData { value, bytes }
    }
}

impl From<BodyData> for serde_json::Value {
    fn from(body: BodyData) -> serde_json::Value {
        body.value
    }
}

fn loopback() -> IpAddr {
    IpAddr::from([127, 0, 0, 1])
}

/// Headers as a JSON object (`{"X-Id": "1", "Accept": ["a", "b"]}`) or as a
/// list of pairs (`[["X-Id", "1"]]`), which keeps order and repeats.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum HeadersData {
    /// A JSON object: one entry per name, a list for a repeated header
    /// (names in sorted order).
    Map(BTreeMap<String, OneOrMany>),
    /// A list of `[name, value]` pairs, in the order sent.
    Pairs(Vec<(String, String)>),
}

impl Default for HeadersData {
    fn default() -> Self {
        HeadersData::Pairs(Vec::new())
    }
}

/// The value of one header name in [`HeadersData::Map`]: a string, or a
/// list of strings for a header sent more than once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// The header is sent once, with this value.
    One(String),
    /// The header is sent once per value, in this order.
    Many(Vec<String>),
}

impl HeadersData {
    /// No header at all.
    pub fn is_empty(&self) -> bool {
        match self {
            HeadersData::Map(m) => m.is_empty(),
            HeadersData::Pairs(p) => p.is_empty(),
        }
    }

    /// Flattened (name, value) pairs.
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        match self {
            HeadersData::Pairs(p) => p.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect(),
            HeadersData::Map(m) => m
                .iter()
                .flat_map(|(name, values)| match values {
                    OneOrMany::One(v) => vec![(name.as_str(), v.as_str())],
                    OneOrMany::Many(vs) => vs.iter().map(|v| (name.as_str(), v.as_str())).collect(),
                })
                .collect(),
        }
    }
}

impl RequestData {
    /// Borrows this request as a [`Request`]; `headers` must come from
    /// [`HeadersData::pairs`] on the same value.
    pub fn as_request<'a>(&'a self, headers: &'a [(&'a str, &'a str)]) -> Request<'a> {
        Request {
            method: &self.method,
            target: &self.path,
            host: self.host.as_deref(),
            headers,
            peer: self.client_ip,
            principal: self.principal.as_ref(),
            resolved: None,
            body: self.body_bytes(),
            now_ms: self.time_ms,
        }
    }

    /// The body's bytes: `body_file`'s once loaded, else `body`'s.
    pub fn body_bytes(&self) -> Option<&[u8]> {
        self.body_loaded
            .as_deref()
            .or_else(|| self.body.as_ref().map(BodyData::bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::Principal;

    #[test]
    fn a_rebuilt_principal_equals_a_new_one() {
        let mut principal = Principal::new("key", "old-subject")
            .with_scopes(["a", "b", "c"])
            .with_claim("tenant", serde_json::json!("t1"));
        principal.rebuild("token", "alice", ["repo:read", "x"]);
        assert_eq!(
            principal,
            Principal::new("token", "alice").with_scopes(["repo:read", "x"])
        );
        principal.rebuild("token", "bob", ["a", "b", "c", "d"]);
        assert_eq!(
            principal,
            Principal::new("token", "bob").with_scopes(["a", "b", "c", "d"])
        );
        principal.rebuild("token", "carol", []);
        assert_eq!(principal, Principal::new("token", "carol"));
    }
}
