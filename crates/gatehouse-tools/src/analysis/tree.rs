//! The compiled decision tree, readable: per API and method, the route trie
//! the evaluator walks, with the endpoint at each node and a summary of its
//! rules. What `gatehouse tree` prints as text, Graphviz or Mermaid.
//!
//! Children are listed in the order the lookup tries them (literal, typed
//! parameter, parameter, `*`, then `**`), so the first path down the tree
//! that matches a request is the endpoint that takes it. A `**` endpoint
//! is drawn as a child `**` of the node where it is attached.

use serde::Serialize;

use super::Source;
use crate::model::{Access, Api, Endpoint, EndpointId, Method};
use crate::text;
use crate::tree::RouteTrie;
use crate::CompiledSet;

/// The version of the JSON shape of [`TreeDump`].
pub const SCHEMA: &str = "gatehouse.tree/v1";

#[derive(Clone, Debug, Serialize)]
pub struct TreeDump {
    pub schema: &'static str,
    pub apis: Vec<ApiDump>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ApiDump {
    pub name: String,
    pub base: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Methods whose trie holds at least one endpoint.
    pub methods: Vec<MethodDump>,
    /// Shadow endpoints: evaluated for the record when they would take a
    /// request, never deciding; not in the tries above.
    pub shadow: Vec<EndpointDump>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MethodDump {
    pub method: &'static str,
    /// Depth-first, children in lookup order; `nodes[0]` is the root.
    pub nodes: Vec<NodeDump>,
}

#[derive(Clone, Debug, Serialize)]
pub struct NodeDump {
    pub id: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<usize>,
    pub depth: usize,
    /// The segment on the edge into this node: `pets`, `{:int}` (a typed
    /// parameter), `{}` (a parameter), `*`, `**`; `/` for the root.
    pub segment: String,
    /// The endpoint whose pattern ends here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<EndpointDump>,
    /// The last child of its parent (for drawing).
    pub last: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct EndpointDump {
    /// `GET /pets/{id:int}` (relative to the base).
    pub label: String,
    /// `user | key; require pets:read; 1 when`.
    pub rules: String,
    pub location: Source,
}

/// The compiled route tries of every API, with endpoint summaries.
pub fn tree_dump(policy: &gatehouse::PolicySet) -> TreeDump {
    let policy = policy.internals();
    {
        let apis = policy
            .tree()
            .apis
            .iter()
            .filter_map(|t| Some((t, policy.model().apis.get(t.id.0 as usize)?)))
            .map(|(t, api)| {
                let methods = Method::ALL
                    .iter()
                    .filter_map(|m| {
                        let trie = t.routes_for(*m)?;
                        let nodes = nodes(policy, api, trie);
                        (nodes.iter().any(|n| n.endpoint.is_some())).then_some(MethodDump {
                            method: m.as_str(),
                            nodes,
                        })
                    })
                    .collect();
                let shadow = api
                    .endpoints
                    .iter()
                    .filter(|e| e.shadow.is_some())
                    .map(|e| endpoint(policy, api, e))
                    .collect();
                ApiDump {
                    name: api.name.clone(),
                    base: api.base_text(),
                    host: api.host.clone(),
                    methods,
                    shadow,
                }
            })
            .collect();
        TreeDump {
            schema: SCHEMA,
            apis,
        }
    }
}

fn endpoint(policy: &CompiledSet, api: &Api, e: &Endpoint) -> EndpointDump {
    let mut rules = vec![match &e.access {
        Access::Public(_) => "public".to_string(),
        Access::Closed => "no access rule (denies all)".to_string(),
        Access::Authenticated { .. } => format!("auth {}", text::access(api, &e.access)),
    }];
    let scopes = text::scopes(api, e);
    if !scopes.is_empty() {
        rules.push(format!("require {scopes}"));
    }
    if !e.conditions.is_empty() {
        rules.push(format!("{} when", e.conditions.len()));
    }
    if let Some(allow) = &e.ip_allow {
        rules.push(format!(
            "allow from {}",
            allow
                .nets
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    EndpointDump {
        label: e.label(),
        rules: rules.join("; "),
        location: Source::new(policy.sources(), e.span),
    }
}

/// A trie node while building: its segment, endpoint and children.
struct Built {
    segment: String,
    endpoint: Option<u32>,
    children: Vec<usize>,
}

fn nodes(policy: &CompiledSet, api: &Api, trie: &RouteTrie) -> Vec<NodeDump> {
    // `walk` is depth-first with depths; rebuild parents, then add `**`
    // endpoints as last children.
    let mut built: Vec<Built> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut rests: Vec<(usize, u32)> = Vec::new();
    for (depth, segment, here, rest) in trie.walk() {
        stack.truncate(depth);
        let index = built.len();
        if let Some(parent) = stack.last().and_then(|p| built.get_mut(*p)) {
            parent.children.push(index);
        }
        built.push(Built {
            segment,
            endpoint: here,
            children: Vec::new(),
        });
        if let Some(rest) = rest {
            rests.push((index, rest));
        }
        stack.push(index);
    }
    for (node, rest) in rests {
        let index = built.len();
        built.push(Built {
            segment: "**".into(),
            endpoint: Some(rest),
            children: Vec::new(),
        });
        if let Some(n) = built.get_mut(node) {
            n.children.push(index);
        }
    }
    let mut out = Vec::new();
    Flat {
        policy,
        api,
        built: &built,
    }
    .flatten(0, None, 0, true, &mut out);
    out
}

struct Flat<'a> {
    policy: &'a CompiledSet,
    api: &'a Api,
    built: &'a [Built],
}

impl Flat<'_> {
    /// Depth-first from `index`; the depth is bounded by the trie's, which
    /// is bounded by the longest endpoint pattern.
    fn flatten(
        &self,
        index: usize,
        parent: Option<usize>,
        depth: usize,
        last: bool,
        out: &mut Vec<NodeDump>,
    ) {
        let Flat { policy, api, built } = *self;
        let Some(node) = built.get(index) else { return };
        let id = out.len();
        out.push(NodeDump {
            id,
            parent,
            depth,
            segment: node.segment.clone(),
            endpoint: node
                .endpoint
                .and_then(|i| api.endpoint(EndpointId(i)))
                .map(|e| endpoint(policy, api, e)),
            last,
        });
        let count = node.children.len();
        for (i, child) in node.children.iter().enumerate() {
            self.flatten(*child, Some(id), depth + 1, i + 1 == count, out);
        }
    }
}

impl TreeDump {
    /// An indented tree per API and method, with box-drawing lines.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for api in &self.apis {
            let host = api
                .host
                .as_ref()
                .map(|h| format!(" on {h}"))
                .unwrap_or_default();
            out.push_str(&format!("api {} (base {}{host})\n", api.name, api.base));
            for method in &api.methods {
                out.push_str(&format!("\n  {}\n", method.method));
                // Whether each ancestor level still has siblings to draw.
                let mut open: Vec<bool> = Vec::new();
                for node in &method.nodes {
                    open.truncate(node.depth);
                    let mut line = String::from("    ");
                    if node.depth == 0 {
                        line.push_str(&api.base);
                    } else {
                        for more in open.iter().skip(1) {
                            line.push_str(if *more { "│   " } else { "    " });
                        }
                        line.push_str(if node.last {
                            "└── "
                        } else {
                            "├── "
                        });
                        line.push_str(&node.segment);
                    }
                    if let Some(e) = &node.endpoint {
                        let pad = 40usize.saturating_sub(line.chars().count()).max(2);
                        line.push_str(&" ".repeat(pad));
                        line.push_str(&format!(
                            "{}  [{}]  {}",
                            e.label,
                            e.rules,
                            e.location.short()
                        ));
                    }
                    out.push_str(line.trim_end());
                    out.push('\n');
                    open.push(!node.last);
                }
            }
            if !api.shadow.is_empty() {
                out.push_str("\n  shadow (evaluated for the record, never decides)\n");
                for e in &api.shadow {
                    out.push_str(&format!(
                        "    {}  [{}]  {}\n",
                        e.label,
                        e.rules,
                        e.location.short()
                    ));
                }
            }
            out.push('\n');
        }
        out
    }

    /// A Graphviz digraph: one cluster per API and method.
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph gatehouse {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n");
        for (a, api) in self.apis.iter().enumerate() {
            for method in &api.methods {
                let prefix = format!("a{a}_{}", method.method);
                out.push_str(&format!(
                    "  subgraph cluster_{prefix} {{\n    label={};\n",
                    dot_string(&format!("{} {} {}", api.name, method.method, api.base))
                ));
                for node in &method.nodes {
                    let segment = if node.depth == 0 {
                        api.base.clone()
                    } else {
                        node.segment.clone()
                    };
                    let (label, style) = match &node.endpoint {
                        Some(e) => (
                            format!("{segment}\n{}\n{}", e.label, e.rules),
                            ", style=filled, fillcolor=\"#e8f0fe\"",
                        ),
                        None => (segment, ""),
                    };
                    out.push_str(&format!(
                        "    {prefix}_{} [label={}{style}];\n",
                        node.id,
                        dot_string(&label)
                    ));
                    if let Some(parent) = node.parent {
                        out.push_str(&format!("    {prefix}_{parent} -> {prefix}_{};\n", node.id));
                    }
                }
                out.push_str("  }\n");
            }
        }
        out.push_str("}\n");
        out
    }

    /// A Mermaid flowchart: one subgraph per API and method.
    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        for (a, api) in self.apis.iter().enumerate() {
            for method in &api.methods {
                let prefix = format!("a{a}_{}", method.method);
                out.push_str(&format!(
                    "  subgraph {prefix} [{}]\n",
                    mermaid_string(&format!("{} {} {}", api.name, method.method, api.base))
                ));
                for node in &method.nodes {
                    let segment = mermaid_text(if node.depth == 0 {
                        &api.base
                    } else {
                        &node.segment
                    });
                    let label = match &node.endpoint {
                        Some(e) => format!(
                            "{segment}<br/>{}<br/>{}",
                            mermaid_text(&e.label),
                            mermaid_text(&e.rules)
                        ),
                        None => segment,
                    };
                    let shape = if node.depth == 0 {
                        ("([", "])")
                    } else {
                        ("[", "]")
                    };
                    out.push_str(&format!(
                        "    {prefix}_{}{}\"{label}\"{}\n",
                        node.id, shape.0, shape.1
                    ));
                    if let Some(parent) = node.parent {
                        out.push_str(&format!("    {prefix}_{parent} --> {prefix}_{}\n", node.id));
                    }
                }
                out.push_str("  end\n");
            }
        }
        out
    }
}

/// A Graphviz double-quoted string; `\n` breaks a label into lines.
fn dot_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text inside a quoted Mermaid label: quotes and markup characters as
/// entity codes, so `{id:int}`, `*` and `|` are shown as they are.
fn mermaid_text(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '|' => out.push_str("#124;"),
            '#' => out.push_str("#35;"),
            c => out.push(c),
        }
    }
    out
}

fn mermaid_string(s: &str) -> String {
    format!("\"{}\"", mermaid_text(s))
}
