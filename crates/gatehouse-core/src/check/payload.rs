//! Body, query and header field rules, JSON limits, JSON paths and mask
//! strategies.

use super::decl::quote_list;
use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::model::{
    Bounds, FieldSchema, FieldsSchema, Format, JsonLimits, JsonPath, Lit, MaskStrategy, Pattern,
    TypeSchema,
};
use crate::payload::{LimitSpans, Limits};
use crate::span::{Span, Spanned};
use crate::syntax::ast::{
    Fields, JsonPathAst, JsonStep, LimitArg, Literal, MaskStrategyAst, Number, RangeAst, TypeExpr,
    TypeKind, TypeModifier,
};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldsContext {
    Body,
    Query,
    Headers,
}

pub(crate) fn content_types(
    types: &[Spanned<String>],
    diagnostics: &mut Diagnostics,
) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for ty in types {
        let valid = ty.node.split_once('/').is_some_and(|(a, b)| {
            let token = |s: &str| {
                !s.is_empty()
                    && s.bytes()
                        .all(|c| c.is_ascii_alphanumeric() || b"!#$&-^_.+*".contains(&c))
            };
            token(a) && token(b)
        });
        if !valid {
            diagnostics.push(
                Diagnostic::new(Code::InvalidMediaType, ty.span, format!("`{}` is not a media type", ty.node))
                    .label("expected `type/subtype`")
                    .help("write media types such as `\"application/json\"`, `\"text/*\"` or `\"application/*+json\"`, without parameters"),
            );
            return None;
        }
        out.push(ty.node.to_ascii_lowercase());
    }
    Some(out)
}

pub(crate) fn json_limits(
    args: &[LimitArg],
    diagnostics: &mut Diagnostics,
) -> Option<(JsonLimits, LimitSpans)> {
    let mut limits = JsonLimits::default();
    let mut spans = LimitSpans::default();
    let mut ok = true;
    for arg in args {
        let (slot, span) = match arg.name.node.as_str() {
            "depth" => (&mut limits.depth, &mut spans.depth),
            "array" => (&mut limits.array, &mut spans.array),
            "object" => (&mut limits.object, &mut spans.object),
            "key" => (&mut limits.key, &mut spans.key),
            "string" => (&mut limits.string, &mut spans.string),
            other => {
                ok = false;
                diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidJsonLimit,
                        arg.name.span,
                        format!("unknown JSON limit `{other}`"),
                    )
                    .label("not a limit")
                    .help(
                        match did_you_mean(other, JsonLimits::NAMES.iter().copied()) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => format!("the limits are {}", quote_list(JsonLimits::NAMES)),
                        },
                    ),
                );
                continue;
            }
        };
        if slot.is_some() {
            ok = false;
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidJsonLimit,
                    arg.name.span,
                    format!("limit `{}` is given twice", arg.name.node),
                )
                .label("repeated")
                .help("give each limit once"),
            );
            continue;
        }
        if arg.value.node == 0 {
            ok = false;
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidJsonLimit,
                    arg.value.span,
                    format!("limit `{}` must be at least 1", arg.name.node),
                )
                .label("zero")
                .help("a limit of 0 would reject every JSON body"),
            );
            continue;
        }
        if arg.name.node == "depth" && arg.value.node > Limits::MAX_DEPTH {
            ok = false;
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidJsonLimit,
                    arg.value.span,
                    format!("limit `depth` can be at most {}", Limits::MAX_DEPTH),
                )
                .label("too deep")
                .help("real documents nest a few levels; the built-in limit is 32"),
            );
            continue;
        }
        *slot = Some(arg.value.node);
        *span = Some(arg.name.span.to(arg.value.span));
    }
    ok.then_some((limits, spans))
}

/// The scalar type names as documented (aliases are accepted but not listed).
const CANONICAL_SCALARS: &[&str] = &[
    "string", "int", "number", "bool", "null", "any", "uuid", "email", "uri", "datetime", "date",
    "ipv4", "ipv6",
];

const SCALARS: &[&str] = &[
    "string", "int", "integer", "number", "bool", "boolean", "null", "any", "uuid", "email", "uri",
    "datetime", "date", "ipv4", "ipv6",
];

pub(crate) fn fields(
    ast: &Fields,
    context: FieldsContext,
    diagnostics: &mut Diagnostics,
) -> Option<FieldsSchema> {
    let mut out: Vec<FieldSchema> = Vec::new();
    let mut ok = true;
    if let (Some(only), Some(rest)) = (ast.only, ast.allow_unknown) {
        ok = false;
        diagnostics.push(
            Diagnostic::new(
                Code::InvalidBodyRule,
                rest,
                "`query only` cannot also accept unknown parameters",
            )
            .label("`...` accepts any parameter")
            .related(only, "`only` rejects parameters that are not listed")
            .help(
                "remove `...` to reject parameters that are not listed, or `only` to accept them",
            ),
        );
    }
    for field in &ast.fields {
        let name = if context == FieldsContext::Headers {
            field.name.node.to_ascii_lowercase()
        } else {
            field.name.node.clone()
        };
        if let Some(first) = out.iter().find(|f| f.name == name) {
            ok = false;
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidBodyRule,
                    field.name.span,
                    format!("field `{}` is listed twice", field.name.node),
                )
                .label("repeated")
                .related(first.span, "first listed here")
                .help("give each field one rule"),
            );
            continue;
        }
        if context != FieldsContext::Body {
            if let Some((span, what)) = not_a_parameter(&field.ty) {
                ok = false;
                diagnostics.push(
                    Diagnostic::new(Code::NotAParameterType, span, format!("query parameters and headers cannot hold {what}"))
                        .label(what)
                        .help("parameters and headers are text: use a string, number, boolean, format or enum, or `array of` one of those for a repeated parameter"),
                );
                continue;
            }
        }
        match type_schema(&field.ty, context, diagnostics) {
            Some(ty) => out.push(FieldSchema {
                name,
                optional: field.optional,
                ty,
                span: field.span,
            }),
            None => ok = false,
        }
    }
    let allow_unknown = match context {
        FieldsContext::Body => ast.allow_unknown.is_some(),
        FieldsContext::Query => ast.only.is_none(),
        FieldsContext::Headers => true,
    };
    ok.then_some(FieldsSchema {
        fields: out,
        allow_unknown,
        span: ast.span,
    })
}

/// Why a type cannot describe a query parameter or header, if it cannot:
/// objects, `null`, and arrays of anything but single values.
fn not_a_parameter(ty: &TypeExpr) -> Option<(Span, &'static str)> {
    match &ty.kind {
        TypeKind::Object(_) => Some((ty.span, "an object")),
        TypeKind::Scalar { name, .. } if name.node == "null" => Some((name.span, "`null`")),
        TypeKind::Array { items, .. } => match &items.kind {
            TypeKind::Array { .. } => Some((items.span, "an array of arrays")),
            TypeKind::Object(_) => Some((items.span, "an array of objects")),
            TypeKind::Scalar { name, .. } if name.node == "null" => Some((name.span, "`null`")),
            _ => None,
        },
        _ => None,
    }
}

fn type_schema(
    ast: &TypeExpr,
    context: FieldsContext,
    diagnostics: &mut Diagnostics,
) -> Option<TypeSchema> {
    let mut ty = match &ast.kind {
        TypeKind::Scalar { name, range } => scalar(name, range.as_ref(), diagnostics)?,
        TypeKind::Array { range, items } => {
            let length = length_bounds(range.as_ref(), "array", diagnostics)?;
            TypeSchema::Array {
                length,
                items: Box::new(type_schema(items, context, diagnostics)?),
            }
        }
        TypeKind::Enum(values) => {
            let lits = values
                .iter()
                .map(|v| match &v.node {
                    Literal::String(s) => Lit::String(s.clone()),
                    Literal::Int(i) => Lit::Int(*i),
                    Literal::Float(f) => Lit::Float(*f),
                    Literal::Bool(b) => Lit::Bool(*b),
                })
                .collect();
            TypeSchema::Enum(lits)
        }
        TypeKind::Object(inner) => TypeSchema::Object(fields(inner, context, diagnostics)?),
    };
    for modifier in &ast.modifiers {
        let TypeSchema::String {
            pattern, format, ..
        } = &mut ty
        else {
            let span = match modifier {
                TypeModifier::Matches(s) => s.span,
                TypeModifier::Format(f) => f.span,
            };
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidBodyRule,
                    span,
                    "`matches` and `format` apply to strings only",
                )
                .label("not a string type")
                .help("use a range for numbers (`int(0..10)`) and `enum(...)` for fixed values"),
            );
            return None;
        };
        match modifier {
            TypeModifier::Matches(text) => match Pattern::new(&text.node) {
                Ok(compiled) => *pattern = Some(compiled),
                Err(error) => {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::InvalidPattern,
                            text.span,
                            format!("invalid regular expression: {error}"),
                        )
                        .label("invalid pattern")
                        .help(error.hint()),
                    );
                    return None;
                }
            },
            TypeModifier::Format(name) => match Format::parse(&name.node) {
                Some(f) => *format = Some(f),
                None => {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::UnknownFieldType,
                            name.span,
                            format!("unknown format `{}`", name.node),
                        )
                        .label("not a format")
                        .help(
                            match did_you_mean(&name.node, Format::NAMES.iter().copied()) {
                                Some(s) => format!("did you mean `{s}`?"),
                                None => format!("formats are {}", quote_list(Format::NAMES)),
                            },
                        ),
                    );
                    return None;
                }
            },
        }
    }
    Some(ty)
}

fn scalar(
    name: &Spanned<String>,
    range: Option<&RangeAst>,
    diagnostics: &mut Diagnostics,
) -> Option<TypeSchema> {
    let no_range = |what: &str, diagnostics: &mut Diagnostics| {
        if let Some(range) = range {
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidRange,
                    range.span,
                    format!("`{what}` takes no range"),
                )
                .label("unexpected range")
                .help("ranges apply to `string` (length), `int`, `number` and `array` (length)"),
            );
            return false;
        }
        true
    };
    let format = |f: Format, diagnostics: &mut Diagnostics| {
        no_range(&name.node, diagnostics).then_some(TypeSchema::String {
            length: Bounds::default(),
            pattern: None,
            format: Some(f),
        })
    };
    match name.node.as_str() {
        "string" => Some(TypeSchema::String {
            length: length_bounds(range, "string", diagnostics)?,
            pattern: None,
            format: None,
        }),
        "int" | "integer" => Some(TypeSchema::Int {
            range: int_bounds(range, diagnostics)?,
        }),
        "number" => Some(TypeSchema::Number {
            range: float_bounds(range, diagnostics)?,
        }),
        "bool" | "boolean" => no_range("bool", diagnostics).then_some(TypeSchema::Bool),
        "null" => no_range("null", diagnostics).then_some(TypeSchema::Null),
        "any" => no_range("any", diagnostics).then_some(TypeSchema::Any),
        "uuid" => format(Format::Uuid, diagnostics),
        "email" => format(Format::Email, diagnostics),
        "uri" | "url" => format(Format::Uri, diagnostics),
        "datetime" => format(Format::DateTime, diagnostics),
        "date" => format(Format::Date, diagnostics),
        "ipv4" => format(Format::Ipv4, diagnostics),
        "ipv6" => format(Format::Ipv6, diagnostics),
        other => {
            let help = match other {
                "array" => {
                    "write `array of <type>`, for example `array(1..10) of string`".to_string()
                }
                "object" => {
                    "write the fields: `{ name: string }`, or `{ ... }` for any object".to_string()
                }
                _ => match did_you_mean(other, SCALARS.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!(
                        "types are {}, `array of T`, `enum(...)` and `{{ fields }}`",
                        quote_list(CANONICAL_SCALARS)
                    ),
                },
            };
            diagnostics.push(
                Diagnostic::new(
                    Code::UnknownFieldType,
                    name.span,
                    format!("unknown type `{other}`"),
                )
                .label("not a type")
                .help(help),
            );
            None
        }
    }
}

fn empty_range(span: Span) -> Diagnostic {
    Diagnostic::new(Code::InvalidRange, span, "this range is empty")
        .label("minimum above maximum")
        .help("write the smaller bound first: `(1..64)`")
}

fn length_bounds(
    range: Option<&RangeAst>,
    what: &str,
    diagnostics: &mut Diagnostics,
) -> Option<Bounds<u64>> {
    bounds(range, diagnostics, |n| match n {
        Number::Int(n) if n >= 0 => Ok(n.unsigned_abs()),
        _ => Err((
            format!("a {what} length must be a whole number of 0 or more"),
            "not a length",
            format!("for example `{what}(1..64)`"),
        )),
    })
}

fn int_bounds(range: Option<&RangeAst>, diagnostics: &mut Diagnostics) -> Option<Bounds<i64>> {
    bounds(range, diagnostics, |n| match n {
        Number::Int(n) => Ok(n),
        Number::Float(_) => Err((
            "an `int` range needs whole numbers".to_string(),
            "not an integer",
            "use `number(...)` for fractional values".to_string(),
        )),
    })
}

/// A range whose bounds convert with `convert` (which explains a refusal as
/// message, label and hint) and whose minimum is not above its maximum.
fn bounds<T: PartialOrd + Copy>(
    range: Option<&RangeAst>,
    diagnostics: &mut Diagnostics,
    convert: impl Fn(Number) -> Result<T, (String, &'static str, String)>,
) -> Option<Bounds<T>> {
    let Some(range) = range else {
        return Some(Bounds {
            min: None,
            max: None,
        });
    };
    let mut one = |bound: &Option<Spanned<Number>>| -> Result<Option<T>, ()> {
        let Some(bound) = bound else { return Ok(None) };
        convert(bound.node)
            .map(Some)
            .map_err(|(message, label, help)| {
                diagnostics.push(
                    Diagnostic::new(Code::InvalidRange, bound.span, message)
                        .label(label)
                        .help(help),
                );
            })
    };
    let (Ok(min), Ok(max)) = (one(&range.min), one(&range.max)) else {
        return None;
    };
    if let (Some(a), Some(b)) = (min, max) {
        if a > b {
            diagnostics.push(empty_range(range.span));
            return None;
        }
    }
    Some(Bounds { min, max })
}

fn float_bounds(range: Option<&RangeAst>, diagnostics: &mut Diagnostics) -> Option<Bounds<f64>> {
    bounds(range, diagnostics, |n| {
        Ok(match n {
            Number::Int(n) => n as f64,
            Number::Float(f) => f,
        })
    })
}

/// The most steps one JSON path may have: enough for any real document,
/// and a bound on the work of compiling mask plans.
const MAX_JSON_PATH_STEPS: usize = 32;

/// Checks a JSON path used by `mask response` or `response only`.
pub(crate) fn json_path(ast: &JsonPathAst, diagnostics: &mut Diagnostics) -> Option<JsonPath> {
    if ast.steps.is_empty() {
        diagnostics.push(
            Diagnostic::new(
                Code::InvalidJsonPath,
                ast.span,
                "`$` alone names the whole response",
            )
            .label("no field")
            .help("name a field: `$.ssn`, `$.items[*].email`, `$..password`"),
        );
        return None;
    }
    if let Some(step) = ast.steps.get(MAX_JSON_PATH_STEPS) {
        diagnostics.push(
            Diagnostic::new(
                Code::InvalidJsonPath,
                step.span.to(ast.steps.last().map_or(step.span, |s| s.span)),
                format!("a JSON path may have at most {MAX_JSON_PATH_STEPS} steps"),
            )
            .label("too deep")
            .help("use `..name` to reach a field at any depth"),
        );
        return None;
    }
    for step in &ast.steps {
        let empty = match &step.node {
            JsonStep::Child(name) | JsonStep::Descend(name) => name.is_empty(),
            _ => false,
        };
        if empty {
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidJsonPath,
                    step.span,
                    "a JSON path step needs a field name",
                )
                .label("empty name")
                .help("write `$[\"field name\"]` for names with unusual characters"),
            );
            return None;
        }
    }
    Some(JsonPath {
        steps: ast.steps.iter().map(|s| s.node.clone()).collect(),
        text: ast.text.clone(),
    })
}

pub(crate) fn mask_strategy(
    ast: &Spanned<MaskStrategyAst>,
    diagnostics: &mut Diagnostics,
) -> Option<MaskStrategy> {
    match &ast.node {
        MaskStrategyAst::With(name) => {
            let strategy = match name.node.as_str() {
                "redact" => MaskStrategy::Redact,
                "remove" => MaskStrategy::Remove,
                "null" => MaskStrategy::Null,
                "hash" => MaskStrategy::Hash,
                "email" => MaskStrategy::Email,
                other => {
                    diagnostics.push(
                        Diagnostic::new(Code::UnknownMaskStrategy, name.span, format!("unknown mask strategy `{other}`"))
                            .label("not a strategy")
                            .help(match did_you_mean(other, MaskStrategy::NAMES.iter().copied()) {
                                Some(s) => format!("did you mean `{s}`?"),
                                None => "write `with redact`, `with remove`, `with null`, `with hash`, `with email`, `keep first N` or `keep last N`".to_string(),
                            }),
                    );
                    return None;
                }
            };
            Some(strategy)
        }
        MaskStrategyAst::Keep { end, count } => match u32::try_from(count.node) {
            Ok(n) if n <= 1024 => Some(MaskStrategy::Keep {
                end: *end,
                count: n,
            }),
            _ => {
                diagnostics.push(
                    Diagnostic::new(
                        Code::UnknownMaskStrategy,
                        count.span,
                        "`keep` takes a count from 0 to 1024",
                    )
                    .label("out of range")
                    .help("for example `keep last 4`"),
                );
                None
            }
        },
    }
}
