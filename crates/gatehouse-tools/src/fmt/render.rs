//! One-line renderings of AST nodes in canonical spacing.
//!
//! Tokens are copied from the source by span (strings keep their escapes,
//! sizes their units, numbers their spelling); only the whitespace and
//! punctuation between them are canonical. Blocks (`{ ... }` bodies) are
//! laid out by the printer, not here.

use crate::span::Span;
use crate::syntax::ast::{
    AuthDecl, Expr, ExprKind, FieldAst, Fields, MaskStrategyAst, Operand, OperandKind, OptionAst,
    QuotaAst, RangeAst, ScopeDecl, Statement, StatementKind, TypeExpr, TypeKind, TypeModifier,
};

pub(super) struct Render<'a> {
    pub text: &'a str,
}

impl Render<'_> {
    /// The source text of a span.
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }

    pub fn auth(&self, decl: &AuthDecl, pad: usize) -> String {
        let args: Vec<String> = decl
            .args
            .iter()
            .map(|a| format!("{}: {}", a.name.node, self.slice(a.value.span)))
            .collect();
        format!(
            "auth {:<pad$} = {}({})",
            decl.name.node,
            decl.kind.node,
            args.join(", ")
        )
    }

    pub fn scope(&self, decl: &ScopeDecl, pad: usize) -> String {
        match &decl.description {
            Some(d) => format!("{:<pad$}  {}", decl.name.node, self.slice(d.span)),
            None => decl.name.node.clone(),
        }
    }

    pub fn option(&self, option: &OptionAst, pad: usize) -> String {
        let values: Vec<&str> = option.values.iter().map(|v| self.slice(v.span)).collect();
        format!("{:<pad$} = {}", option.name.node, values.join(", "))
    }

    /// A statement on one line. Statements with a `{ ... }` block are
    /// rendered here only up to the block: the printer adds it.
    pub fn statement(&self, statement: &Statement) -> String {
        match &statement.kind {
            StatementKind::ShadowFlag => "shadow".into(),
            StatementKind::ShadowBlock(_) => "shadow".into(),
            StatementKind::Public => "public".into(),
            StatementKind::Authenticate(names) => {
                format!(
                    "authenticate {}",
                    names
                        .iter()
                        .map(|n| n.node.as_str())
                        .collect::<Vec<_>>()
                        .join(" | ")
                )
            }
            StatementKind::Require(groups) => {
                let groups: Vec<String> = groups
                    .iter()
                    .map(|g| {
                        g.iter()
                            .map(|s| s.node.as_str())
                            .collect::<Vec<_>>()
                            .join(" | ")
                    })
                    .collect();
                format!("require {}", groups.join(", "))
            }
            StatementKind::When(expr) => format!("when {}", self.expr(expr)),
            StatementKind::AllowFrom(nets) => format!("allow from {}", join_nodes(nets)),
            StatementKind::DenyFrom(nets) => format!("deny from {}", join_nodes(nets)),
            StatementKind::Quota(quotas) => {
                format!(
                    "quota {}",
                    quotas
                        .iter()
                        .map(|q| self.quota(q))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            StatementKind::BodyMax(size) => format!("body max {}", self.slice(size.span)),
            StatementKind::BodyTypes(types) => {
                format!(
                    "body types {}",
                    types
                        .iter()
                        .map(|t| self.slice(t.span))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            StatementKind::BodyJson { limits, .. } => {
                if limits.is_empty() {
                    "body json".into()
                } else {
                    let args: Vec<String> = limits
                        .iter()
                        .map(|l| format!("{}: {}", l.name.node, self.slice(l.value.span)))
                        .collect();
                    format!("body json limits({})", args.join(", "))
                }
            }
            StatementKind::Query(fields) if fields.only.is_some() => "query only".into(),
            StatementKind::Query(_) => "query".into(),
            StatementKind::Headers(_) => "headers".into(),
            StatementKind::ResponseOnly(paths) => {
                format!(
                    "response only {}",
                    paths
                        .iter()
                        .map(|p| p.text.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            StatementKind::Mask { paths, strategy } => {
                let paths = paths
                    .iter()
                    .map(|p| p.text.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                let strategy = match &strategy.node {
                    MaskStrategyAst::With(name) => format!("with {}", name.node),
                    MaskStrategyAst::Keep { end, count } => {
                        let end = match end {
                            crate::syntax::ast::KeepEnd::First => "first",
                            crate::syntax::ast::KeepEnd::Last => "last",
                        };
                        format!("keep {end} {}", self.slice(count.span))
                    }
                };
                format!("mask response {paths} {strategy}")
            }
        }
    }

    fn quota(&self, q: &QuotaAst) -> String {
        let mut out = format!("{}/{}", self.slice(q.rate.span), q.window.node);
        if let Some(burst) = &q.burst {
            out.push_str(&format!(" burst {}", self.slice(burst.span)));
        }
        out.push_str(&format!(" by {}", self.slice(q.key.span)));
        if let Some(cost) = &q.cost {
            out.push_str(&format!(" cost {}", self.slice(cost.span)));
        }
        out
    }

    /// `name?: ` and the type up to an object block, and what follows the
    /// block (modifiers), for a field whose innermost type is an object.
    pub fn field_head(&self, field: &FieldAst) -> String {
        let optional = if field.optional { "?" } else { "" };
        format!("{}{optional}:", self.slice(field.name.span))
    }

    /// The type, split around an object block if its innermost type is
    /// one: (text before the block, the block, text after it). Without an
    /// object, the whole type is the first part.
    pub fn type_parts<'t>(&self, ty: &'t TypeExpr) -> (String, Option<&'t Fields>, String) {
        let mut prefix = String::new();
        let mut current = ty;
        while let TypeKind::Array { range, items } = &current.kind {
            prefix.push_str("array");
            if let Some(range) = range {
                prefix.push_str(&self.range(range));
            }
            prefix.push_str(" of ");
            current = items;
        }
        let modifiers: String = current
            .modifiers
            .iter()
            .map(|m| format!(" {}", self.modifier(m)))
            .collect();
        match &current.kind {
            TypeKind::Object(fields) => (prefix.trim_end().to_string(), Some(fields), modifiers),
            TypeKind::Scalar { name, range } => {
                let range = range.as_ref().map(|r| self.range(r)).unwrap_or_default();
                (
                    format!("{prefix}{}{range}{modifiers}", name.node),
                    None,
                    String::new(),
                )
            }
            TypeKind::Enum(values) => {
                let values: Vec<&str> = values.iter().map(|v| self.slice(v.span)).collect();
                (
                    format!("{prefix}enum({}){modifiers}", values.join(", ")),
                    None,
                    String::new(),
                )
            }
            // Unreachable: the loop above walks through every array.
            TypeKind::Array { .. } => (prefix, None, modifiers),
        }
    }

    fn range(&self, range: &RangeAst) -> String {
        let min = range.min.as_ref().map(|b| self.slice(b.span)).unwrap_or("");
        let max = range.max.as_ref().map(|b| self.slice(b.span)).unwrap_or("");
        format!("({min}..{max})")
    }

    fn modifier(&self, modifier: &TypeModifier) -> String {
        match modifier {
            TypeModifier::Matches(pattern) => format!("matches {}", self.slice(pattern.span)),
            TypeModifier::Format(name) => format!("format {}", name.node),
        }
    }

    // ------------------------------------------------------------ conditions

    /// A condition with the fewest brackets that keep its structure, except
    /// that an `and` inside an `or` is always bracketed: `(a and b) or c`
    /// says what it means to a reader who does not know the precedence.
    pub fn expr(&self, expr: &Expr) -> String {
        match &expr.kind {
            ExprKind::Or(parts) => parts
                .iter()
                .map(|p| match p.kind {
                    ExprKind::Or(_) | ExprKind::And(_) => format!("({})", self.expr(p)),
                    _ => self.expr(p),
                })
                .collect::<Vec<_>>()
                .join(" or "),
            ExprKind::And(parts) => parts
                .iter()
                .map(|p| match p.kind {
                    ExprKind::Or(_) | ExprKind::And(_) => format!("({})", self.expr(p)),
                    _ => self.expr(p),
                })
                .collect::<Vec<_>>()
                .join(" and "),
            ExprKind::Not(inner) => match inner.kind {
                ExprKind::Or(_) | ExprKind::And(_) | ExprKind::Not(_) => {
                    format!("not ({})", self.expr(inner))
                }
                _ => format!("not {}", self.expr(inner)),
            },
            ExprKind::Compare { op, left, right } => {
                format!(
                    "{} {} {}",
                    self.operand(left),
                    op.node.as_str(),
                    self.operand(right)
                )
            }
            ExprKind::In { left, right } => {
                format!("{} in {}", self.operand(left), self.operand(right))
            }
            ExprKind::Has { left, scope } => format!("{} has {}", self.operand(left), scope.node),
            ExprKind::Like { left, pattern } => {
                format!("{} like {}", self.operand(left), self.slice(pattern.span))
            }
            ExprKind::Value(operand) => self.operand(operand),
        }
    }

    fn operand(&self, operand: &Operand) -> String {
        match &operand.kind {
            OperandKind::List(items) => {
                format!(
                    "[{}]",
                    items
                        .iter()
                        .map(|i| self.slice(i.span))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            OperandKind::Literal(_) | OperandKind::Ref(_) => self.slice(operand.span).to_string(),
        }
    }
}

fn join_nodes(items: &[crate::span::Spanned<String>]) -> String {
    items
        .iter()
        .map(|i| i.node.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
