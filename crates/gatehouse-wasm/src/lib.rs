//! WebAssembly bindings of Gatehouse, for the browser playground and for
//! Node: thin wrappers over [`gatehouse_tools::json_api`], which does the work.
//!
//! Every function here converts its arguments to JSON text, calls the
//! matching `json_api` function and turns the answer back into a JS value;
//! there is no policy logic in this crate. From JavaScript (the
//! wasm-bindgen `--target web` glue, `pkg/gatehouse_wasm.js`):
//!
//! ```js
//! import init, { check, lint, format, Policy } from "./pkg/gatehouse_wasm.js";
//! await init();
//! check(text);                        // {errors, warnings, diagnostics: [{code, message, location: {line, column, ...}}]}
//! lint(text);                         // the same plus lint findings and coverage
//! format(text);                       // the canonical layout, as a string
//! const policy = new Policy(text);    // check and compile once ...
//! policy.evaluate({method: "GET", path: "/v1/pets", principal: {...}});   // ... decide many times
//! policy.explain(request);            // the trace, step by step
//! policy.maskResponse(request, responseText, {hash_key: "..."});
//! policy.tree(); policy.inventory(); policy.warnings();
//! policy.free();                      // release the compiled policy
//! ```
//!
//! Arguments that are JSON (sources, requests, options) may be passed as a
//! JSON string or as a plain object. Sources are a policy's text, an object
//! of file names to texts, or a list of `{name, text}`.
//!
//! **Errors** are thrown as `Error` objects named `GatehouseError` with a
//! stable `code`, a `message` and structured `details` (for
//! `policy_invalid`, the diagnostics with lines and columns); see
//! [`gatehouse_tools::json_api::ErrorCode`]. A panic (a bug: the library is
//! written not to panic) is thrown the same way, with the code `internal`,
//! by the panic hook installed when the module starts; the module instance
//! should then be discarded, since the Rust code it interrupted never
//! finished.

use gatehouse::{PolicySet, RequestData};
use gatehouse_tools::json_api::{self, ApiError, ErrorCode, EvaluateOptions, MaskOptions};
use wasm_bindgen::prelude::*;

/// Runs once when the module is instantiated: installs the panic hook.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        // Throwing here unwinds the JS stack through the wasm frames, so the
        // caller sees a GatehouseError instead of a bare `unreachable` trap.
        let error = ApiError::new(
            ErrorCode::Internal,
            format!("gatehouse panicked (a bug): {info}"),
        );
        wasm_bindgen::throw_val(to_js_error(&error));
    }));
}

/// The version of the gatehouse crate this module was built from.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Parses and checks policy sources: `{version, files, errors, warnings,
/// diagnostics}`. A policy with errors is described, not thrown.
#[wasm_bindgen]
pub fn check(sources: JsValue) -> Result<JsValue, JsValue> {
    let sources = sources_arg(&sources)?;
    to_js(&json_api::check(&sources))
}

/// Checks, then runs the lint rules: `{checked, errors, warnings,
/// diagnostics, findings, allowed_findings, coverage}`.
#[wasm_bindgen]
pub fn lint(sources: JsValue) -> Result<JsValue, JsValue> {
    let sources = sources_arg(&sources)?;
    to_js(&json_api::lint(&sources))
}

/// One policy file in the canonical layout. Throws `syntax_error` (with the
/// diagnostics) for text that does not parse.
#[wasm_bindgen]
pub fn format(text: &str) -> Result<String, JsValue> {
    json_api::format(text).map_err(|e| to_js_error(&e))
}

/// A checked and compiled policy set: compile once, evaluate many requests.
#[wasm_bindgen]
pub struct Policy {
    inner: PolicySet,
}

#[wasm_bindgen]
impl Policy {
    /// Checks and compiles the sources; throws `policy_invalid` with the
    /// diagnostics when they have errors.
    #[wasm_bindgen(constructor)]
    pub fn new(sources: JsValue) -> Result<Policy, JsValue> {
        let sources = sources_arg(&sources)?;
        let inner = json_api::load(sources).map_err(|e| to_js_error(&e))?;
        Ok(Policy { inner })
    }

    /// Decides a request and explains the decision (`gatehouse.decision/v1`):
    /// `decision`, `status`, `reason`, `message`, `hint`, and the `rule` and
    /// `endpoint` with `line`, `column`, `end_line` and `end_column`.
    /// `options` (optional): `{audit: true}` adds the audit record;
    /// `time_ms` is the time (for quotas, when the request has none, and
    /// the audit record); `response` (JSON text) is masked with the
    /// decision (`mask: {hash_key, max_bytes, max_depth}`), adding
    /// `response`, or `response_error` when it must be withheld.
    pub fn evaluate(&self, request: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        let request = json_arg(&request, "the request")?;
        let options = EvaluateOptions::from_json(&json_arg(&options, "the options")?)
            .map_err(|e| to_js_error(&e))?;
        to_js(
            &json_api::evaluate_with(&self.inner, &request, &options)
                .map_err(|e| to_js_error(&e))?,
        )
    }

    /// The evaluation step by step (`gatehouse.trace/v1`).
    pub fn explain(&self, request: JsValue) -> Result<JsValue, JsValue> {
        let request = json_arg(&request, "the request")?;
        to_js(&json_api::explain(&self.inner, &request).map_err(|e| to_js_error(&e))?)
    }

    /// Decides the request and masks `response` (JSON text) with its
    /// endpoint's rules: `{endpoint, masked}`. Throws `request_denied` or
    /// `response_withheld`. `options` (optional): `{hash_key, max_bytes,
    /// max_depth}`.
    #[wasm_bindgen(js_name = maskResponse)]
    pub fn mask_response(
        &self,
        request: JsValue,
        response: &str,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let request = json_arg(&request, "the request")?;
        let options = MaskOptions::from_json(&json_arg(&options, "the options")?)
            .map_err(|e| to_js_error(&e))?;
        let masked = json_api::mask(&self.inner, &request, response.as_bytes(), &options)
            .map_err(|e| to_js_error(&e))?;
        to_js(&masked)
    }

    /// The compiled route tries per API and method (`gatehouse.tree/v1`).
    pub fn tree(&self) -> Result<JsValue, JsValue> {
        to_js(&json_api::tree(&self.inner).map_err(|e| to_js_error(&e))?)
    }

    /// One row per endpoint with its guards (`gatehouse.inventory/v1`).
    pub fn inventory(&self) -> Result<JsValue, JsValue> {
        to_js(&json_api::inventory(&self.inner).map_err(|e| to_js_error(&e))?)
    }

    /// The warnings the checker found in this policy set (as [`check`]).
    pub fn warnings(&self) -> Result<JsValue, JsValue> {
        to_js(&json_api::warnings(&self.inner))
    }

    /// Only the decision's HTTP status, for a request parsed once: what a
    /// benchmark calls to time the evaluator without the report and JSON.
    /// `time_ms` (optional) is the request's time for quotas, in
    /// milliseconds; without it, the request's own `time_ms`.
    #[wasm_bindgen(js_name = decideStatus)]
    pub fn decide_status(&self, request: &ParsedRequest, time_ms: Option<f64>) -> u16 {
        // A JS number: negative, fractional or huge times are clamped to u64.
        let time = time_ms.filter(|t| t.is_finite()).map(|t| t.max(0.0) as u64);
        json_api::decide_status(&self.inner, &request.inner, time)
    }
}

/// A request parsed once, to be decided many times by
/// [`Policy::decide_status`].
#[wasm_bindgen]
pub struct ParsedRequest {
    inner: RequestData,
}

#[wasm_bindgen]
impl ParsedRequest {
    /// Parses request JSON; throws `invalid_request`.
    #[wasm_bindgen(constructor)]
    pub fn new(request: JsValue) -> Result<ParsedRequest, JsValue> {
        let request = json_arg(&request, "the request")?;
        let inner = json_api::request_from_json(&request).map_err(|e| to_js_error(&e))?;
        Ok(ParsedRequest { inner })
    }
}

/// Panics on purpose, so that tests can see the panic hook turn a panic
/// into a thrown `GatehouseError` with the code `internal`. Not for use.
#[doc(hidden)]
#[wasm_bindgen(js_name = _panicForTests)]
#[expect(
    clippy::panic,
    reason = "the one deliberate panic, to test the panic hook"
)]
pub fn panic_for_tests() {
    panic!("a deliberate panic to test the panic hook");
}

/// Sources given as JS: a string is the text of one policy file; anything
/// else is JSON in one of the shapes of [`json_api::sources_from_json`].
fn sources_arg(value: &JsValue) -> Result<gatehouse::Sources, JsValue> {
    let sources = match value.as_string() {
        Some(text) => Ok(json_api::source(None, &text)),
        None => json_api::sources_from_json(&json_arg(value, "the sources")?),
    };
    sources.map_err(|e| to_js_error(&e))
}

/// JSON text from a JS argument: a string as it is, `undefined` as `null`,
/// anything else through `JSON.stringify`.
fn json_arg(value: &JsValue, what: &str) -> Result<String, JsValue> {
    if let Some(text) = value.as_string() {
        return Ok(text);
    }
    if value.is_undefined() || value.is_null() {
        return Ok("null".to_string());
    }
    let invalid = || {
        to_js_error(&ApiError::new(
            ErrorCode::InvalidInput,
            format!("{what} cannot be turned into JSON"),
        ))
    };
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|text| text.as_string())
        .ok_or_else(invalid)
}

/// A serialisable value as a JS value, through JSON text and `JSON.parse`.
fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(value).map_err(|e| {
        to_js_error(&ApiError::new(
            ErrorCode::Internal,
            format!("the output could not be serialised: {e}"),
        ))
    })?;
    js_sys::JSON::parse(&text)
}

/// The thrown form of an [`ApiError`]: an `Error` named `GatehouseError`
/// with `code`, `message` and `details`.
fn to_js_error(error: &ApiError) -> JsValue {
    let thrown = js_sys::Error::new(&error.message);
    thrown.set_name("GatehouseError");
    let details = serde_json::to_string(&error.details)
        .ok()
        .and_then(|text| js_sys::JSON::parse(&text).ok())
        .unwrap_or_else(|| js_sys::Object::new().into());
    // Setting a property on a fresh Error object cannot fail; if it ever
    // did, the error would still carry its message.
    let _ = js_sys::Reflect::set(&thrown, &"code".into(), &error.code.as_str().into());
    let _ = js_sys::Reflect::set(&thrown, &"details".into(), &details);
    thrown.into()
}
