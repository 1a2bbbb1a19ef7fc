//! The reference interpreter's payload rules: `query`, `headers` and
//! `body`, checked from the model with an implementation independent of
//! the evaluator's ([`crate::payload`]).
//!
//! The evaluator streams: a resumable byte-level tokenizer, an explicit
//! stack, compiled schemas. This side does the obvious thing with the whole
//! body in hand: a recursive-descent parser builds a small DOM (its depth
//! is checked before each level, so recursion is bounded by the depth
//! limit), and a recursive walk over the model's [`TypeSchema`] checks the
//! rules. Both report the first problem in reading order, as the language
//! reference specifies; property tests hold them to the same decisions.
//! Only the leaf validators are shared: formats ([`Format::accepts`]) and
//! regular expressions.

use crate::decision::{Decision, Detail, Reason, ShadowFinding};
use crate::json::JsonProblem;
use crate::model::{Endpoint, EndpointId, FieldsSchema, Lit, RuleMeta, TypeSchema};
use crate::payload::{Expected, LimitKind, LimitSpans, Limits, Part, Problem, Violation};
use crate::request::Request;
use crate::span::Span;

/// The checks after the conditions, given the findings so far: query and
/// header rules, then the body. An allow, or the first enforced failure.
pub(crate) fn rest_of_endpoint(
    endpoint: &Endpoint,
    request: &Request<'_>,
    query: Option<&str>,
    allow_rule: Span,
    findings: Vec<ShadowFinding>,
) -> Decision {
    let mut run = Run {
        endpoint: endpoint.id,
        findings,
        violations: Vec::new(),
    };
    match checks(endpoint, request, query, &mut run) {
        Err(denial) => denial,
        Ok(()) => {
            let mut allow = Decision::allow(allow_rule, run.findings);
            allow.violations = run.violations.into();
            allow
        }
    }
}

/// Puts a shadow endpoint's would-be decision before the enforced one's
/// findings. A decision made before the end of the body (`Content-Length`,
/// or too many bytes) keeps none of the shadow endpoint's body findings.
pub(crate) fn merge_shadow(
    mut decision: Decision,
    would: Option<(Decision, EndpointId)>,
) -> Decision {
    let Some((would, id)) = would else {
        return decision;
    };
    let early = matches!(
        decision.reason,
        Reason::ContentLengthInvalid | Reason::BodyTooLarge
    );
    let body_stage = |r: Reason| {
        matches!(
            r,
            Reason::ContentLengthInvalid
                | Reason::BodyTooLarge
                | Reason::UnsupportedMediaType
                | Reason::BodyMalformed
                | Reason::BodyLimitExceeded
                | Reason::BodyInvalid
        )
    };
    let keep = |r: Reason| !early || !body_stage(r);
    let mut findings: Vec<ShadowFinding> = would
        .shadow
        .iter()
        .copied()
        .filter(|f| keep(f.reason))
        .collect();
    if !would.allowed && keep(would.reason) {
        findings.push(ShadowFinding {
            endpoint: id,
            reason: would.reason,
            status: would.status,
            rule: would.rule.unwrap_or_default(),
            detail: would.detail,
        });
    }
    decision.prepend_shadow(findings, would.violations);
    decision
}

struct Run {
    endpoint: EndpointId,
    findings: Vec<ShadowFinding>,
    violations: Vec<Violation>,
}

impl Run {
    fn fail(
        &mut self,
        reason: Reason,
        detail: Detail,
        violation: Option<Violation>,
        meta: &RuleMeta,
    ) -> Result<(), Decision> {
        let detail = match violation {
            Some(v) => {
                self.violations.push(v);
                Detail::Violation {
                    index: u16::try_from(self.violations.len() - 1).unwrap_or(u16::MAX),
                }
            }
            None => detail,
        };
        self.findings.push(ShadowFinding {
            endpoint: self.endpoint,
            reason,
            status: reason.status(),
            rule: meta.span,
            detail,
        });
        if meta.shadow {
            return Ok(());
        }
        let last = self.findings.pop();
        let mut d = Decision::deny(reason, detail);
        d.rule = last.map(|f| f.rule);
        d.shadow = std::mem::take(&mut self.findings);
        d.violations = std::mem::take(&mut self.violations).into();
        d.canonicalize_violations();
        Err(d)
    }
}

fn checks(
    endpoint: &Endpoint,
    request: &Request<'_>,
    query: Option<&str>,
    run: &mut Run,
) -> Result<(), Decision> {
    if let Some(rule) = &endpoint.query {
        if let Some(v) = check_query(&rule.schema, query.unwrap_or(""), rule.meta.span) {
            run.fail(Reason::QueryInvalid, Detail::None, Some(v), &rule.meta)?;
        }
    }
    if let Some(rule) = &endpoint.headers {
        if let Some(v) = check_headers(&rule.schema, request) {
            run.fail(Reason::HeaderInvalid, Detail::None, Some(v), &rule.meta)?;
        }
    }

    let rules = &endpoint.body;
    let body = request.body.unwrap_or(b"");
    let lengths: Vec<&str> = request
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .flat_map(|(_, v)| v.split(','))
        .map(|v| v.trim_matches(|c| c == ' ' || c == '\t'))
        .collect();
    let mut declared: Option<u64> = None;
    for text in &lengths {
        let parsed = if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
            text.parse::<u64>().ok()
        } else {
            None
        };
        match (parsed, declared) {
            (Some(n), None) => declared = Some(n),
            (Some(n), Some(d)) if n == d => {}
            _ => {
                let meta = RuleMeta {
                    span: endpoint.span,
                    inherited: false,
                    shadow: false,
                };
                return run.fail(Reason::ContentLengthInvalid, Detail::None, None, &meta);
            }
        }
    }
    if let Some((max, meta)) = &rules.max {
        let over_declared = declared.is_some_and(|d| d > *max);
        if over_declared || body.len() as u64 > *max {
            run.fail(
                Reason::BodyTooLarge,
                Detail::BodySize {
                    limit: *max,
                    declared: over_declared,
                },
                None,
                meta,
            )?;
        }
    }
    if body.is_empty() {
        if let Some(json) = rules.json.as_ref().filter(|j| j.schema.is_some()) {
            let v = Violation {
                part: Part::Body,
                pointer: String::new(),
                problem: Problem::NoBody,
                rule: json.meta.span,
            };
            run.fail(Reason::BodyInvalid, Detail::None, Some(v), &json.meta)?;
        }
        return Ok(());
    }
    let types: Option<(Vec<String>, RuleMeta)> = match (&rules.types, &rules.json) {
        (Some((types, meta)), _) => Some((types.clone(), *meta)),
        (None, Some(json)) => Some((
            vec!["application/json".into(), "application/*+json".into()],
            json.meta,
        )),
        _ => None,
    };
    if let Some((types, meta)) = &types {
        if !content_type_accepted(request, types) {
            run.fail(Reason::UnsupportedMediaType, Detail::None, None, meta)?;
        }
    }
    if let Some(json) = &rules.json {
        let limits = Limits::from_model(&json.limits);
        if let Some((reason, v)) = check_json(
            body,
            &limits,
            &json.limit_spans,
            json.schema.as_ref(),
            json.meta.span,
            true,
        ) {
            run.fail(reason, Detail::None, Some(v), &json.meta)?;
        }
    }
    if rules.json.as_ref().is_none_or(|j| j.meta.shadow) {
        if let Some((reason, v)) = check_json(
            body,
            &Limits::DEFAULT,
            &LimitSpans::default(),
            None,
            endpoint.span,
            false,
        ) {
            let meta = RuleMeta {
                span: endpoint.span,
                inherited: false,
                shadow: false,
            };
            run.fail(reason, Detail::None, Some(v), &meta)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- content types

fn content_type_accepted(request: &Request<'_>, patterns: &[String]) -> bool {
    let values: Vec<String> = request
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .collect();
    let Some(first) = values.first() else {
        return false;
    };
    if values.iter().any(|v| v != first) {
        return false;
    }
    let Some((ty, sub)) = first.split_once('/') else {
        return false;
    };
    let (ty, sub) = (ty.trim(), sub.trim());
    if ty.is_empty() || sub.is_empty() {
        return false;
    }
    patterns.iter().any(|p| {
        let Some((pt, ps)) = p.split_once('/') else {
            return false;
        };
        let type_ok = pt == "*" || pt.eq_ignore_ascii_case(ty);
        let sub_ok = if ps == "*" {
            true
        } else if let Some(suffix) = ps.strip_prefix('*') {
            sub.ends_with(&suffix.to_ascii_lowercase()) && sub.len() > suffix.len()
        } else {
            ps.eq_ignore_ascii_case(sub)
        };
        type_ok && sub_ok
    })
}

// ---------------------------------------------------------------- JSON

/// A parsed value.
enum J {
    Null,
    Bool(bool),
    Num { float: f64, int: Option<i64> },
    Str { text: String, chars: u64 },
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

enum Fail {
    Malformed(JsonProblem, usize),
    Limit(LimitKind, String),
}

fn pointer(path: &[String]) -> String {
    path.iter()
        .map(|seg| format!("/{}", seg.replace('~', "~0").replace('/', "~1")))
        .collect()
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    limits: Limits,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn value(&mut self, depth: u64, path: &mut Vec<String>) -> Result<J, Fail> {
        self.ws();
        let start = self.i;
        let Some(&c) = self.b.get(self.i) else {
            return Err(Fail::Malformed(JsonProblem::Truncated, self.b.len()));
        };
        match c {
            b'{' | b'[' if depth + 1 > self.limits.depth => {
                Err(Fail::Limit(LimitKind::Depth, pointer(path)))
            }
            b'{' => {
                self.i += 1;
                let mut members: Vec<(String, J)> = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(J::Obj(members));
                }
                loop {
                    self.ws();
                    match self.b.get(self.i) {
                        None => return Err(Fail::Malformed(JsonProblem::Truncated, self.b.len())),
                        Some(b'"') => {}
                        Some(_) => return Err(Fail::Malformed(JsonProblem::ExpectedKey, self.i)),
                    }
                    if members.len() as u64 + 1 > self.limits.object {
                        return Err(Fail::Limit(LimitKind::Object, pointer(path)));
                    }
                    let key_start = self.i;
                    let (key, _) = self.string().map_err(|p| self.string_fail(p, key_start))?;
                    if key.len() as u64 > self.limits.key {
                        return Err(Fail::Limit(LimitKind::Key, pointer(path)));
                    }
                    if members.iter().any(|(k, _)| *k == key) {
                        path.push(key);
                        let p = pointer(path);
                        path.pop();
                        return Err(Fail::Limit(LimitKind::DuplicateKey, p));
                    }
                    self.ws();
                    match self.b.get(self.i) {
                        None => return Err(Fail::Malformed(JsonProblem::Truncated, self.b.len())),
                        Some(b':') => self.i += 1,
                        Some(_) => return Err(Fail::Malformed(JsonProblem::ExpectedColon, self.i)),
                    }
                    path.push(key.clone());
                    let value = self.value(depth + 1, path);
                    path.pop();
                    members.push((key, value?));
                    self.ws();
                    match self.b.get(self.i) {
                        None => return Err(Fail::Malformed(JsonProblem::Truncated, self.b.len())),
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(J::Obj(members));
                        }
                        Some(_) => {
                            return Err(Fail::Malformed(JsonProblem::ExpectedCommaOrClose, self.i))
                        }
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(J::Arr(items));
                }
                loop {
                    self.ws();
                    // A value must start here (checked after the count, as
                    // the evaluator does).
                    if self.b.get(self.i).is_some_and(|c| !value_start(*c)) {
                        let c = self.b.get(self.i).copied().unwrap_or_default();
                        return Err(Fail::Malformed(JsonProblem::UnexpectedByte(c), self.i));
                    }
                    if self.b.get(self.i).is_some() && items.len() as u64 + 1 > self.limits.array {
                        return Err(Fail::Limit(LimitKind::Array, pointer(path)));
                    }
                    path.push(items.len().to_string());
                    let item = self.value(depth + 1, path);
                    path.pop();
                    items.push(item?);
                    self.ws();
                    match self.b.get(self.i) {
                        None => return Err(Fail::Malformed(JsonProblem::Truncated, self.b.len())),
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(J::Arr(items));
                        }
                        Some(_) => {
                            return Err(Fail::Malformed(JsonProblem::ExpectedCommaOrClose, self.i))
                        }
                    }
                }
            }
            b'"' => {
                let (text, chars) = self.string().map_err(|p| self.string_fail(p, start))?;
                if text.len() as u64 > self.limits.string {
                    return Err(Fail::Limit(LimitKind::String, pointer(path)));
                }
                Ok(J::Str { text, chars })
            }
            b'-' | b'0'..=b'9' => {
                let rest = self.b.get(self.i..).unwrap_or_default();
                let len = rest
                    .iter()
                    .take_while(|c| matches!(c, b'0'..=b'9' | b'+' | b'-' | b'.' | b'e' | b'E'))
                    .count();
                let text = std::str::from_utf8(rest.get(..len).unwrap_or_default()).unwrap_or("");
                if !number_grammar(text) {
                    return Err(Fail::Malformed(JsonProblem::InvalidNumber, start));
                }
                let float: f64 = text.parse().unwrap_or(f64::INFINITY);
                if !float.is_finite() {
                    return Err(Fail::Malformed(JsonProblem::NumberOutOfRange, start));
                }
                let int = if text.contains(['.', 'e', 'E']) {
                    None
                } else {
                    text.parse::<i64>().ok()
                };
                self.i += len;
                Ok(J::Num { float, int })
            }
            b't' | b'f' | b'n' => {
                let (word, value): (&[u8], J) = match c {
                    b't' => (b"true", J::Bool(true)),
                    b'f' => (b"false", J::Bool(false)),
                    _ => (b"null", J::Null),
                };
                let rest = self.b.get(self.i..).unwrap_or_default();
                let n = rest.len().min(word.len());
                if rest.get(..n) != word.get(..n) {
                    return Err(Fail::Malformed(JsonProblem::InvalidLiteral, start));
                }
                if n < word.len() {
                    return Err(Fail::Malformed(JsonProblem::Truncated, self.b.len()));
                }
                self.i += word.len();
                Ok(value)
            }
            other => Err(Fail::Malformed(JsonProblem::UnexpectedByte(other), start)),
        }
    }

    fn string_fail(&self, problem: JsonProblem, start: usize) -> Fail {
        match problem {
            JsonProblem::Truncated => Fail::Malformed(JsonProblem::Truncated, self.b.len()),
            other => Fail::Malformed(other, start),
        }
    }

    /// The string at the `"` at `self.i`: its text and length in characters.
    fn string(&mut self) -> Result<(String, u64), JsonProblem> {
        self.i += 1;
        let mut out = String::new();
        let mut chars = 0u64;
        loop {
            let Some(&c) = self.b.get(self.i) else {
                return Err(JsonProblem::Truncated);
            };
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok((out, chars));
                }
                b'\\' => {
                    let unit = self.escape()?;
                    let ch = match unit {
                        0xd800..=0xdbff => {
                            match self.b.get(self.i) {
                                None => return Err(JsonProblem::Truncated),
                                Some(b'\\') => {}
                                Some(_) => return Err(JsonProblem::LoneSurrogate),
                            }
                            match self.b.get(self.i + 1) {
                                None => return Err(JsonProblem::Truncated),
                                Some(b'u') => {}
                                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                                    return Err(JsonProblem::LoneSurrogate)
                                }
                                Some(_) => return Err(JsonProblem::InvalidEscape),
                            }
                            let low = self.escape()?;
                            if !(0xdc00..=0xdfff).contains(&low) {
                                return Err(JsonProblem::LoneSurrogate);
                            }
                            char::from_u32(0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00))
                                .ok_or(JsonProblem::LoneSurrogate)?
                        }
                        0xdc00..=0xdfff => return Err(JsonProblem::LoneSurrogate),
                        u => char::from_u32(u).ok_or(JsonProblem::InvalidEscape)?,
                    };
                    out.push(ch);
                    chars += 1;
                }
                0..=0x1f => return Err(JsonProblem::ControlCharacter),
                0x20..=0x7f => {
                    out.push(char::from(c));
                    chars += 1;
                    self.i += 1;
                }
                _ => {
                    let window = self
                        .b
                        .get(self.i..(self.i + 4).min(self.b.len()))
                        .unwrap_or_default();
                    let valid = match std::str::from_utf8(window) {
                        Ok(text) => text,
                        Err(e) if e.valid_up_to() > 0 => {
                            std::str::from_utf8(window.get(..e.valid_up_to()).unwrap_or_default())
                                .unwrap_or("")
                        }
                        Err(e) if e.error_len().is_none() => return Err(JsonProblem::Truncated),
                        Err(_) => return Err(JsonProblem::InvalidUtf8),
                    };
                    let Some(ch) = valid.chars().next() else {
                        return Err(JsonProblem::InvalidUtf8);
                    };
                    out.push(ch);
                    chars += 1;
                    self.i += ch.len_utf8();
                }
            }
        }
    }

    /// An escape at the `\` at `self.i`: its code unit.
    fn escape(&mut self) -> Result<u32, JsonProblem> {
        let Some(&kind) = self.b.get(self.i + 1) else {
            return Err(JsonProblem::Truncated);
        };
        self.i += 2;
        Ok(match kind {
            b'"' => 0x22,
            b'\\' => 0x5c,
            b'/' => 0x2f,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => 0x0a,
            b'r' => 0x0d,
            b't' => 0x09,
            b'u' => {
                let mut unit = 0u32;
                for _ in 0..4 {
                    let Some(&h) = self.b.get(self.i) else {
                        return Err(JsonProblem::Truncated);
                    };
                    let d = char::from(h)
                        .to_digit(16)
                        .ok_or(JsonProblem::InvalidEscape)?;
                    unit = unit * 16 + d;
                    self.i += 1;
                }
                unit
            }
            _ => return Err(JsonProblem::InvalidEscape),
        })
    }
}

fn value_start(c: u8) -> bool {
    matches!(
        c,
        b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
    )
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, the whole text.
fn number_grammar(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Checks a body: JSON problems first (the first in reading order), then
/// the field rules (the first violation in document order).
fn check_json(
    body: &[u8],
    limits: &Limits,
    spans: &LimitSpans,
    schema: Option<&FieldsSchema>,
    root_rule: Span,
    require_json: bool,
) -> Option<(Reason, Violation)> {
    let mut parser = Parser {
        b: body,
        i: 0,
        limits: *limits,
    };
    parser.ws();
    let Some(&first) = body.get(parser.i) else {
        if !require_json {
            return None;
        }
        return Some(malformed(JsonProblem::Empty, body.len(), root_rule));
    };
    if !require_json && first != b'{' && first != b'[' {
        return None;
    }
    let parsed = parser.value(0, &mut Vec::new()).and_then(|v| {
        parser.ws();
        match body.get(parser.i) {
            None => Ok(v),
            Some(_) => Err(Fail::Malformed(JsonProblem::TrailingData, parser.i)),
        }
    });
    let value = match parsed {
        Ok(v) => v,
        Err(Fail::Malformed(problem, at)) => return Some(malformed(problem, at, root_rule)),
        Err(Fail::Limit(limit, pointer)) => {
            let (max, span) = match limit {
                LimitKind::Depth => (limits.depth, spans.depth),
                LimitKind::Array => (limits.array, spans.array),
                LimitKind::Object => (limits.object, spans.object),
                LimitKind::Key => (limits.key, spans.key),
                LimitKind::String => (limits.string, spans.string),
                LimitKind::DuplicateKey => (0, None),
            };
            let v = Violation {
                part: Part::Body,
                pointer,
                problem: Problem::Limit { limit, max },
                rule: span.unwrap_or(root_rule),
            };
            return Some((Reason::BodyLimitExceeded, v));
        }
    };
    let schema = schema?;
    let mut path = Vec::new();
    walk_object(schema, &value, root_rule, &mut path).map(|(pointer, problem, rule)| {
        (
            Reason::BodyInvalid,
            Violation {
                part: Part::Body,
                pointer,
                problem,
                rule,
            },
        )
    })
}

fn malformed(problem: JsonProblem, at: usize, rule: Span) -> (Reason, Violation) {
    let v = Violation {
        part: Part::Body,
        pointer: String::new(),
        problem: Problem::Malformed {
            json: problem,
            offset: at as u64,
        },
        rule,
    };
    (Reason::BodyMalformed, v)
}

type Found = (String, Problem, Span);

fn walk_object(
    fields: &FieldsSchema,
    value: &J,
    rule: Span,
    path: &mut Vec<String>,
) -> Option<Found> {
    let J::Obj(members) = value else {
        return Some((
            pointer(path),
            Problem::Type {
                expected: Expected::Object,
            },
            rule,
        ));
    };
    for (key, member) in members {
        path.push(key.clone());
        let found = match fields.fields.iter().find(|f| f.name == *key) {
            Some(field) => walk(&field.ty, member, field.span, path),
            None if !fields.allow_unknown => Some((pointer(path), Problem::Unknown, fields.span)),
            None => None,
        };
        path.pop();
        if found.is_some() {
            return found;
        }
    }
    for field in &fields.fields {
        if !field.optional && !members.iter().any(|(k, _)| *k == field.name) {
            path.push(field.name.clone());
            let p = pointer(path);
            path.pop();
            return Some((p, Problem::Missing, field.span));
        }
    }
    None
}

fn walk(ty: &TypeSchema, value: &J, rule: Span, path: &mut Vec<String>) -> Option<Found> {
    let here = |path: &Vec<String>, problem: Problem| Some((pointer(path), problem, rule));
    let in_range = |min: Option<f64>, max: Option<f64>, n: f64| {
        min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m)
    };
    match ty {
        TypeSchema::Any => None,
        TypeSchema::Object(fields) => walk_object(fields, value, rule, path),
        TypeSchema::Array { length, items } => {
            let J::Arr(xs) = value else {
                return here(
                    path,
                    Problem::Type {
                        expected: Expected::Array,
                    },
                );
            };
            for (i, x) in xs.iter().enumerate() {
                if length.max.is_some_and(|m| i as u64 + 1 > m) {
                    return here(path, Problem::Length);
                }
                path.push(i.to_string());
                let found = walk(items, x, rule, path);
                path.pop();
                if found.is_some() {
                    return found;
                }
            }
            if length.min.is_some_and(|m| (xs.len() as u64) < m) {
                return here(path, Problem::Length);
            }
            None
        }
        TypeSchema::String {
            length,
            pattern,
            format,
        } => {
            let J::Str { text, chars } = value else {
                return here(
                    path,
                    Problem::Type {
                        expected: Expected::String,
                    },
                );
            };
            if length.min.is_some_and(|m| *chars < m) || length.max.is_some_and(|m| *chars > m) {
                here(path, Problem::Length)
            } else if format.is_some_and(|f| !f.accepts(text)) {
                here(path, Problem::Format)
            } else if pattern.as_ref().is_some_and(|p| !p.is_match(text)) {
                here(path, Problem::Pattern)
            } else {
                None
            }
        }
        TypeSchema::Int { range } => match value {
            J::Num { int: Some(i), .. } => {
                let ok = range.min.is_none_or(|m| *i >= m) && range.max.is_none_or(|m| *i <= m);
                if ok {
                    None
                } else {
                    here(path, Problem::Range)
                }
            }
            J::Num { int: None, .. } => here(path, Problem::Integer),
            _ => here(
                path,
                Problem::Type {
                    expected: Expected::Integer,
                },
            ),
        },
        TypeSchema::Number { range } => match value {
            J::Num { float, .. } if in_range(range.min, range.max, *float) => None,
            J::Num { .. } => here(path, Problem::Range),
            _ => here(
                path,
                Problem::Type {
                    expected: Expected::Number,
                },
            ),
        },
        TypeSchema::Bool => match value {
            J::Bool(_) => None,
            _ => here(
                path,
                Problem::Type {
                    expected: Expected::Boolean,
                },
            ),
        },
        TypeSchema::Null => match value {
            J::Null => None,
            _ => here(
                path,
                Problem::Type {
                    expected: Expected::Null,
                },
            ),
        },
        TypeSchema::Enum(lits) => {
            let ok = match value {
                J::Arr(_) | J::Obj(_) => {
                    return here(
                        path,
                        Problem::Type {
                            expected: Expected::OneOf,
                        },
                    )
                }
                J::Null => false,
                J::Bool(b) => lits.contains(&Lit::Bool(*b)),
                J::Str { text, .. } => lits
                    .iter()
                    .any(|l| matches!(l, Lit::String(s) if s == text)),
                J::Num { float, int } => lits.iter().any(|l| match (l, int) {
                    (Lit::Int(a), Some(b)) => a == b,
                    (Lit::Int(a), None) => (*a as f64) == *float,
                    (Lit::Float(a), _) => a == float,
                    _ => false,
                }),
            };
            if ok {
                None
            } else {
                here(path, Problem::Enum)
            }
        }
    }
}

// ---------------------------------------------------------------- query and headers

fn check_query(schema: &FieldsSchema, query: &str, statement: Span) -> Option<Violation> {
    let fail = |pointer: String, problem: Problem, rule: Span| {
        Some(Violation {
            part: Part::Query,
            pointer,
            problem,
            rule,
        })
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    for piece in query.split('&') {
        if piece.is_empty() {
            continue;
        }
        let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
        let Some(name) = super::form_decode(k) else {
            return fail(String::new(), Problem::Encoding, statement);
        };
        let Some(value) = super::form_decode(v) else {
            return fail(pointer(&[name]), Problem::Encoding, statement);
        };
        if !schema.allow_unknown && !schema.fields.iter().any(|f| f.name == name) {
            return fail(pointer(&[name]), Problem::Unknown, schema.span);
        }
        pairs.push((name, value));
    }
    for field in &schema.fields {
        let values: Vec<&str> = pairs
            .iter()
            .filter(|(n, _)| *n == field.name)
            .map(|(_, v)| v.as_str())
            .collect();
        if let Some((p, problem)) = field_values(&field.name, field.optional, &field.ty, &values) {
            return fail(p, problem, field.span);
        }
    }
    None
}

fn check_headers(schema: &FieldsSchema, request: &Request<'_>) -> Option<Violation> {
    for field in &schema.fields {
        let lines: Vec<&str> = request
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(&field.name))
            .map(|(_, v)| v.trim_matches(|c| c == ' ' || c == '\t'))
            .collect();
        let values: Vec<&str> = match field.ty {
            TypeSchema::Array { .. } => lines
                .iter()
                .flat_map(|l| l.split(','))
                .map(|e| e.trim_matches(|c| c == ' ' || c == '\t'))
                .filter(|e| !e.is_empty())
                .collect(),
            _ => lines,
        };
        if let Some((p, problem)) = field_values(&field.name, field.optional, &field.ty, &values) {
            return Some(Violation {
                part: Part::Header,
                pointer: p,
                problem,
                rule: field.span,
            });
        }
    }
    None
}

fn field_values(
    name: &str,
    optional: bool,
    ty: &TypeSchema,
    values: &[&str],
) -> Option<(String, Problem)> {
    let at = pointer(&[name.to_string()]);
    if let TypeSchema::Array { length, items } = ty {
        for (i, v) in values.iter().enumerate() {
            if length.max.is_some_and(|m| i as u64 >= m) {
                return Some((at, Problem::Length));
            }
            if let Some(problem) = text_problem(items, v) {
                return Some((format!("{at}/{i}"), problem));
            }
        }
        if values.is_empty() && !optional {
            return Some((at, Problem::Missing));
        }
        if !values.is_empty() && length.min.is_some_and(|m| (values.len() as u64) < m) {
            return Some((at, Problem::Length));
        }
        return None;
    }
    match values {
        [] if optional => None,
        [] => Some((at, Problem::Missing)),
        [one] => text_problem(ty, one).map(|p| (at, p)),
        _ => Some((at, Problem::Repeated)),
    }
}

/// A text as a JSON number: (float, int).
fn text_number(text: &str) -> Option<(f64, Option<i64>)> {
    if !number_grammar(text) {
        return None;
    }
    let float: f64 = text.parse().ok().filter(|f: &f64| f.is_finite())?;
    let int = if text.contains(['.', 'e', 'E']) {
        None
    } else {
        text.parse::<i64>().ok()
    };
    Some((float, int))
}

fn text_problem(ty: &TypeSchema, text: &str) -> Option<Problem> {
    match ty {
        TypeSchema::String {
            length,
            pattern,
            format,
        } => {
            let chars = text.chars().count() as u64;
            if length.min.is_some_and(|m| chars < m) || length.max.is_some_and(|m| chars > m) {
                Some(Problem::Length)
            } else if format.is_some_and(|f| !f.accepts(text)) {
                Some(Problem::Format)
            } else if pattern.as_ref().is_some_and(|p| !p.is_match(text)) {
                Some(Problem::Pattern)
            } else {
                None
            }
        }
        TypeSchema::Int { range } => match text_number(text) {
            None => Some(Problem::Type {
                expected: Expected::Integer,
            }),
            Some((_, None)) => Some(Problem::Integer),
            Some((_, Some(i))) => {
                let ok = range.min.is_none_or(|m| i >= m) && range.max.is_none_or(|m| i <= m);
                (!ok).then_some(Problem::Range)
            }
        },
        TypeSchema::Number { range } => match text_number(text) {
            None => Some(Problem::Type {
                expected: Expected::Number,
            }),
            Some((f, _)) => {
                let ok = range.min.is_none_or(|m| f >= m) && range.max.is_none_or(|m| f <= m);
                (!ok).then_some(Problem::Range)
            }
        },
        TypeSchema::Bool => (!matches!(text, "true" | "false")).then_some(Problem::Type {
            expected: Expected::Boolean,
        }),
        TypeSchema::Enum(lits) => {
            let number = text_number(text);
            let ok = lits.iter().any(|l| match l {
                Lit::String(s) => s == text,
                Lit::Bool(b) => (text == "true" && *b) || (text == "false" && !*b),
                Lit::Int(a) => match number {
                    Some((_, Some(i))) => i == *a,
                    Some((f, None)) => f == *a as f64,
                    None => false,
                },
                Lit::Float(a) => number.is_some_and(|(f, _)| f == *a),
            });
            (!ok).then_some(Problem::Enum)
        }
        TypeSchema::Any => None,
        TypeSchema::Null => Some(Problem::Type {
            expected: Expected::Null,
        }),
        TypeSchema::Object(_) => Some(Problem::Type {
            expected: Expected::Object,
        }),
        TypeSchema::Array { .. } => Some(Problem::Type {
            expected: Expected::Array,
        }),
    }
}
