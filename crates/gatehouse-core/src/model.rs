//! The checked model: what a policy means, with every name resolved and every
//! value validated, and the span of every rule kept for explanations.
//!
//! The checker ([`crate::check`]) builds it from the AST; the compiler
//! ([`crate::compile`]) turns it into a decision tree; the reference
//! interpreter (`gatehouse_tools::interp`) walks it directly. Defaults are already
//! merged into each endpoint here, marked `inherited`.

use ipnet::IpNet;
use serde::Serialize;

pub use crate::glob::{Glob, GlobKind};
pub use crate::pattern::Pattern;
use crate::span::{FileId, Span};
pub use crate::syntax::ast::{CmpOp, JsonStep, KeepEnd};

/// A checked set of APIs, ready to compile.
#[derive(Clone, Debug, Default)]
pub struct Model {
    pub apis: Vec<Api>,
}

/// Index of an API within a [`Model`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ApiId(pub u32);

/// Index of an endpoint within its [`Api`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct EndpointId(pub u32);

/// Index of a scope within its [`Api`]'s declared scopes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ScopeId(pub u16);

/// Index of an auth scheme within its [`Api`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct SchemeId(pub u16);

#[derive(Clone, Debug)]
pub struct Api {
    pub name: String,
    pub version: Option<String>,
    pub owner: Option<String>,
    /// Literal segments every request path must start with.
    pub base: Vec<String>,
    pub host: Option<String>,
    pub schemes: Vec<AuthScheme>,
    pub scopes: Vec<Scope>,
    pub options: ApiOptions,
    pub endpoints: Vec<Endpoint>,
    pub file: FileId,
    /// The `api` declaration.
    pub span: Span,
}

impl Api {
    pub fn scope(&self, id: ScopeId) -> Option<&Scope> {
        self.scopes.get(usize::from(id.0))
    }

    pub fn scheme(&self, id: SchemeId) -> Option<&AuthScheme> {
        self.schemes.get(usize::from(id.0))
    }

    pub fn endpoint(&self, id: EndpointId) -> Option<&Endpoint> {
        self.endpoints.get(id.0 as usize)
    }

    /// `/v1`, or `/` for an API without a base.
    pub fn base_text(&self) -> String {
        if self.base.is_empty() {
            "/".to_string()
        } else {
            self.base.iter().map(|s| format!("/{s}")).collect()
        }
    }
}

#[derive(Clone, Debug)]
pub struct AuthScheme {
    pub name: String,
    pub kind: AuthKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum AuthKind {
    /// An API key in a header (or query parameter), verified by the host or by
    /// Gatehouse's key store.
    ApiKey {
        header: Option<String>,
        query: Option<String>,
    },
    /// A bearer JWT.
    Jwt {
        issuer: String,
        audience: Option<String>,
        /// Where the keys are: an `https` URL of a JWKS document, or a file
        /// path (relative to the policy file). `None`: the `jwks_uri` of the
        /// issuer's OpenID discovery document.
        jwks: Option<String>,
        /// The accepted signature algorithms; empty means the asymmetric
        /// default (see [`JWT_DEFAULT_ALGORITHMS`]).
        algorithms: Vec<JwtAlgorithm>,
        /// Clock skew allowed on `exp` and `nbf`, in seconds.
        leeway_seconds: Option<u32>,
        /// The claim that holds the scopes; `None`: `scope` (space-separated),
        /// else `scp`.
        scope_claim: Option<String>,
    },
    /// A client certificate; `subject` restricts which subjects are accepted.
    Mtls {
        subject: Option<Glob>,
        /// The header in which a trusted proxy that terminated TLS passes
        /// the client's certificate (Envoy's `X-Forwarded-Client-Cert`, or a
        /// subject DN that nginx forwards); `None`: only a certificate the
        /// host's own TLS verified counts.
        header: Option<String>,
    },
}

/// A JWS signature algorithm (RFC 7518) that a `jwt` scheme may accept,
/// spelt as in a token's `alg`. `none` is not one: it cannot be named, so
/// no policy or verifier configuration can accept unsigned tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JwtAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// Ed25519.
    EdDSA,
    /// HMAC with SHA-256: only with a configured secret.
    HS256,
    /// HMAC with SHA-384: only with a configured secret.
    HS384,
    /// HMAC with SHA-512: only with a configured secret.
    HS512,
}

/// The clock skew a `jwt` scheme allows on `exp` and `nbf` when it says
/// nothing: one minute, as most JWT libraries default to.
pub const JWT_DEFAULT_LEEWAY_SECONDS: u32 = 60;

/// What a `jwt` scheme accepts when it names no algorithms: every
/// asymmetric one. HMAC needs a shared secret, so it is never a default.
pub const JWT_DEFAULT_ALGORITHMS: &[JwtAlgorithm] = &JwtAlgorithm::ASYMMETRIC;

impl JwtAlgorithm {
    /// Every algorithm: the asymmetric ones first, then HMAC.
    pub const ALL: [JwtAlgorithm; 12] = [
        JwtAlgorithm::RS256,
        JwtAlgorithm::RS384,
        JwtAlgorithm::RS512,
        JwtAlgorithm::PS256,
        JwtAlgorithm::PS384,
        JwtAlgorithm::PS512,
        JwtAlgorithm::ES256,
        JwtAlgorithm::ES384,
        JwtAlgorithm::EdDSA,
        JwtAlgorithm::HS256,
        JwtAlgorithm::HS384,
        JwtAlgorithm::HS512,
    ];

    /// The asymmetric algorithms (the first nine of [`JwtAlgorithm::ALL`]).
    pub const ASYMMETRIC: [JwtAlgorithm; 9] = match JwtAlgorithm::ALL {
        [a, b, c, d, e, f, g, h, i, ..] => [a, b, c, d, e, f, g, h, i],
    };

    /// The name in a JWS header's `alg`: `RS256`.
    pub fn as_str(self) -> &'static str {
        match self {
            JwtAlgorithm::RS256 => "RS256",
            JwtAlgorithm::RS384 => "RS384",
            JwtAlgorithm::RS512 => "RS512",
            JwtAlgorithm::PS256 => "PS256",
            JwtAlgorithm::PS384 => "PS384",
            JwtAlgorithm::PS512 => "PS512",
            JwtAlgorithm::ES256 => "ES256",
            JwtAlgorithm::ES384 => "ES384",
            JwtAlgorithm::EdDSA => "EdDSA",
            JwtAlgorithm::HS256 => "HS256",
            JwtAlgorithm::HS384 => "HS384",
            JwtAlgorithm::HS512 => "HS512",
        }
    }

    /// The algorithm named `name` exactly as JWS spells it (case matters,
    /// as in RFC 7518).
    pub fn parse(name: &str) -> Option<JwtAlgorithm> {
        JwtAlgorithm::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// What a scheme that lists `listed` accepts: that list, or
    /// [`JWT_DEFAULT_ALGORITHMS`] when it lists none.
    pub fn accepted(listed: &[JwtAlgorithm]) -> &[JwtAlgorithm] {
        if listed.is_empty() {
            JWT_DEFAULT_ALGORITHMS
        } else {
            listed
        }
    }

    /// HMAC: verified with a shared secret rather than a public key.
    pub fn is_hmac(self) -> bool {
        matches!(
            self,
            JwtAlgorithm::HS256 | JwtAlgorithm::HS384 | JwtAlgorithm::HS512
        )
    }
}

impl std::fmt::Display for JwtAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a JWS algorithm a scheme can accept (`none`
/// included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownAlgorithm;

impl std::fmt::Display for UnknownAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a signature algorithm gatehouse accepts")
    }
}

impl std::error::Error for UnknownAlgorithm {}

impl std::str::FromStr for JwtAlgorithm {
    type Err = UnknownAlgorithm;

    fn from_str(name: &str) -> Result<JwtAlgorithm, UnknownAlgorithm> {
        JwtAlgorithm::parse(name).ok_or(UnknownAlgorithm)
    }
}

impl AuthKind {
    pub fn name(&self) -> &'static str {
        match self {
            AuthKind::ApiKey { .. } => "api_key",
            AuthKind::Jwt { .. } => "jwt",
            AuthKind::Mtls { .. } => "mtls",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Scope {
    pub name: String,
    pub description: Option<String>,
    pub span: Span,
}

/// What to do with `X-Forwarded-For` and kin sent by a peer that is not a
/// trusted proxy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ForwardedPolicy {
    /// Deny the request (400 `forwarded_untrusted`): for APIs that no
    /// client should reach except through their own proxies.
    Deny,
    /// Ignore the header and use the peer address, as Envoy, nginx and
    /// HAProxy do. Just as safe (the header cannot move a request into an
    /// `allow from` network), and clients behind corporate proxies, which
    /// add the header, are not turned away.
    #[default]
    Ignore,
}

/// What to do with a request path that ends in `/`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrailingSlash {
    #[default]
    Deny,
    /// Match `/pets/` as `/pets`.
    Strip,
}

/// What to do when the quota store cannot answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreErrorPolicy {
    #[default]
    Deny,
    Allow,
}

#[derive(Clone, Debug, Default)]
pub struct ApiOptions {
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Honour `X-HTTP-Method-Override` and kin on `POST` requests.
    pub method_override: bool,
    pub forwarded: ForwardedPolicy,
    pub trailing_slash: TrailingSlash,
    pub on_store_error: StoreErrorPolicy,
    /// Accept paths holding look-alike characters (`crate::lookalike`);
    /// denied by default.
    pub lookalike_characters: bool,
}

// ---------------------------------------------------------------- endpoints

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Method {
    GET,
    HEAD,
    POST,
    PUT,
    PATCH,
    DELETE,
    OPTIONS,
    TRACE,
    CONNECT,
}

impl Method {
    pub const ALL: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::TRACE,
        Method::CONNECT,
    ];

    pub fn parse(text: &str) -> Option<Method> {
        Some(match text {
            "GET" => Method::GET,
            "HEAD" => Method::HEAD,
            "POST" => Method::POST,
            "PUT" => Method::PUT,
            "PATCH" => Method::PATCH,
            "DELETE" => Method::DELETE,
            "OPTIONS" => Method::OPTIONS,
            "TRACE" => Method::TRACE,
            "CONNECT" => Method::CONNECT,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::GET => "GET",
            Method::HEAD => "HEAD",
            Method::POST => "POST",
            Method::PUT => "PUT",
            Method::PATCH => "PATCH",
            Method::DELETE => "DELETE",
            Method::OPTIONS => "OPTIONS",
            Method::TRACE => "TRACE",
            Method::CONNECT => "CONNECT",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// Methods that change state; they get stricter lint rules.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Method::POST | Method::PUT | Method::PATCH | Method::DELETE
        )
    }
}

/// The method an endpoint answers: one, or any (`*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MethodSel {
    One(Method),
    Any,
}

impl MethodSel {
    pub fn as_str(self) -> &'static str {
        match self {
            MethodSel::One(m) => m.as_str(),
            MethodSel::Any => "*",
        }
    }

    pub fn covers(self, method: Method) -> bool {
        match self {
            MethodSel::One(m) => m == method,
            MethodSel::Any => true,
        }
    }
}

/// How an endpoint is selected for a given request method, most specific
/// first: the method itself, then `GET` standing in for `HEAD`, then `*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MethodRank {
    Exact = 0,
    HeadAsGet = 1,
    Any = 2,
}

impl MethodSel {
    /// How well this selector serves `method`, or `None` if it does not.
    pub fn rank_for(self, method: Method) -> Option<MethodRank> {
        match self {
            MethodSel::One(m) if m == method => Some(MethodRank::Exact),
            MethodSel::One(Method::GET) if method == Method::HEAD => Some(MethodRank::HeadAsGet),
            MethodSel::One(_) => None,
            MethodSel::Any => Some(MethodRank::Any),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    /// Any non-empty segment.
    Any,
    /// A decimal integer that fits in an `i64`.
    Int,
    /// A UUID in 8-4-4-4-12 hex form, any case.
    Uuid,
}

impl ParamType {
    pub const NAMES: &'static [&'static str] = &["int", "uuid", "string"];

    pub fn parse(text: &str) -> Option<ParamType> {
        Some(match text {
            "int" => ParamType::Int,
            "uuid" => ParamType::Uuid,
            "string" => ParamType::Any,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::Any => "string",
            ParamType::Int => "int",
            ParamType::Uuid => "uuid",
        }
    }

    /// Whether a (decoded) segment is a value of this type.
    pub fn accepts(self, segment: &str) -> bool {
        match self {
            ParamType::Any => !segment.is_empty(),
            ParamType::Int => is_int(segment),
            ParamType::Uuid => is_uuid(segment),
        }
    }

    /// Whether some segment is accepted by both types. Typed parameters at
    /// the same position conflict only if their types overlap.
    pub fn overlaps(self, other: ParamType) -> bool {
        self == other || self == ParamType::Any || other == ParamType::Any
    }
}

/// `-?[0-9]+` within the range of an `i64`.
pub fn is_int(segment: &str) -> bool {
    let digits = segment.strip_prefix('-').unwrap_or(segment);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && segment.parse::<i64>().is_ok()
}

/// 8-4-4-4-12 hexadecimal digits.
pub fn is_uuid(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Segment {
    Literal(String),
    Param {
        name: String,
        ty: ParamType,
    },
    /// `*`: any one segment.
    Star,
    /// `**`: all remaining segments, including none. Only last.
    Rest,
}

impl Segment {
    /// Specificity rank: lower wins. Literal > typed parameter > parameter >
    /// `*` > `**`.
    pub fn rank(&self) -> u8 {
        match self {
            Segment::Literal(_) => 0,
            Segment::Param {
                ty: ParamType::Int | ParamType::Uuid,
                ..
            } => 1,
            Segment::Param {
                ty: ParamType::Any, ..
            } => 2,
            Segment::Star => 3,
            Segment::Rest => 4,
        }
    }
}

/// The provenance of a rule: where it is written, whether it came from
/// `defaults`, and whether it is report-only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RuleMeta {
    pub span: Span,
    /// Written in `defaults`, not in the endpoint.
    pub inherited: bool,
    /// Inside `shadow { ... }`: evaluated and reported, not enforced.
    pub shadow: bool,
}

#[derive(Clone, Debug)]
pub struct Endpoint {
    pub id: EndpointId,
    pub method: MethodSel,
    pub path: Vec<Segment>,
    /// The pattern as written, relative to the API's base: `/pets/{id:int}`.
    pub path_text: String,
    /// `endpoint METHOD PATH`.
    pub span: Span,
    /// The span of a bare `shadow`: the whole endpoint is report-only.
    pub shadow: Option<Span>,
    pub access: Access,
    pub ip_allow: Option<IpRule>,
    pub ip_deny: Vec<IpRule>,
    pub scopes: Vec<ScopeRule>,
    pub conditions: Vec<Condition>,
    pub quotas: Vec<Quota>,
    pub body: BodyRules,
    pub query: Option<FieldsRule>,
    pub headers: Option<FieldsRule>,
    pub response_only: Option<ResponseOnly>,
    pub masks: Vec<Mask>,
}

impl Endpoint {
    /// `GET /pets/{id:int}`
    pub fn label(&self) -> String {
        format!("{} {}", self.method.as_str(), self.path_text)
    }

    /// The segment index of a path parameter.
    pub fn param_index(&self, name: &str) -> Option<usize> {
        self.path
            .iter()
            .position(|s| matches!(s, Segment::Param { name: n, .. } if n == name))
    }
}

#[derive(Clone, Debug)]
pub enum Access {
    /// `public`: no authentication.
    Public(Span),
    /// `authenticate a | b`: a principal authenticated by one of these.
    Authenticated {
        schemes: Vec<SchemeId>,
        meta: RuleMeta,
    },
    /// Neither: every request is denied.
    Closed,
}

#[derive(Clone, Debug)]
pub struct IpRule {
    pub nets: Vec<IpNet>,
    pub meta: RuleMeta,
}

/// `require a, b | c`: every group needs one of its scopes.
#[derive(Clone, Debug)]
pub struct ScopeRule {
    pub groups: Vec<Vec<ScopeId>>,
    pub meta: RuleMeta,
}

#[derive(Clone, Debug)]
pub struct Condition {
    pub expr: CondExpr,
    pub meta: RuleMeta,
}

/// A checked condition. Comparisons involving a value that is absent from
/// the request (a missing claim, header or query parameter) are errors, not
/// `false`, and an error denies.
#[derive(Clone, Debug)]
pub enum CondExpr {
    Or(Vec<CondExpr>),
    And(Vec<CondExpr>),
    Not(Box<CondExpr>),
    Compare {
        op: CmpOp,
        left: Operand,
        right: Operand,
    },
    In {
        left: Operand,
        right: Operand,
    },
    HasScope {
        scope: ScopeId,
        span: Span,
    },
    Like {
        left: Operand,
        pattern: Glob,
    },
    /// A boolean value on its own (a claim).
    Truthy(Operand),
}

#[derive(Clone, Debug)]
pub struct Operand {
    pub value: ValueRef,
    pub span: Span,
    /// As written, for explanations: `claim.tenant`.
    pub text: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ValueRef {
    Literal(Lit),
    List(Vec<Lit>),
    /// A path parameter by segment index (relative to the API base).
    PathParam {
        index: usize,
        ty: ParamType,
    },
    /// A query parameter by (decoded) name.
    Query(String),
    /// A header by lowercase name.
    Header(String),
    /// `principal.sub`
    Subject,
    /// `principal.scheme`: the name of the auth scheme.
    Scheme,
    /// `claim.a.b`: a path into the principal's claims.
    Claim(Vec<String>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Lit {
    String(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

// ---------------------------------------------------------------- quotas

#[derive(Clone, Debug)]
pub struct Quota {
    /// Requests (cost units) per window.
    pub rate: u64,
    pub window_secs: u64,
    /// How many may arrive at once; defaults to `rate`.
    pub burst: u64,
    pub key: QuotaKey,
    pub cost: u64,
    pub meta: RuleMeta,
}

impl Quota {
    /// Whether the quota is checked before authentication (keyed by the
    /// client) or after every other check (keyed by the principal).
    pub fn is_pre_auth(&self) -> bool {
        matches!(self.key, QuotaKey::Ip | QuotaKey::Header(_))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuotaKey {
    Principal,
    ApiKey,
    Ip,
    Claim(String),
    Header(String),
}

impl QuotaKey {
    pub fn text(&self) -> String {
        match self {
            QuotaKey::Principal => "principal".into(),
            QuotaKey::ApiKey => "key".into(),
            QuotaKey::Ip => "ip".into(),
            QuotaKey::Claim(c) => format!("claim.{c}"),
            QuotaKey::Header(h) => format!("header.{h}"),
        }
    }
}

// ---------------------------------------------------------------- bodies

#[derive(Clone, Debug, Default)]
pub struct BodyRules {
    pub max: Option<(u64, RuleMeta)>,
    pub types: Option<(Vec<String>, RuleMeta)>,
    pub json: Option<JsonBody>,
}

#[derive(Clone, Debug)]
pub struct JsonBody {
    pub limits: JsonLimits,
    /// Where each limit was written in `limits(...)`, if it was.
    pub limit_spans: LimitSpans,
    pub schema: Option<FieldsSchema>,
    pub meta: RuleMeta,
}

/// Bounds enforced while parsing any JSON body. `None` means the default
/// ([`crate::payload::Limits::DEFAULT`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct JsonLimits {
    pub depth: Option<u64>,
    pub array: Option<u64>,
    pub object: Option<u64>,
    pub key: Option<u64>,
    pub string: Option<u64>,
}

impl JsonLimits {
    pub const NAMES: &'static [&'static str] = &["depth", "array", "object", "key", "string"];
}

#[derive(Clone, Debug)]
pub struct FieldsRule {
    pub schema: FieldsSchema,
    pub meta: RuleMeta,
}

#[derive(Clone, Debug)]
pub struct FieldsSchema {
    pub fields: Vec<FieldSchema>,
    /// Whether values not listed are accepted: a body block with `...`, a
    /// `query` block without `only`, and every `headers` block.
    pub allow_unknown: bool,
    /// The block, `{` to `}`.
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct FieldSchema {
    /// The name; lowercase for headers.
    pub name: String,
    pub optional: bool,
    pub ty: TypeSchema,
    /// The whole field rule: `name: string(1..64)`.
    pub span: Span,
}

/// An inclusive range; either end may be open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Bounds<T> {
    pub min: Option<T>,
    pub max: Option<T>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Uuid,
    Email,
    Uri,
    DateTime,
    Date,
    Ipv4,
    Ipv6,
}

impl Format {
    pub const NAMES: &'static [&'static str] = &[
        "uuid",
        "email",
        "uri",
        "date-time",
        "datetime",
        "date",
        "ipv4",
        "ipv6",
    ];

    pub fn parse(text: &str) -> Option<Format> {
        Some(match text {
            "uuid" => Format::Uuid,
            "email" => Format::Email,
            "uri" | "url" => Format::Uri,
            "date-time" | "datetime" => Format::DateTime,
            "date" => Format::Date,
            "ipv4" => Format::Ipv4,
            "ipv6" => Format::Ipv6,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug)]
pub enum TypeSchema {
    String {
        length: Bounds<u64>,
        pattern: Option<Pattern>,
        format: Option<Format>,
    },
    Int {
        range: Bounds<i64>,
    },
    Number {
        range: Bounds<f64>,
    },
    Bool,
    Null,
    Any,
    Array {
        length: Bounds<u64>,
        items: Box<TypeSchema>,
    },
    Object(FieldsSchema),
    Enum(Vec<Lit>),
}

// ---------------------------------------------------------------- responses

/// A checked JSON path: `$.items[*].email`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct JsonPath {
    pub steps: Vec<JsonStep>,
    pub text: String,
}

#[derive(Clone, Debug)]
pub struct ResponseOnly {
    pub paths: Vec<JsonPath>,
    pub meta: RuleMeta,
}

#[derive(Clone, Debug)]
pub struct Mask {
    pub paths: Vec<JsonPath>,
    pub strategy: MaskStrategy,
    pub meta: RuleMeta,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "strategy")]
pub enum MaskStrategy {
    /// Replace the value with a fixed marker string.
    Redact,
    /// Remove the field.
    Remove,
    /// Replace the value with `null`.
    Null,
    /// Keyed HMAC-SHA256 of the value, truncated.
    Hash,
    /// `j***@example.com`
    Email,
    /// Keep the first or last N characters, mask the rest.
    Keep { end: KeepEnd, count: u32 },
}

impl MaskStrategy {
    pub const NAMES: &'static [&'static str] = &["redact", "remove", "null", "hash", "email"];
}

/// Where each limit was written (a `limits(...)` argument), if it was.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LimitSpans {
    pub depth: Option<Span>,
    pub array: Option<Span>,
    pub object: Option<Span>,
    pub key: Option<Span>,
    pub string: Option<Span>,
}

/// The most scopes one API may declare: scope sets are fixed-size bitsets
/// so that checking them never allocates.
pub const MAX_SCOPES: usize = 512;
