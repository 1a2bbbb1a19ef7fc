//! The JSON-in/JSON-out API: every question the CLI answers, asked with
//! JSON text and answered with JSON values, for bindings that cannot hold
//! Rust types (`gatehouse-wasm` and the browser playground) and for tools.
//!
//! The functions take text (policy sources, request JSON, response bytes)
//! and return serialisable values or an [`ApiError`]: a stable
//! [`ErrorCode`], a one-line message and JSON details. Nothing here panics,
//! reads a file or a clock: a binding only converts strings.
//!
//! ```
//! use gatehouse_tools::json_api;
//!
//! let sources = json_api::sources_from_json(r#"[{"name": "notes.gate", "text": "api \"notes\"\nendpoint GET /notes {\n  public\n}\n"}]"#).unwrap();
//! let policy = json_api::load(sources).unwrap();
//! let report = json_api::evaluate(&policy, r#"{"method": "GET", "path": "/notes"}"#).unwrap();
//! assert_eq!(report["decision"], "allow");
//!
//! let error = json_api::evaluate(&policy, r#"{"method": "GET"}"#).unwrap_err();
//! assert_eq!(error.code.as_str(), "invalid_request");
//! ```
//!
//! The shapes:
//!
//! - sources: a string (one file named `policy.gate`), an object
//!   `{"name": "text", ...}`, or a list `[{"name": ..., "text": ...}]`;
//! - [`check`]: `{"version": 1, "files", "errors", "warnings", "diagnostics"}`,
//!   what `gatehouse check --format json` prints;
//! - [`lint()`]: what `gatehouse lint --format json` prints;
//! - [`evaluate`]: the [`DecisionReport`] (`gatehouse.decision/v1`), plus
//!   `"audit"` (the audit record) when asked for;
//! - [`explain`]: the trace (`gatehouse.trace/v1`);
//! - [`mask`]: `{"decision": ..., "masked": "..."}`;
//! - [`tree`] and [`inventory`]: `gatehouse.tree/v1`, `gatehouse.inventory/v1`.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use gatehouse::mask::{MaskConfig, MaskError};
use gatehouse::{Decision, Diagnostics, PolicySet, Request, RequestData, Sources};

use crate::fmt::FormatError;
use crate::lint::{self, LintOptions};
use crate::report::DecisionReport;

/// The version of the JSON shapes defined here (the error record and the
/// [`check`] document); bumped on any incompatible change.
pub const VERSION: u32 = 1;

/// The file name given to a policy passed as a bare string.
pub const DEFAULT_FILE: &str = "policy.gate";

macro_rules! error_codes {
    ($( $variant:ident = $code:literal, $summary:literal; )*) => {
        /// Why a call failed. Codes are stable: never renamed or reused.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $( #[doc = $summary] $variant, )*
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )* ];

            /// The stable code: `invalid_request`.
            pub fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $code, )* }
            }

            pub fn summary(self) -> &'static str {
                match self { $( ErrorCode::$variant => $summary, )* }
            }
        }
    };
}

error_codes! {
    InvalidInput = "invalid_input", "an argument is not the JSON the function expects (sources, options)";
    InvalidRequest = "invalid_request", "the request JSON does not parse or has an unknown field";
    PolicyInvalid = "policy_invalid", "the policy has errors and cannot be compiled; `details.diagnostics` lists them";
    SyntaxError = "syntax_error", "the policy does not parse, so it cannot be formatted";
    FormatterFailed = "formatter_failed", "the formatter failed to keep the policy's meaning (a bug); the text is left alone";
    RequestDenied = "request_denied", "the request was denied, so there is no response to mask";
    ResponseWithheld = "response_withheld", "the response cannot be masked (not JSON, too large or deep, `hash` without a key), so it must be withheld";
    Internal = "internal", "a bug in Gatehouse (a panic); the binding should be reloaded";
}

/// A failed call: what a binding throws. Serialises as
/// `{"code": "invalid_request", "message": "...", "details": {...}}`.
#[derive(Clone, Debug, Serialize)]
pub struct ApiError {
    pub code: ErrorCode,
    /// One line, lowercase, for people.
    pub message: String,
    /// Structured facts: diagnostics, the line and column of a JSON error,
    /// the masking problem. An empty object when there are none.
    pub details: Value,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            details: json!({}),
        }
    }

    pub fn with_details(mut self, details: Value) -> ApiError {
        self.details = details;
        self
    }

    /// The error record as JSON text (never fails: the record is plain data).
    pub fn to_json_string(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| {
            format!(
                r#"{{"code":"{}","message":"","details":{{}}}}"#,
                self.code.as_str()
            )
        })
    }

    /// A JSON argument that does not parse: the serde message, with its
    /// line and column in the details.
    fn from_serde(code: ErrorCode, what: &str, error: &serde_json::Error) -> ApiError {
        ApiError::new(code, format!("{what}: {error}"))
            .with_details(json!({ "line": error.line(), "column": error.column() }))
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for ApiError {}

/// One policy file as JSON: `{"name": "pets.gate", "text": "api ..."}`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFileJson {
    name: String,
    text: String,
}

/// The accepted shapes of a set of sources.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum SourcesJson {
    One(String),
    List(Vec<SourceFileJson>),
    Map(serde_json::Map<String, Value>),
}

/// Policy sources from JSON: a string (one file, [`DEFAULT_FILE`]), an
/// object of file names to texts, or a list of `{"name", "text"}`.
pub fn sources_from_json(json: &str) -> Result<Sources, ApiError> {
    let parsed: SourcesJson = serde_json::from_str(json).map_err(|e| {
        ApiError::from_serde(
            ErrorCode::InvalidInput,
            "the sources must be a string, an object of names to texts, or a list of {name, text}",
            &e,
        )
    })?;
    let mut sources = Sources::new();
    match parsed {
        SourcesJson::One(text) => {
            sources.add(DEFAULT_FILE, text);
        }
        SourcesJson::List(files) => {
            for file in files {
                sources.add(file.name, file.text);
            }
        }
        SourcesJson::Map(files) => {
            for (name, text) in files {
                let Value::String(text) = text else {
                    return Err(ApiError::new(
                        ErrorCode::InvalidInput,
                        format!("the text of `{name}` is not a string"),
                    ));
                };
                sources.add(name, text);
            }
        }
    }
    Ok(sources)
}

/// One policy file from its text, named [`DEFAULT_FILE`] unless `name` is given.
pub fn source(name: Option<&str>, text: &str) -> Sources {
    let mut sources = Sources::new();
    sources.add(name.unwrap_or(DEFAULT_FILE), text);
    sources
}

/// Diagnostics as `gatehouse check --format json` prints them:
/// `{"version": 1, "files": n, "errors": n, "warnings": n, "diagnostics": [...]}`.
pub fn diagnostics_json(diagnostics: &Diagnostics, sources: &Sources) -> Value {
    let list: Vec<_> = diagnostics.iter().map(|d| d.to_json(sources)).collect();
    json!({
        "version": VERSION,
        "files": sources.len(),
        "errors": diagnostics.errors().count(),
        "warnings": diagnostics.warnings().count(),
        "diagnostics": list,
    })
}

/// Parses and checks the sources: errors and warnings with their lines and
/// columns. Never fails; a policy with errors is described, not refused.
pub fn check(sources: &Sources) -> Value {
    let (_, diagnostics) = gatehouse_core::check_sources(sources);
    diagnostics_json(&diagnostics, sources)
}

/// Checks, then runs every lint rule: `gatehouse lint --format json`
/// (`diagnostics` from the checker, `findings` from the rules, `coverage`).
pub fn lint(sources: &Sources) -> Value {
    let result = lint::lint(sources, &LintOptions::default());
    lint::report::to_json(&result, sources, sources.len())
}

/// Formats one policy file in the canonical layout.
pub fn format(text: &str) -> Result<String, ApiError> {
    let sources = source(None, text);
    crate::fmt::format(text).map_err(|error| match error {
        FormatError::Syntax(diagnostics) => ApiError::new(
            ErrorCode::SyntaxError,
            "the policy does not parse, so it was not formatted",
        )
        .with_details(diagnostics_json(&diagnostics, &sources)),
        FormatError::Internal(what) => ApiError::new(
            ErrorCode::FormatterFailed,
            format!("the formatter failed ({what}); this is a bug in Gatehouse"),
        ),
    })
}

/// Checks and compiles the sources into a policy set, to evaluate many
/// requests with. A policy with errors is [`ErrorCode::PolicyInvalid`]
/// with the [`check`] document in the details.
pub fn load(sources: Sources) -> Result<PolicySet, ApiError> {
    PolicySet::load(sources).map_err(|error| {
        let count = error.diagnostics().errors().count();
        let first = error
            .diagnostics()
            .errors()
            .next()
            .map(|d| crate::diag::one_line(d, error.sources().get(d.span.file)));
        let message = match first {
            Some(first) if count > 1 => {
                format!("the policy has {count} errors; the first: {first}")
            }
            Some(first) => format!("the policy has an error: {first}"),
            None => "the policy has errors".to_string(),
        };
        ApiError::new(ErrorCode::PolicyInvalid, message)
            .with_details(diagnostics_json(error.diagnostics(), error.sources()))
    })
}

/// The warnings of a loaded policy set, as [`check`] shapes them.
pub fn warnings(policy: &PolicySet) -> Value {
    diagnostics_json(policy.warnings(), policy.sources())
}

/// A request from its JSON (the shape `gatehouse eval --request` reads,
/// see the README). `body_file` is refused: there are no files here.
pub fn request_from_json(json: &str) -> Result<RequestData, ApiError> {
    let data: RequestData = serde_json::from_str(json)
        .map_err(|e| ApiError::from_serde(ErrorCode::InvalidRequest, "not a valid request", &e))?;
    if data.body_file.is_some() {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "`body_file` cannot be read here; give the body inline as `body`",
        ));
    }
    Ok(data)
}

/// What [`evaluate_with`] adds to the decision report.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluateOptions {
    /// Add the audit record as `"audit"`.
    #[serde(default)]
    pub audit: bool,
    /// The time, in milliseconds since the Unix epoch: for the audit
    /// record, and for quotas when the request has no `time_ms` of its own
    /// (the library reads no clock).
    #[serde(default)]
    pub time_ms: Option<u64>,
    /// A response body to mask with the decision, as `gatehouse eval
    /// --response` does: the report gains `"response"` (the masked text)
    /// or, when it must be withheld, `"response_error"` (an error record).
    #[serde(default)]
    pub response: Option<String>,
    /// How to mask `response`.
    #[serde(default)]
    pub mask: MaskOptions,
}

impl EvaluateOptions {
    pub fn from_json(json: &str) -> Result<EvaluateOptions, ApiError> {
        if json.trim().is_empty() || json.trim() == "null" {
            return Ok(EvaluateOptions::default());
        }
        serde_json::from_str(json).map_err(|e| {
            ApiError::from_serde(ErrorCode::InvalidInput, "not valid evaluate options", &e)
        })
    }
}

/// Decides a request and explains the decision: the [`DecisionReport`]
/// (`gatehouse.decision/v1`), whose `rule`, `endpoint` and `violation.rule`
/// carry file, line, column, end line and end column.
pub fn evaluate(policy: &PolicySet, request_json: &str) -> Result<Value, ApiError> {
    evaluate_with(policy, request_json, &EvaluateOptions::default())
}

/// [`evaluate`] with options: the audit record, the time, a response to mask.
pub fn evaluate_with(
    policy: &PolicySet,
    request_json: &str,
    options: &EvaluateOptions,
) -> Result<Value, ApiError> {
    let mut data = request_from_json(request_json)?;
    data.time_ms = data.time_ms.or(options.time_ms);
    let headers = data.headers.pairs();
    let request = data.as_request(&headers);
    let decision = policy.decide(&request);
    let response = options.response.as_ref().map(|response| {
        mask_for_document(
            policy,
            &decision,
            response.as_bytes(),
            &options.mask.config(),
        )
    });
    decision_document(
        policy,
        &request,
        &decision,
        options.audit.then_some(options.time_ms),
        response.as_ref(),
    )
}

/// The `gatehouse.decision/v1` document of a decided request: the
/// [`DecisionReport`]; `"audit"`, the audit record, when `audit` is
/// `Some(time_ms)`; and, when a response was masked with
/// [`mask_for_document`], `"response"` (the masked text, as a string: its
/// bytes exactly as masked) or `"response_error"` (an error record:
/// `request_denied` or `response_withheld`).
///
/// The one place this document is built: `gatehouse eval --json`,
/// [`evaluate_with`] and the WebAssembly module's `evaluate` all call it.
pub fn decision_document(
    policy: &PolicySet,
    request: &Request<'_>,
    decision: &Decision,
    audit: Option<Option<u64>>,
    response: Option<&Result<String, ApiError>>,
) -> Result<Value, ApiError> {
    let report: DecisionReport = crate::report::report(policy, request, decision);
    let mut value = to_value(&report)?;
    let Some(map) = value.as_object_mut() else {
        return Ok(value);
    };
    if let Some(time_ms) = audit {
        map.insert(
            "audit".into(),
            to_value(&policy.audit(request, decision, time_ms))?,
        );
    }
    match response {
        Some(Ok(masked)) => {
            map.insert("response".into(), Value::String(masked.clone()));
        }
        Some(Err(error)) => {
            map.insert("response_error".into(), to_value(error)?);
        }
        None => {}
    }
    Ok(value)
}

/// Decides a request and returns only its HTTP status: the decision
/// without the report, for measuring the evaluator through a binding.
/// `time_ms`, when given, is the request's time (for quotas).
pub fn decide_status(policy: &PolicySet, request: &RequestData, time_ms: Option<u64>) -> u16 {
    let headers = request.headers.pairs();
    let mut request = request.as_request(&headers);
    request.now_ms = time_ms.or(request.now_ms);
    policy.decide(&request).status()
}

/// The evaluation step by step (`gatehouse explain --format json`):
/// `gatehouse.trace/v1`.
pub fn explain(policy: &PolicySet, request_json: &str) -> Result<Value, ApiError> {
    let data = request_from_json(request_json)?;
    let headers = data.headers.pairs();
    let trace = crate::analysis::trace::trace(policy, &data.as_request(&headers));
    to_value(&trace)
}

/// How to mask: the key for `mask ... with hash` and the limits.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaskOptions {
    /// The HMAC key for `with hash`, at least 16 bytes (never put a real
    /// key in a page's URL).
    #[serde(default)]
    pub hash_key: Option<String>,
    /// The largest response accepted, in bytes (default 16 MiB).
    #[serde(default)]
    pub max_bytes: Option<u64>,
    /// How deep the response may nest (default 256).
    #[serde(default)]
    pub max_depth: Option<usize>,
    /// For [`mask`]: the time of the request when it has no `time_ms`.
    #[serde(default)]
    pub time_ms: Option<u64>,
}

impl MaskOptions {
    pub fn from_json(json: &str) -> Result<MaskOptions, ApiError> {
        if json.trim().is_empty() || json.trim() == "null" {
            return Ok(MaskOptions::default());
        }
        serde_json::from_str(json).map_err(|e| {
            ApiError::from_serde(ErrorCode::InvalidInput, "not valid mask options", &e)
        })
    }

    fn config(&self) -> MaskConfig {
        let mut config = MaskConfig::default();
        if let Some(key) = &self.hash_key {
            config = config.with_hash_key(key.as_bytes());
        }
        if let Some(max) = self.max_bytes {
            config = config.with_max_bytes(max);
        }
        if let Some(max) = self.max_depth {
            config = config.with_max_depth(max);
        }
        config
    }
}

/// A masked response: the decision that allowed it and the masked text.
#[derive(Clone, Debug, Serialize)]
pub struct Masked {
    /// The endpoint that allowed the request: `GET /users/{uid}`.
    pub endpoint: Option<String>,
    /// The masked response, valid JSON, keeping the input's layout.
    pub masked: String,
}

/// Decides the request, then applies its endpoint's `mask response` and
/// `response only` rules to `response`. A denied request is
/// [`ErrorCode::RequestDenied`] (with the decision report in the details);
/// a response that cannot be masked is [`ErrorCode::ResponseWithheld`].
/// (Deciding counts the request against its quotas; to decide and mask
/// with one decision, use [`evaluate_with`] and its `response` option.)
pub fn mask(
    policy: &PolicySet,
    request_json: &str,
    response: &[u8],
    options: &MaskOptions,
) -> Result<Masked, ApiError> {
    let mut data = request_from_json(request_json)?;
    data.time_ms = data.time_ms.or(options.time_ms);
    let headers = data.headers.pairs();
    let request = data.as_request(&headers);
    let decision = policy.decide(&request);
    if !decision.allowed() {
        let report = to_value(&crate::report::report(policy, &request, &decision))?;
        return Err(ApiError::new(
            ErrorCode::RequestDenied,
            "the request was denied, so there is no response to mask",
        )
        .with_details(json!({ "decision": report })));
    }
    Ok(Masked {
        endpoint: policy.endpoint(&decision).map(|e| e.label()),
        masked: mask_for_document(policy, &decision, response, &options.config())?,
    })
}

/// Masks the response to a decided request for [`decision_document`]: the
/// masked text, or why there is none (`request_denied`) or it must be
/// withheld (`response_withheld`, with the problem in `details`).
pub fn mask_for_document(
    policy: &PolicySet,
    decision: &Decision,
    response: &[u8],
    config: &MaskConfig,
) -> Result<String, ApiError> {
    if !decision.allowed() {
        return Err(ApiError::new(
            ErrorCode::RequestDenied,
            "the request was denied, so there is no response to mask",
        ));
    }
    match policy.mask_response(decision, response, config) {
        Ok(masked) => Ok(String::from_utf8_lossy(&masked).into_owned()),
        Err(error) => Err(ApiError::new(
            ErrorCode::ResponseWithheld,
            format!("the response cannot be masked, so it must be withheld: {error}"),
        )
        .with_details(mask_error_details(&error))),
    }
}

/// The masking problem as data: `{"problem": "invalid_json", "offset": 12}`.
fn mask_error_details(error: &MaskError) -> Value {
    match error {
        MaskError::Denied => json!({ "problem": "denied" }),
        MaskError::UnknownEndpoint => json!({ "problem": "unknown_endpoint" }),
        MaskError::MissingHashKey => json!({ "problem": "missing_hash_key" }),
        MaskError::InvalidJson { offset, problem } => {
            json!({ "problem": "invalid_json", "offset": offset, "json": problem })
        }
        MaskError::TooLarge { limit } => json!({ "problem": "too_large", "limit": limit }),
        MaskError::TooDeep { offset, limit } => {
            json!({ "problem": "too_deep", "offset": offset, "limit": limit })
        }
        MaskError::NotContainer => json!({ "problem": "not_container" }),
        MaskError::PlanTooComplex => json!({ "problem": "plan_too_complex" }),
        MaskError::StreamFailed => json!({ "problem": "stream_failed" }),
        MaskError::Io(_) => json!({ "problem": "io" }),
        MaskError::Internal => json!({ "problem": "internal" }),
    }
}

/// The compiled decision tree, per API and method, as data for drawing:
/// `gatehouse.tree/v1` (`gatehouse tree --format json`).
pub fn tree(policy: &PolicySet) -> Result<Value, ApiError> {
    to_value(&crate::analysis::tree::tree_dump(policy))
}

/// One row per endpoint with its guards: `gatehouse.inventory/v1`.
pub fn inventory(policy: &PolicySet) -> Result<Value, ApiError> {
    to_value(&crate::analysis::inventory::inventory(policy))
}

/// Serialises an output value. The outputs are plain data, so this does
/// not fail in practice; if it ever did, it is reported, not hidden.
pub fn to_value<T: Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|e| {
        ApiError::new(
            ErrorCode::Internal,
            format!("the output could not be serialised: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"api "users" version "1"
auth user = jwt(issuer: "https://id.example.com", audience: "users")
scopes {
  users:read  "Read users"
}
endpoint GET /users/{uid} {
  authenticate user
  require users:read
  when path.uid == principal.sub
  quota 10/min by principal
  response only $.id, $.ssn
  mask response $.ssn keep last 4
}
"#;

    fn policy() -> PolicySet {
        load(source(Some("users.gate"), POLICY)).unwrap()
    }

    const ALICE: &str = r#"{"method": "GET", "path": "/users/alice", "time_ms": 1700000000000, "principal": {"scheme": "user", "subject": "alice", "scopes": ["users:read"]}}"#;

    #[test]
    fn sources_come_in_three_shapes() {
        let one = sources_from_json(r#""api \"a\"""#).unwrap();
        assert_eq!(one.iter().next().unwrap().name, DEFAULT_FILE);
        let map = sources_from_json(r#"{"a.gate": "api \"a\"", "b.gate": "api \"b\""}"#).unwrap();
        assert_eq!(map.len(), 2);
        let list = sources_from_json(r#"[{"name": "x.gate", "text": "api \"x\""}]"#).unwrap();
        assert_eq!(list.iter().next().unwrap().name, "x.gate");
        let error = sources_from_json("42").unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidInput);
        assert_eq!(
            sources_from_json(r#"{"a.gate": 1}"#).unwrap_err().code,
            ErrorCode::InvalidInput
        );
    }

    #[test]
    fn check_reports_lines_and_columns() {
        let doc = check(&source(
            None,
            "api \"a\"\nendpoint GET /x {\n  require nope\n}\n",
        ));
        assert!(doc["errors"].as_u64().unwrap() >= 1);
        let list = doc["diagnostics"].as_array().unwrap();
        let d = list
            .iter()
            .find(|d| d["message"].as_str().unwrap().contains("nope"))
            .unwrap();
        assert_eq!(d["location"]["line"], 3);
        assert_eq!(d["location"]["column"], 11);
        assert!(d["code"].as_str().unwrap().starts_with("GH-E"));
    }

    #[test]
    fn lint_includes_findings() {
        let doc = lint(&source(None, "api \"a\"\nendpoint GET /x {\n  public\n}\n"));
        assert_eq!(doc["checked"], true);
        assert!(doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "public-without-quota"));
    }

    #[test]
    fn load_refuses_a_policy_with_errors_with_its_diagnostics() {
        let error = load(source(
            None,
            "api \"a\"\nendpoint GET /x {\n  require nope\n}\n",
        ))
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::PolicyInvalid);
        assert!(error.message.contains("policy.gate:"), "{}", error.message);
        let list = error.details["diagnostics"].as_array().unwrap();
        assert!(list
            .iter()
            .any(|d| d["location"]["line"] == 3 && d["location"]["column"] == 11));
        let json: Value = serde_json::from_str(&error.to_json_string()).unwrap();
        assert_eq!(json["code"], "policy_invalid");
    }

    #[test]
    fn format_lays_out_and_refuses_broken_text() {
        assert_eq!(format("api   \"a\"").unwrap(), "api \"a\"\n");
        let error = format("api \"a\"\nendpoint GET /x {").unwrap_err();
        assert_eq!(error.code, ErrorCode::SyntaxError);
        assert!(error.details["errors"].as_u64().unwrap() >= 1);
    }

    #[test]
    fn evaluate_reports_the_deciding_rule_with_its_place() {
        let policy = policy();
        let report = evaluate(&policy, ALICE).unwrap();
        assert_eq!(report["decision"], "allow");
        let bob = ALICE
            .replace("\"alice\"}", "\"bob\"}")
            .replace("\"subject\": \"alice\"", "\"subject\": \"bob\"");
        let report = evaluate(&policy, &bob).unwrap();
        assert_eq!(report["reason"], "condition_failed");
        assert_eq!(report["rule"]["line"], 9);
        assert_eq!(report["rule"]["column"], 3);
        assert_eq!(report["rule"]["file"], "users.gate");
        let options = EvaluateOptions {
            audit: true,
            time_ms: Some(5),
            ..EvaluateOptions::default()
        };
        let report = evaluate_with(&policy, ALICE, &options).unwrap();
        assert_eq!(report["audit"]["time_ms"], 5);
        let response = Some(r#"{"id": "alice", "ssn": "123-45-6789", "x": 1}"#.to_string());
        let options = EvaluateOptions {
            time_ms: Some(5),
            response,
            ..EvaluateOptions::default()
        };
        let report = evaluate_with(&policy, ALICE, &options).unwrap();
        assert_eq!(
            report["response"],
            r#"{"id": "alice", "ssn": "*******6789"}"#
        );
        let options = EvaluateOptions {
            time_ms: Some(5),
            response: Some("{".into()),
            ..EvaluateOptions::default()
        };
        let report = evaluate_with(&policy, ALICE, &options).unwrap();
        assert_eq!(report["response_error"]["code"], "response_withheld");
    }

    #[test]
    fn bad_requests_and_options_are_errors_with_positions() {
        let policy = policy();
        let error = evaluate(&policy, "{\"method\": \"GET\",\n \"pth\": \"/\"}").unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidRequest);
        assert_eq!(error.details["line"], 2);
        let error = evaluate(
            &policy,
            r#"{"method": "GET", "path": "/", "body_file": "x.json"}"#,
        )
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidRequest);
        assert_eq!(
            EvaluateOptions::from_json("{\"nope\": 1}")
                .unwrap_err()
                .code,
            ErrorCode::InvalidInput
        );
        assert!(!EvaluateOptions::from_json("").unwrap().audit);
        assert_eq!(
            MaskOptions::from_json("42").unwrap_err().code,
            ErrorCode::InvalidInput
        );
    }

    #[test]
    fn explain_traces_the_steps() {
        let trace = explain(&policy(), ALICE).unwrap();
        assert_eq!(trace["schema"], "gatehouse.trace/v1");
        assert!(trace["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["deciding"] == true));
    }

    #[test]
    fn mask_applies_the_endpoint_rules_and_fails_closed() {
        let policy = policy();
        let body = br#"{"id": "alice", "ssn": "123-45-6789", "salary": 1}"#;
        let masked = mask(&policy, ALICE, body, &MaskOptions::default()).unwrap();
        assert_eq!(masked.masked, r#"{"id": "alice", "ssn": "*******6789"}"#);
        assert_eq!(masked.endpoint.as_deref(), Some("GET /users/{uid}"));
        let error = mask(&policy, ALICE, b"{\"id\": ", &MaskOptions::default()).unwrap_err();
        assert_eq!(error.code, ErrorCode::ResponseWithheld);
        assert_eq!(error.details["problem"], "invalid_json");
        let anonymous = r#"{"method": "GET", "path": "/users/alice"}"#;
        let error = mask(&policy, anonymous, body, &MaskOptions::default()).unwrap_err();
        assert_eq!(error.code, ErrorCode::RequestDenied);
        assert_eq!(error.details["decision"]["reason"], "unauthenticated");
    }

    #[test]
    fn tree_inventory_and_warnings_are_data() {
        let policy = policy();
        assert_eq!(tree(&policy).unwrap()["schema"], "gatehouse.tree/v1");
        assert_eq!(
            inventory(&policy).unwrap()["endpoints"][0]["path"],
            "/users/{uid}"
        );
        assert_eq!(warnings(&policy)["errors"], 0);
        let request = request_from_json(ALICE).unwrap();
        assert_eq!(decide_status(&policy, &request, None), 200);
        assert_eq!(
            decide_status(&policy, &request, Some(1_700_000_000_000)),
            200
        );
    }

    #[test]
    fn error_codes_are_distinct() {
        let mut codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ErrorCode::ALL.len());
    }
}
