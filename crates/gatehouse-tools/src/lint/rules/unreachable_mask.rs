//! # unreachable-mask (GH-L015)
//!
//! ## What it does
//!
//! Flags a `mask response` path of an endpoint that its `response only`
//! list drops: no listed path selects the masked field, anything inside it
//! or anything around it. Masks inherited from `defaults` are not flagged:
//! they are written for every endpoint.
//!
//! ## Why is this bad?
//!
//! Something the allow-list drops is never sent, so the mask never
//! applies. That is harmless in itself, but it is almost always a typo or
//! a stale rule: the author meant to return the field masked, and either
//! the mask or the allow-list names the wrong path. A reviewer reading the
//! mask believes the field is returned and protected.
//!
//! ## Example
//!
//! ```gate
//! endpoint GET /users/{uid} {
//!   authenticate user
//!   response only $.id, $.name, $.social_security_number
//!   mask response $.ssn keep last 4
//! }
//! ```
//!
//! Use instead:
//!
//! ```gate
//! endpoint GET /users/{uid} {
//!   authenticate user
//!   response only $.id, $.name, $.ssn
//!   mask response $.ssn keep last 4
//! }
//! ```

use super::super::checker::{Ctx, Out};
use super::may_overlap;
use crate::diag::{Code, Diagnostic};
use crate::model::Endpoint;
use crate::syntax::ast::StatementKind;

pub(crate) fn endpoint(ctx: &Ctx<'_>, endpoint: &Endpoint, out: &mut Out) {
    let Some(only) = &endpoint.response_only else {
        return;
    };
    for mask in endpoint.masks.iter().filter(|m| !m.meta.inherited) {
        for path in &mask.paths {
            if only
                .paths
                .iter()
                .any(|keep| may_overlap(&keep.steps, &path.steps))
            {
                continue;
            }
            let span = match ctx.statement_at(mask.meta.span).map(|s| &s.kind) {
                Some(StatementKind::Mask { paths, .. }) => paths
                    .iter()
                    .find(|p| p.text == path.text)
                    .map_or(mask.meta.span, |p| p.span),
                _ => mask.meta.span,
            };
            out.push(
                Diagnostic::new(
                    Code::UnreachableMask,
                    span,
                    format!(
                        "`mask response {}` never applies: `response only` drops it",
                        path.text
                    ),
                )
                .label("not in the response")
                .related(only.meta.span, "the response keeps only these paths")
                .help("fix the path of the mask or of `response only`, or remove the mask")
                .about(endpoint.span, endpoint.label()),
            );
        }
    }
}
