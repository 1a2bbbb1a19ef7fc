//! `query { ... }` and `headers { ... }`: the field vocabulary applied to
//! query parameters and headers, whose values are text.
//!
//! Values are read as text and typed by their rule: `int` and `number`
//! take JSON number syntax (`int` without fraction or exponent, within 64
//! bits), `bool` takes `true` or `false`, `enum(...)` compares with the
//! text of each literal's value, strings count characters. `array of T`
//! collects every occurrence of a query parameter (`?id=1&id=2`), or every
//! comma-separated element of every line of a header; any other rule
//! requires at most one occurrence.
//!
//! Order of checks (the first problem decides): for a query, each
//! parameter in order (it must decode as form-encoded UTF-8, and, under
//! `query only`, be listed; empty `&&` pieces are ignored); then each
//! field in block order: present if required, at most once for a
//! single-value rule, then its value(s). Headers are matched by name
//! without regard to case; unknown headers are always allowed; values are
//! trimmed of surrounding spaces and tabs.

use std::borrow::Cow;

use super::schema::{enum_accepts, within, FieldNode, Node, Scalar, Schema};
use super::violation::{Expected, Part, Problem, Violation};
use crate::json::pointer;
use crate::json::token::{NumScan, NumValue, Step};
use crate::request::Request;
use crate::span::Span;
use crate::urlencoded::decode_component;

/// Checks a query string (without `?`) against a compiled `query` block.
/// `rule` is the statement, for encoding problems.
pub fn check_query(schema: &Schema, query: Option<&str>, rule: Span) -> Option<Violation> {
    let root = schema.root()?;
    let query = query.unwrap_or("");
    let pairs = || query.split('&').filter(|p| !p.is_empty());
    let fail = |pointer: String, problem: Problem, rule: Span| {
        Some(Violation {
            part: Part::Query,
            pointer,
            problem,
            rule,
        })
    };
    for pair in pairs() {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let Some(name) = decode_component(key) else {
            return fail(String::new(), Problem::Encoding, rule);
        };
        if decode_component(value).is_none() {
            return fail(pointer::of_key(&name), Problem::Encoding, rule);
        }
        if !root.allow_unknown && root.lookup(name.as_bytes()).is_none() {
            return fail(pointer::of_key(&name), Problem::Unknown, root.block);
        }
    }
    for field in root.fields.iter() {
        let values = pairs().filter_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_component(key)? == *field.name)
                .then(|| decode_component(value))
                .flatten()
        });
        if let Some(problem) = check_field(schema, field, values) {
            return fail(problem.0, problem.1, field.rule);
        }
    }
    None
}

/// Checks a request's headers against a compiled `headers` block.
pub fn check_headers(schema: &Schema, request: &Request<'_>) -> Option<Violation> {
    let root = schema.root()?;
    for field in root.fields.iter() {
        let values = request
            .header_values(&field.name)
            .map(|v| v.trim_matches([' ', '\t']));
        let array = matches!(schema.node(field.node), Some(Node::Array { .. }));
        let problem = if array {
            // A list header: every comma-separated element of every line.
            let items = values
                .flat_map(|v| v.split(','))
                .map(|e| e.trim_matches([' ', '\t']))
                .filter(|e| !e.is_empty());
            check_field(schema, field, items.map(Cow::Borrowed))
        } else {
            check_field(schema, field, values.map(Cow::Borrowed))
        };
        if let Some((pointer, problem)) = problem {
            return Some(Violation {
                part: Part::Header,
                pointer,
                problem,
                rule: field.rule,
            });
        }
    }
    None
}

/// The values of one field, in order: the pointer and problem of the first
/// that breaks its rule.
fn check_field<'v>(
    schema: &Schema,
    field: &FieldNode,
    mut values: impl Iterator<Item = Cow<'v, str>>,
) -> Option<(String, Problem)> {
    let node = schema.node(field.node)?;
    let at = || pointer::of_key(&field.name);
    if let Node::Array { length, items } = node {
        let mut count = 0u64;
        for value in values {
            if length.max.is_some_and(|max| count >= max) {
                return Some((at(), Problem::Length));
            }
            if let Some(problem) = schema.node(*items).and_then(|n| text_problem(n, &value)) {
                let mut p = at();
                pointer::push_index(&mut p, count);
                return Some((p, problem));
            }
            count += 1;
        }
        if count == 0 && !field.optional {
            return Some((at(), Problem::Missing));
        }
        if count > 0 && length.min.is_some_and(|min| count < min) {
            return Some((at(), Problem::Length));
        }
        return None;
    }
    let Some(first) = values.next() else {
        return (!field.optional).then(|| (at(), Problem::Missing));
    };
    if values.next().is_some() {
        return Some((at(), Problem::Repeated));
    }
    text_problem(node, &first).map(|problem| (at(), problem))
}

/// A whole text read as a JSON number.
fn number(text: &str) -> Option<NumValue> {
    let mut scan = NumScan::new();
    match scan.scan(text.as_bytes(), 0) {
        Step::More if !text.is_empty() => scan.value().ok(),
        _ => None,
    }
}

/// What is wrong with `text` as a value of `node`, if anything.
pub fn text_problem(node: &Node, text: &str) -> Option<Problem> {
    match node {
        Node::String {
            length,
            format,
            pattern,
        } => {
            if !within(length, text.chars().count() as u64) {
                Some(Problem::Length)
            } else if format.is_some_and(|f| !f.accepts(text)) {
                Some(Problem::Format)
            } else if pattern.as_ref().is_some_and(|p| !p.is_match(text)) {
                Some(Problem::Pattern)
            } else {
                None
            }
        }
        Node::Int { range } => match number(text) {
            None => Some(Problem::Type {
                expected: Expected::Integer,
            }),
            Some(NumValue { int: None, .. }) => Some(Problem::Integer),
            Some(NumValue { int: Some(i), .. }) => (!within(range, i)).then_some(Problem::Range),
        },
        Node::Number { range } => match number(text) {
            None => Some(Problem::Type {
                expected: Expected::Number,
            }),
            Some(v) => (!within(range, v.float)).then_some(Problem::Range),
        },
        Node::Bool => (text != "true" && text != "false").then_some(Problem::Type {
            expected: Expected::Boolean,
        }),
        Node::Enum(lits) => {
            let as_number = number(text).map(|v| Scalar::Num {
                int: v.int,
                float: v.float,
            });
            let as_bool = match text {
                "true" => Some(Scalar::Bool(true)),
                "false" => Some(Scalar::Bool(false)),
                _ => None,
            };
            let ok = enum_accepts(lits, Scalar::Str(text))
                || as_number.is_some_and(|n| enum_accepts(lits, n))
                || as_bool.is_some_and(|b| enum_accepts(lits, b));
            (!ok).then_some(Problem::Enum)
        }
        Node::Any => None,
        Node::Null => Some(Problem::Type {
            expected: Expected::Null,
        }),
        Node::Object(_) => Some(Problem::Type {
            expected: Expected::Object,
        }),
        Node::Array { .. } => Some(Problem::Type {
            expected: Expected::Array,
        }),
    }
}
