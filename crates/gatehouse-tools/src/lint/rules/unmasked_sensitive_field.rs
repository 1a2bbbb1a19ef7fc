//! # unmasked-sensitive-field (GH-L009)
//!
//! ## What it does
//!
//! Flags sensitive-looking fields that can reach a response unmasked:
//!
//! - a path in `response only` whose field name looks sensitive, with no
//!   `mask response` covering it;
//! - a field of a `body json` block whose name looks sensitive, with no
//!   mask covering it in the response, unless `response only` leaves it
//!   out. Services often echo what they were sent (the created resource,
//!   the updated settings).
//!
//! Names are split into words (`cardNumber`, `card_number`, `card-number`)
//! and compared with a list: `ssn`, `password`, `secret`, `token`, `card`,
//! `pan`, `cvv`, `iban`, `dob`, `date_of_birth`, `api_key`, `private_key`,
//! `passport`, `pin`, `tax_id`, `account_number` and a few more. A mask
//! covers a field when its path selects the field or an object holding it
//! (`$.card`, `$..ssn`, `$.items[*].card`).
//!
//! ## Why is this bad?
//!
//! Excessive data exposure is how most API data leaks happen: the service
//! returns a whole record and the client shows what it needs. Secrets
//! (passwords, tokens, webhook secrets) should never come back; personal
//! and payment data (SSNs, card numbers, IBANs, birth dates) should come
//! back masked. The policy is where a reviewer can see that they are.
//!
//! ## Example
//!
//! ```gate
//! endpoint GET /users/{uid} {
//!   authenticate user
//!   require users:read
//!   response only $.id, $.name, $.ssn
//! }
//! ```
//!
//! Use instead:
//!
//! ```gate
//! endpoint GET /users/{uid} {
//!   authenticate user
//!   require users:read
//!   response only $.id, $.name, $.ssn
//!   mask response $.ssn keep last 4
//! }
//! ```

use super::super::checker::{Ctx, Out};
use super::{covers, is_sensitive};
use crate::diag::{Code, Diagnostic};
use crate::model::{Endpoint, FieldsSchema, JsonPath, JsonStep, RuleMeta, TypeSchema};
use crate::span::Span;
use crate::syntax::ast::StatementKind;

pub(crate) fn endpoint(ctx: &Ctx<'_>, endpoint: &Endpoint, out: &mut Out) {
    let masked = |steps: &[JsonStep]| {
        endpoint
            .masks
            .iter()
            .flat_map(|m| &m.paths)
            .any(|m| covers(&m.steps, steps))
    };

    if let Some(only) = &endpoint.response_only {
        for path in &only.paths {
            let name = match path.steps.last() {
                Some(JsonStep::Child(name) | JsonStep::Descend(name)) => name,
                _ => continue,
            };
            if !is_sensitive(name) || masked(&path.steps) {
                continue;
            }
            let finding = Diagnostic::new(Code::UnmaskedSensitiveField,
                path_span(ctx, &only.meta, path),
                format!("`response only` returns `{}` unmasked", path.text),
            )
            .label("a sensitive-looking field")
            .help(format!("mask it (`mask response {} keep last 4`, or `with redact`), or leave it out of the response", path.text));
            out.push(about(finding, &only.meta, endpoint));
        }
    }

    let Some(json) = &endpoint.body.json else {
        return;
    };
    let Some(schema) = &json.schema else { return };
    let mut found = Vec::new();
    sensitive_fields(schema, &mut vec![], &mut found);
    for (steps, text, span) in found {
        let kept = endpoint
            .response_only
            .as_ref()
            .is_none_or(|only| only.paths.iter().any(|p| covers(&p.steps, &steps)));
        if !kept || masked(&steps) {
            continue;
        }
        let finding = Diagnostic::new(Code::UnmaskedSensitiveField,
            span,
            format!("body field `{text}` looks sensitive, and nothing masks it in the response"),
        )
        .label("a sensitive-looking field")
        .help(format!(
            "if the response can echo it, mask it: `mask response $.{text} with redact` (or keep it out with `response only`)"
        ));
        out.push(about(finding, &json.meta, endpoint));
    }
}

fn about(finding: Diagnostic, meta: &RuleMeta, endpoint: &Endpoint) -> Diagnostic {
    if meta.inherited {
        finding
    } else {
        finding.about(endpoint.span, endpoint.label())
    }
}

/// Sensitive-looking fields of a body schema: the JSON path (arrays as
/// `[*]`), the path as text (`config.secret`) and the field's span.
fn sensitive_fields(
    schema: &FieldsSchema,
    prefix: &mut Vec<JsonStep>,
    found: &mut Vec<(Vec<JsonStep>, String, Span)>,
) {
    for field in &schema.fields {
        prefix.push(JsonStep::Child(field.name.clone()));
        if is_sensitive(&field.name) {
            let text = prefix
                .iter()
                .map(|s| match s {
                    JsonStep::Child(name) => name.clone(),
                    _ => "[*]".to_string(),
                })
                .collect::<Vec<_>>()
                .join(".")
                .replace(".[*]", "[*]");
            found.push((prefix.clone(), text, field.span));
        }
        let mut ty = &field.ty;
        let mut arrays = 0;
        while let TypeSchema::Array { items, .. } = ty {
            prefix.push(JsonStep::Wildcard);
            arrays += 1;
            ty = items;
        }
        if let TypeSchema::Object(inner) = ty {
            sensitive_fields(inner, prefix, found);
        }
        prefix.truncate(prefix.len().saturating_sub(arrays + 1));
    }
}

/// The span of one path of a `response only` list, or of the rule.
fn path_span(ctx: &Ctx<'_>, meta: &RuleMeta, path: &JsonPath) -> Span {
    match ctx.statement_at(meta.span).map(|s| &s.kind) {
        Some(StatementKind::ResponseOnly(paths)) => paths
            .iter()
            .find(|p| p.text == path.text)
            .map_or(meta.span, |p| p.span),
        _ => meta.span,
    }
}
