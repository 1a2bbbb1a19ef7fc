//! # endpoint-never-allowed (GH-L002)
//!
//! ## What it does
//!
//! Flags an endpoint whose own rules deny every request: its `allow from`
//! networks all lie inside its `deny from` networks, or one of its `when`
//! conditions can never be true (`when false`, `when 1 == 2`, a `not` of
//! something always true). An endpoint with neither `public` nor
//! `authenticate` denies every request too; the checker reports that one
//! (`GH-W0405`), and `gatehouse lint` shows it with the other findings.
//!
//! ## Why is this bad?
//!
//! An endpoint that can never allow anything is a mistake: either a rule is
//! wrong (a deny list that swallowed the allow list, a condition left over
//! from testing) and callers are locked out, or the endpoint is meant to be
//! closed, in which case it should be removed, since requests that match no
//! endpoint are denied anyway.
//!
//! ## Example
//!
//! ```gate
//! endpoint GET /reports {
//!   authenticate user
//!   allow from 10.20.0.0/16
//!   deny from 10.0.0.0/8
//! }
//! ```
//!
//! Use instead:
//!
//! ```gate
//! endpoint GET /reports {
//!   authenticate user
//!   allow from 10.20.0.0/16
//!   deny from 10.20.99.0/24
//! }
//! ```

use super::super::checker::{Ctx, Out};
use super::enforced;
use crate::diag::{Code, Diagnostic};
use crate::model::{CmpOp, CondExpr, Endpoint, Lit, Operand, ValueRef};

pub(crate) fn endpoint(_ctx: &Ctx<'_>, endpoint: &Endpoint, out: &mut Out) {
    if let Some(allow) = endpoint.ip_allow.as_ref().filter(|r| enforced(&r.meta)) {
        let denies: Vec<_> = endpoint
            .ip_deny
            .iter()
            .filter(|r| enforced(&r.meta))
            .collect();
        let covering = |net: &ipnet::IpNet| {
            denies
                .iter()
                .find(|d| d.nets.iter().any(|d| d.contains(net)))
        };
        if !allow.nets.is_empty() && allow.nets.iter().all(|net| covering(net).is_some()) {
            let mut finding = Diagnostic::new(Code::EndpointNeverAllowed,
                allow.meta.span,
                format!("`{}` denies every request: each network it allows is also denied", endpoint.label()),
            )
            .label("every network here is denied below")
            .help("narrow the `deny from` list so that it leaves part of the `allow from` networks, or remove the endpoint")
            .about(endpoint.span, endpoint.label());
            let mut seen = Vec::new();
            for deny in allow.nets.iter().filter_map(covering) {
                if !seen.contains(&deny.meta.span) {
                    seen.push(deny.meta.span);
                    finding = finding.related(deny.meta.span, "denied here");
                }
            }
            out.push(finding);
        }
    }
    for condition in endpoint.conditions.iter().filter(|c| enforced(&c.meta)) {
        if !can_pass(&condition.expr) {
            out.push(
                Diagnostic::new(
                    Code::EndpointNeverAllowed,
                    condition.meta.span,
                    format!(
                        "`{}` denies every request: this condition is never true",
                        endpoint.label()
                    ),
                )
                .label("never true")
                .help("fix the condition, or remove the endpoint if nobody may call it")
                .about(endpoint.span, endpoint.label()),
            );
        }
    }
}

/// Whether a condition can ever be true. Only constants are judged; any
/// condition that reads the request might.
fn can_pass(expr: &CondExpr) -> bool {
    match expr {
        CondExpr::Or(parts) => parts.iter().any(can_pass),
        CondExpr::And(parts) => parts.iter().all(can_pass),
        CondExpr::Not(inner) => constant(inner) != Some(true),
        other => constant(other) != Some(false),
    }
}

/// The value of a condition made of literals only.
fn constant(expr: &CondExpr) -> Option<bool> {
    match expr {
        CondExpr::Or(parts) => {
            let values: Vec<Option<bool>> = parts.iter().map(constant).collect();
            if values.contains(&Some(true)) && values.iter().all(Option::is_some) {
                Some(true)
            } else if values.iter().all(|v| *v == Some(false)) {
                Some(false)
            } else {
                None
            }
        }
        CondExpr::And(parts) => {
            let values: Vec<Option<bool>> = parts.iter().map(constant).collect();
            if values.contains(&Some(false)) {
                Some(false)
            } else if values.iter().all(|v| *v == Some(true)) {
                Some(true)
            } else {
                None
            }
        }
        CondExpr::Not(inner) => constant(inner).map(|b| !b),
        CondExpr::Truthy(operand) => match literal(operand)? {
            Lit::Bool(b) => Some(*b),
            _ => None,
        },
        CondExpr::Compare { op, left, right } => compare(*op, literal(left)?, literal(right)?),
        CondExpr::In { left, right } => {
            let item = literal(left)?;
            match &right.value {
                ValueRef::List(items) => Some(
                    items
                        .iter()
                        .any(|i| compare(CmpOp::Eq, item, i) == Some(true)),
                ),
                _ => None,
            }
        }
        CondExpr::HasScope { .. } | CondExpr::Like { .. } => None,
    }
}

fn literal(operand: &Operand) -> Option<&Lit> {
    match &operand.value {
        ValueRef::Literal(lit) => Some(lit),
        _ => None,
    }
}

fn compare(op: CmpOp, a: &Lit, b: &Lit) -> Option<bool> {
    let number = |l: &Lit| match l {
        Lit::Int(i) => Some(*i as f64),
        Lit::Float(f) => Some(*f),
        _ => None,
    };
    let ordering = match (a, b) {
        (Lit::String(x), Lit::String(y)) => x.partial_cmp(y),
        (Lit::Bool(x), Lit::Bool(y)) => x.partial_cmp(y),
        (Lit::Int(x), Lit::Int(y)) => x.partial_cmp(y),
        _ => number(a)?.partial_cmp(&number(b)?),
    }?;
    Some(match op {
        CmpOp::Eq => ordering.is_eq(),
        CmpOp::Ne => ordering.is_ne(),
        CmpOp::Lt => ordering.is_lt(),
        CmpOp::Le => ordering.is_le(),
        CmpOp::Gt => ordering.is_gt(),
        CmpOp::Ge => ordering.is_ge(),
    })
}
