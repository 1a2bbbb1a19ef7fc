//! Model pieces written back as policy text: `require repo | public_repo`,
//! `quota 100/min burst 20 by principal`, `body max 64KiB`. The same words
//! the policy author wrote (defaults included), so that inventories, diffs
//! and traces read like the policy.

use crate::model::{
    Access, Api, CondExpr, Endpoint, KeepEnd, Lit, Mask, MaskStrategy, Quota, ScopeId, ScopeRule,
    TypeSchema, ValueRef,
};

/// `user | key`, `public`, or `none` for an endpoint that denies everything.
pub fn access(api: &Api, access: &Access) -> String {
    match access {
        Access::Public(_) => "public".into(),
        Access::Closed => "none".into(),
        Access::Authenticated { schemes, .. } => schemes
            .iter()
            .map(|s| scheme_name(api, *s))
            .collect::<Vec<_>>()
            .join(" | "),
    }
}

pub fn scheme_name(api: &Api, id: crate::model::SchemeId) -> String {
    api.scheme(id)
        .map_or_else(|| format!("#{}", id.0), |s| s.name.clone())
}

pub fn scope_name(api: &Api, id: ScopeId) -> String {
    api.scope(id)
        .map_or_else(|| format!("#{}", id.0), |s| s.name.clone())
}

/// One any-of group: `repo | public_repo`.
pub fn scope_group(api: &Api, group: &[ScopeId]) -> String {
    group
        .iter()
        .map(|s| scope_name(api, *s))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// A `require` rule's groups: `repo | public_repo, workflow`.
pub fn scope_rule(api: &Api, rule: &ScopeRule) -> String {
    rule.groups
        .iter()
        .map(|g| scope_group(api, g))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every enforced `require` of an endpoint, joined: `pets:read`.
pub fn scopes(api: &Api, endpoint: &Endpoint) -> String {
    endpoint
        .scopes
        .iter()
        .map(|r| scope_rule(api, r))
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `64KiB`, `1MiB`, `1000B`.
pub fn size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (unit, name) in UNITS {
        if bytes >= unit && bytes % unit == 0 {
            return format!("{}{name}", bytes / unit);
        }
    }
    format!("{bytes}B")
}

/// `s`, `min`, `hour`, `day`, or seconds.
pub fn window(secs: u64) -> String {
    match secs {
        1 => "s".into(),
        60 => "min".into(),
        3600 => "hour".into(),
        86400 => "day".into(),
        other => format!("{other}s"),
    }
}

/// `100/min burst 20 by principal cost 2` (burst and cost only when they
/// differ from their defaults).
pub fn quota(q: &Quota) -> String {
    let mut out = format!("{}/{}", q.rate, window(q.window_secs));
    if q.burst != q.rate {
        out.push_str(&format!(" burst {}", q.burst));
    }
    out.push_str(&format!(" by {}", q.key.text()));
    if q.cost != 1 {
        out.push_str(&format!(" cost {}", q.cost));
    }
    out
}

/// `with email`, `keep last 4`.
pub fn mask_strategy(strategy: MaskStrategy) -> String {
    match strategy {
        MaskStrategy::Redact => "with redact".into(),
        MaskStrategy::Remove => "with remove".into(),
        MaskStrategy::Null => "with null".into(),
        MaskStrategy::Hash => "with hash".into(),
        MaskStrategy::Email => "with email".into(),
        MaskStrategy::Keep {
            end: KeepEnd::First,
            count,
        } => format!("keep first {count}"),
        MaskStrategy::Keep {
            end: KeepEnd::Last,
            count,
        } => format!("keep last {count}"),
    }
}

/// `$.ssn keep last 4`
pub fn mask(m: &Mask) -> String {
    let paths: Vec<&str> = m.paths.iter().map(|p| p.text.as_str()).collect();
    format!("{} {}", paths.join(", "), mask_strategy(m.strategy))
}

/// The body limit and the kind of body rules: `64KiB`, `64KiB json`,
/// `json`, or empty.
pub fn body(endpoint: &Endpoint) -> String {
    let mut parts = Vec::new();
    if let Some((max, _)) = &endpoint.body.max {
        parts.push(size(*max));
    }
    if let Some((types, _)) = &endpoint.body.types {
        parts.push(types.join(", "));
    }
    if endpoint.body.json.is_some() {
        parts.push("json".to_string());
    }
    parts.join(" ")
}

/// A literal as the policy writes it: `"acme"`, `2`, `true`.
pub fn lit(l: &Lit) -> String {
    match l {
        Lit::String(s) => serde_json::to_string(s).unwrap_or_default(),
        Lit::Int(i) => i.to_string(),
        Lit::Float(f) => f.to_string(),
        Lit::Bool(b) => b.to_string(),
    }
}

/// An operand as written: `claim.tenant`, `"eu"`, `["a", "b"]`.
pub fn operand(o: &crate::model::Operand) -> String {
    match &o.value {
        ValueRef::Literal(l) => lit(l),
        ValueRef::List(items) => {
            format!("[{}]", items.iter().map(lit).collect::<Vec<_>>().join(", "))
        }
        _ => o.text.clone(),
    }
}

/// A condition in canonical form, independent of layout and comments:
/// `path.uid == principal.sub or principal has admin`.
pub fn condition(api: &Api, expr: &CondExpr) -> String {
    cond(api, expr, 0)
}

/// `level`: 0 top, 1 inside `or`, 2 inside `and`, 3 under `not`.
fn cond(api: &Api, expr: &CondExpr, level: u8) -> String {
    let (text, own) = match expr {
        CondExpr::Or(parts) => (
            parts
                .iter()
                .map(|p| cond(api, p, 1))
                .collect::<Vec<_>>()
                .join(" or "),
            1,
        ),
        CondExpr::And(parts) => (
            parts
                .iter()
                .map(|p| cond(api, p, 2))
                .collect::<Vec<_>>()
                .join(" and "),
            2,
        ),
        CondExpr::Not(inner) => (format!("not {}", cond(api, inner, 3)), 3),
        leaf => (leaf_text(api, leaf), 4),
    };
    if own < level {
        format!("({text})")
    } else {
        text
    }
}

/// A condition that is not `and`, `or` or `not`.
pub fn leaf_text(api: &Api, expr: &CondExpr) -> String {
    match expr {
        CondExpr::Compare { op, left, right } => {
            format!("{} {} {}", operand(left), op.as_str(), operand(right))
        }
        CondExpr::In { left, right } => format!("{} in {}", operand(left), operand(right)),
        CondExpr::HasScope { scope, .. } => format!("principal has {}", scope_name(api, *scope)),
        CondExpr::Like { left, pattern } => {
            format!(
                "{} like {}",
                operand(left),
                serde_json::to_string(&pattern.text).unwrap_or_default()
            )
        }
        CondExpr::Truthy(v) => operand(v),
        CondExpr::Or(_) | CondExpr::And(_) | CondExpr::Not(_) => condition(api, expr),
    }
}

/// A field type as written: `string(1..64) matches "^[a-z]+$"`,
/// `array(0..10) of int`, `{ ... }`.
pub fn type_schema(ty: &TypeSchema) -> String {
    fn bounds<T: std::fmt::Display>(b: &crate::model::Bounds<T>) -> String {
        match (&b.min, &b.max) {
            (None, None) => String::new(),
            (min, max) => format!(
                "({}..{})",
                min.as_ref().map(|m| m.to_string()).unwrap_or_default(),
                max.as_ref().map(|m| m.to_string()).unwrap_or_default()
            ),
        }
    }
    match ty {
        TypeSchema::String {
            length,
            pattern,
            format,
        } => {
            let mut out = match format {
                Some(f) => serde_json::to_value(f)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                None => format!("string{}", bounds(length)),
            };
            if let Some(p) = pattern {
                out.push_str(&format!(
                    " matches {}",
                    serde_json::to_string(&p.text).unwrap_or_default()
                ));
            }
            out
        }
        TypeSchema::Int { range } => format!("int{}", bounds(range)),
        TypeSchema::Number { range } => format!("number{}", bounds(range)),
        TypeSchema::Bool => "bool".into(),
        TypeSchema::Null => "null".into(),
        TypeSchema::Any => "any".into(),
        TypeSchema::Array { length, items } => {
            format!("array{} of {}", bounds(length), type_schema(items))
        }
        TypeSchema::Object(fields) => {
            let mut names: Vec<String> = fields
                .fields
                .iter()
                .map(|f| {
                    format!(
                        "{}{}: {}",
                        f.name,
                        if f.optional { "?" } else { "" },
                        type_schema(&f.ty)
                    )
                })
                .collect();
            if fields.allow_unknown {
                names.push("...".into());
            }
            format!("{{ {} }}", names.join(", "))
        }
        TypeSchema::Enum(items) => format!(
            "enum({})",
            items.iter().map(lit).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// The full path of an endpoint, base included: `/v1/pets/{id:int}`.
pub fn full_path(api: &Api, endpoint: &Endpoint) -> String {
    let base = if api.base.is_empty() {
        String::new()
    } else {
        api.base_text()
    };
    if endpoint.path_text == "/" && !base.is_empty() {
        base
    } else {
        format!("{base}{}", endpoint.path_text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_use_the_largest_exact_unit() {
        assert_eq!(size(64 * 1024), "64KiB");
        assert_eq!(size(1 << 20), "1MiB");
        assert_eq!(size(1000), "1000B");
        assert_eq!(size(1536), "1536B");
    }
}
