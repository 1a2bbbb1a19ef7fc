//! The endpoint inventory: one row per endpoint with what guards it. What
//! `gatehouse inventory` prints as a table, CSV, Markdown or JSON.
//!
//! Rows are in policy order (files as loaded, endpoints as written), with
//! defaults already merged in. Each row has structured fields for tools and
//! [`Row::cells`], the same facts as short text for tables.

use serde::Serialize;

use super::Source;
use crate::model::{Access, Api, Endpoint};
use crate::text;
use crate::CompiledSet;

/// The version of the JSON shape of [`Inventory`].
pub const SCHEMA: &str = "gatehouse.inventory/v1";

/// The table columns, in order, matching [`Row::cells`].
pub const COLUMNS: [&str; 13] = [
    "API", "METHOD", "PATH", "AUTH", "SCOPES", "WHEN", "IP", "QUOTAS", "BODY", "RESPONSE", "OWNER",
    "SHADOW", "LOCATION",
];

#[derive(Clone, Debug, Serialize)]
pub struct Inventory {
    /// [`SCHEMA`].
    pub schema: &'static str,
    pub endpoints: Vec<Row>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub api: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `GET`, or `*` for any method.
    pub method: String,
    /// With the base: `/v1/pets/{id:int}`.
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    pub public: bool,
    /// Accepted auth schemes; empty for a public endpoint, and for one that
    /// is neither public nor authenticated (it denies every request).
    pub auth: Vec<String>,
    /// Enforced `require` groups: each needs one of its scopes.
    pub scopes: Vec<Vec<String>>,
    /// Enforced `when` conditions, in canonical form.
    pub conditions: Vec<String>,
    pub allow_from: Vec<String>,
    pub deny_from: Vec<String>,
    /// `100/min burst 20 by principal`.
    pub quotas: Vec<String>,
    /// `body max`, in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_max: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_types: Option<Vec<String>>,
    /// The endpoint has `body json` rules.
    pub body_json: bool,
    /// `$.ssn keep last 4`.
    pub masks: Vec<String>,
    /// The `response only` allow-list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_only: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// A bare `shadow`: evaluated for the record, never decides.
    pub shadow: bool,
    /// Rules in `shadow { }` blocks, as written.
    pub shadow_rules: Vec<String>,
    pub location: Source,
}

impl Row {
    fn new(policy: &CompiledSet, api: &Api, e: &Endpoint) -> Row {
        let enforced = |shadow: bool| !shadow;
        let mut shadow_rules = Vec::new();
        let mut scopes = Vec::new();
        for rule in &e.scopes {
            if enforced(rule.meta.shadow) {
                scopes.extend(
                    rule.groups
                        .iter()
                        .map(|g| g.iter().map(|s| text::scope_name(api, *s)).collect()),
                );
            } else {
                shadow_rules.push(format!("require {}", text::scope_rule(api, rule)));
            }
        }
        let mut conditions = Vec::new();
        for c in &e.conditions {
            let t = text::condition(api, &c.expr);
            if enforced(c.meta.shadow) {
                conditions.push(t);
            } else {
                shadow_rules.push(format!("when {t}"));
            }
        }
        let nets =
            |r: &crate::model::IpRule| r.nets.iter().map(ToString::to_string).collect::<Vec<_>>();
        let mut allow_from = Vec::new();
        if let Some(rule) = &e.ip_allow {
            if enforced(rule.meta.shadow) {
                allow_from = nets(rule);
            } else {
                shadow_rules.push(format!("allow from {}", nets(rule).join(", ")));
            }
        }
        let mut deny_from = Vec::new();
        for rule in &e.ip_deny {
            if enforced(rule.meta.shadow) {
                deny_from.extend(nets(rule));
            } else {
                shadow_rules.push(format!("deny from {}", nets(rule).join(", ")));
            }
        }
        let (public, auth) = match &e.access {
            Access::Public(_) => (true, Vec::new()),
            Access::Closed => (false, Vec::new()),
            Access::Authenticated { schemes, .. } => (
                false,
                schemes.iter().map(|s| text::scheme_name(api, *s)).collect(),
            ),
        };
        Row {
            api: api.name.clone(),
            version: api.version.clone(),
            method: e.method.as_str().to_string(),
            path: text::full_path(api, e),
            host: api.host.clone(),
            public,
            auth,
            scopes,
            conditions,
            allow_from,
            deny_from,
            quotas: e.quotas.iter().map(text::quota).collect(),
            body_max: e.body.max.as_ref().map(|(max, _)| *max),
            body_types: e.body.types.as_ref().map(|(t, _)| t.clone()),
            body_json: e.body.json.is_some(),
            masks: e.masks.iter().map(text::mask).collect(),
            response_only: e
                .response_only
                .as_ref()
                .map(|r| r.paths.iter().map(|p| p.text.clone()).collect()),
            owner: api.owner.clone(),
            shadow: e.shadow.is_some(),
            shadow_rules,
            location: Source::new(policy.sources(), e.span),
        }
    }

    /// The row as short text, one cell per [`COLUMNS`] entry; empty cells
    /// are `-`.
    pub fn cells(&self) -> Vec<String> {
        let dash = |s: String| if s.is_empty() { "-".to_string() } else { s };
        let auth = if self.public {
            "public".to_string()
        } else if self.auth.is_empty() {
            "none (denies all)".to_string()
        } else {
            self.auth.join(" | ")
        };
        let scopes = self
            .scopes
            .iter()
            .map(|g| g.join(" | "))
            .collect::<Vec<_>>()
            .join(", ");
        let mut ip = Vec::new();
        if !self.allow_from.is_empty() {
            ip.push(format!("allow {}", self.allow_from.join(", ")));
        }
        if !self.deny_from.is_empty() {
            ip.push(format!("deny {}", self.deny_from.join(", ")));
        }
        let mut body = Vec::new();
        if let Some(max) = self.body_max {
            body.push(text::size(max));
        }
        if self.body_json {
            body.push("json".to_string());
        }
        let mut response = self.masks.clone();
        if let Some(only) = &self.response_only {
            response.push(format!(
                "only {} field{}",
                only.len(),
                if only.len() == 1 { "" } else { "s" }
            ));
        }
        let shadow = if self.shadow {
            "endpoint".to_string()
        } else if !self.shadow_rules.is_empty() {
            format!(
                "{} rule{}",
                self.shadow_rules.len(),
                if self.shadow_rules.len() == 1 {
                    ""
                } else {
                    "s"
                }
            )
        } else {
            String::new()
        };
        vec![
            self.api.clone(),
            self.method.clone(),
            self.path.clone(),
            auth,
            dash(scopes),
            dash(if self.conditions.is_empty() {
                String::new()
            } else {
                self.conditions.len().to_string()
            }),
            dash(ip.join("; ")),
            dash(self.quotas.join(", ")),
            dash(body.join(" ")),
            dash(response.join("; ")),
            dash(self.owner.clone().unwrap_or_default()),
            dash(shadow),
            self.location.short(),
        ]
    }
}

/// Every endpoint of every API, in policy order.
pub fn inventory(policy: &gatehouse::PolicySet) -> Inventory {
    let policy = policy.internals();
    {
        let endpoints = policy
            .model()
            .apis
            .iter()
            .flat_map(|api| api.endpoints.iter().map(move |e| (api, e)))
            .map(|(api, e)| Row::new(policy, api, e))
            .collect();
        Inventory {
            schema: SCHEMA,
            endpoints,
        }
    }
}
