//! Evaluating `when` conditions against a request.
//!
//! Semantics (shared with the reference interpreter, and documented in the
//! language reference):
//! - evaluation runs left to right; `or` stops at the first true operand,
//!   `and` at the first false one;
//! - a value absent from the request (a claim, header, query parameter, or
//!   the principal) is an error, not `false`, and an error denies;
//! - a header or query parameter that appears more than once is ambiguous:
//!   also an error, answered with 400;
//! - comparing values of different types at run time (a claim holding a
//!   number against a string) is an error; `in` over a list just skips items
//!   of another type.

use crate::urlencoded::decode_component;
use std::borrow::Cow;

use serde_json::Value;

use crate::model::{CmpOp, Lit, ParamType};
use crate::request::Request;
use crate::span::Span;
use crate::tree::{CondTree, ScopeSet, ValueKind, ValueTree};

use super::path::NormalizedPath;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CondError {
    /// A value the condition reads is absent.
    Missing(Span),
    /// A header or query parameter appears more than once, or cannot be
    /// decoded.
    Ambiguous(Span),
    /// A value has the wrong type for the operation.
    Type(Span),
}

pub struct Env<'r> {
    pub request: &'r Request<'r>,
    pub path: &'r NormalizedPath<'r>,
    pub scopes: &'r ScopeSet,
}

enum Val<'v> {
    Str(Cow<'v, str>),
    Int(i64),
    Float(f64),
    Bool(bool),
    List(&'v [Lit]),
    /// An array or object claim.
    Json(&'v Value),
}

pub fn eval(expr: &CondTree, env: &Env<'_>) -> Result<bool, CondError> {
    match expr {
        CondTree::Or(parts) => {
            for part in parts.iter() {
                if eval(part, env)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        CondTree::And(parts) => {
            for part in parts.iter() {
                if !eval(part, env)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        CondTree::Not(inner) => Ok(!eval(inner, env)?),
        CondTree::HasScope(scope) => Ok(env.scopes.contains(*scope)),
        CondTree::Compare { op, left, right } => {
            let l = value(left, env)?;
            let r = value(right, env)?;
            compare(*op, &l, &r).ok_or(CondError::Type(left.span.to(right.span)))
        }
        CondTree::In { left, right } => {
            let l = value(left, env)?;
            let r = value(right, env)?;
            if matches!(l, Val::List(_) | Val::Json(_)) {
                return Err(CondError::Type(left.span));
            }
            match r {
                Val::List(items) => Ok(items.iter().any(|item| loosely_equal(&l, &lit(item)))),
                Val::Json(Value::Array(items)) => Ok(items
                    .iter()
                    .any(|item| json_scalar(item).is_some_and(|v| loosely_equal(&l, &v)))),
                _ => Err(CondError::Type(right.span)),
            }
        }
        CondTree::Like { left, pattern } => match value(left, env)? {
            Val::Str(s) => Ok(pattern.is_match(&s)),
            _ => Err(CondError::Type(left.span)),
        },
        CondTree::Truthy(v) => match value(v, env)? {
            Val::Bool(b) => Ok(b),
            _ => Err(CondError::Type(v.span)),
        },
    }
}

fn lit(l: &Lit) -> Val<'_> {
    match l {
        Lit::String(s) => Val::Str(Cow::Borrowed(s)),
        Lit::Int(i) => Val::Int(*i),
        Lit::Float(f) => Val::Float(*f),
        Lit::Bool(b) => Val::Bool(*b),
    }
}

fn json_scalar(v: &Value) -> Option<Val<'_>> {
    match v {
        Value::String(s) => Some(Val::Str(Cow::Borrowed(s))),
        Value::Bool(b) => Some(Val::Bool(*b)),
        Value::Number(n) => n
            .as_i64()
            .map(Val::Int)
            .or_else(|| n.as_f64().map(Val::Float)),
        _ => None,
    }
}

/// `==` when the types agree; `None` when they cannot be compared.
fn equal(a: &Val<'_>, b: &Val<'_>) -> Option<bool> {
    match (a, b) {
        (Val::Str(x), Val::Str(y)) => Some(x == y),
        (Val::Int(x), Val::Int(y)) => Some(x == y),
        (Val::Int(x), Val::Float(y)) | (Val::Float(y), Val::Int(x)) => Some((*x as f64) == *y),
        (Val::Float(x), Val::Float(y)) => Some(x == y),
        (Val::Bool(x), Val::Bool(y)) => Some(x == y),
        _ => None,
    }
}

fn loosely_equal(a: &Val<'_>, b: &Val<'_>) -> bool {
    equal(a, b).unwrap_or(false)
}

fn number(v: &Val<'_>) -> Option<f64> {
    match v {
        Val::Int(i) => Some(*i as f64),
        Val::Float(f) => Some(*f),
        _ => None,
    }
}

fn compare(op: CmpOp, a: &Val<'_>, b: &Val<'_>) -> Option<bool> {
    match op {
        CmpOp::Eq => equal(a, b),
        CmpOp::Ne => equal(a, b).map(|e| !e),
        _ => {
            // Integers compare exactly; mixed int/float as f64.
            let ordering = match (a, b) {
                (Val::Int(x), Val::Int(y)) => x.cmp(y),
                _ => number(a)?.partial_cmp(&number(b)?)?,
            };
            Some(match op {
                CmpOp::Lt => ordering.is_lt(),
                CmpOp::Le => ordering.is_le(),
                CmpOp::Gt => ordering.is_gt(),
                _ => ordering.is_ge(),
            })
        }
    }
}

fn value<'v>(v: &'v ValueTree, env: &'v Env<'_>) -> Result<Val<'v>, CondError> {
    let missing = CondError::Missing(v.span);
    match &v.kind {
        ValueKind::Lit(l) => Ok(lit(l)),
        ValueKind::List(items) => Ok(Val::List(items)),
        ValueKind::Param { index, ty } => {
            let segment = env.path.segment(*index).ok_or(missing)?;
            match ty {
                ParamType::Int => segment
                    .parse::<i64>()
                    .map(Val::Int)
                    .map_err(|_| CondError::Type(v.span)),
                _ => Ok(Val::Str(Cow::Borrowed(segment))),
            }
        }
        ValueKind::Query(name) => {
            let query = env.path.query.ok_or(missing)?;
            query_value(query, name, v.span)?
                .map(Val::Str)
                .ok_or(missing)
        }
        ValueKind::Header(name) => {
            let mut values = env.request.header_values(name);
            let first = values.next().ok_or(missing)?;
            if values.next().is_some() {
                return Err(CondError::Ambiguous(v.span));
            }
            Ok(Val::Str(Cow::Borrowed(first)))
        }
        ValueKind::Subject => Ok(Val::Str(Cow::Borrowed(
            &env.request.principal.ok_or(missing)?.subject,
        ))),
        ValueKind::Scheme => Ok(Val::Str(Cow::Borrowed(
            &env.request.principal.ok_or(missing)?.scheme,
        ))),
        ValueKind::Claim(path) => {
            let principal = env.request.principal.ok_or(missing)?;
            let (first, rest) = path.split_first().ok_or(missing)?;
            let mut current = principal.claims.get(&**first).ok_or(missing)?;
            for key in rest.iter() {
                current = current.get(&**key).ok_or(missing)?;
            }
            match current {
                Value::Null => Err(missing),
                Value::Array(_) | Value::Object(_) => Ok(Val::Json(current)),
                scalar => json_scalar(scalar).ok_or(missing),
            }
        }
    }
}

/// The decoded value of query parameter `name`: `Ok(None)` if absent, an
/// error if it appears twice or is not valid percent-encoding.
pub fn query_value<'q>(
    query: &'q str,
    name: &str,
    span: Span,
) -> Result<Option<Cow<'q, str>>, CondError> {
    let mut found: Option<Cow<'q, str>> = None;
    for pair in query.split('&') {
        let (key, val) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode_component(key).ok_or(CondError::Ambiguous(span))?;
        if key != name {
            continue;
        }
        if found.is_some() {
            return Err(CondError::Ambiguous(span));
        }
        found = Some(decode_component(val).ok_or(CondError::Ambiguous(span))?);
    }
    Ok(found)
}
