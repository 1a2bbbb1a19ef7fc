//! Parse tree to AST.
//!
//! The grammar guarantees the shape of each pair, but this code does not rely
//! on that with `unwrap`: a pair that is not where it should be becomes a
//! `GH-E0001` diagnostic ("the parser lost track") and the node is dropped.

use pest::iterators::{Pair, Pairs};

use super::ast::*;
use super::Rule;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::span::{FileId, Span, Spanned};

/// `array of` may repeat this often in one type. Deeper types are rejected so
/// that later stages can recurse over types without risking the stack.
pub const MAX_ARRAY_NESTING: usize = 16;

pub(crate) struct Builder {
    file: FileId,
    diagnostics: Diagnostics,
}

type P<'i> = Pair<'i, Rule>;

impl Builder {
    pub(crate) fn new(file: FileId) -> Builder {
        Builder {
            file,
            diagnostics: Diagnostics::default(),
        }
    }

    pub(crate) fn into_diagnostics(self) -> Diagnostics {
        self.diagnostics
    }

    /// The pair's span without trailing whitespace and comments, which
    /// pest includes when a rule ends in an optional or repeated part.
    fn span(&self, pair: &P<'_>) -> Span {
        let span = pair.as_span();
        let text = pair.as_str();
        Span::new(self.file, span.start(), span.start() + trimmed_len(text))
    }

    fn ident(&self, pair: &P<'_>) -> Ident {
        Spanned::new(pair.as_str().to_string(), self.span(pair))
    }

    /// Records that a pair was not what the grammar promised. Reaching this is
    /// a bug in Gatehouse, reported as a diagnostic rather than a panic.
    fn lost(&mut self, span: Span, what: &str) {
        self.diagnostics.push(
            Diagnostic::new(
                Code::Syntax,
                span,
                format!("the parser lost track while reading {what}"),
            )
            .label("here")
            .help("this is a bug in Gatehouse; please report it with this policy"),
        );
    }

    pub(crate) fn policy(&mut self, mut pairs: Pairs<'_, Rule>) -> Option<PolicyAst> {
        let policy = pairs.next()?;
        let span = self.span(&policy);
        let items = policy
            .into_inner()
            .filter(|p| p.as_rule() != Rule::EOI)
            .filter_map(|p| self.item(p))
            .collect();
        Some(PolicyAst { items, span })
    }

    fn item(&mut self, pair: P<'_>) -> Option<Item> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let kind = match rule {
            Rule::api_decl => {
                let mut strings = pair.into_inner().filter(|p| p.as_rule() == Rule::string);
                let name = self.string(strings.next()?);
                let version = strings.next().map(|p| self.string(p));
                ItemKind::Api { name, version }
            }
            Rule::owner_decl => ItemKind::Owner(self.string(find(pair, Rule::string)?)),
            Rule::host_decl => ItemKind::Host(self.string(find(pair, Rule::string)?)),
            Rule::base_decl => ItemKind::Base(self.path_pattern(find(pair, Rule::path_pattern)?)),
            Rule::auth_decl => {
                let mut names = Vec::new();
                let mut args = Vec::new();
                for inner in pair.into_inner() {
                    match inner.as_rule() {
                        Rule::name => names.push(self.ident(&inner)),
                        Rule::auth_arg => args.extend(self.auth_arg(inner)),
                        _ => {}
                    }
                }
                let mut names = names.into_iter();
                let (Some(name), Some(kind)) = (names.next(), names.next()) else {
                    self.lost(span, "an auth declaration");
                    return None;
                };
                ItemKind::Auth(AuthDecl { name, kind, args })
            }
            Rule::scopes_block => ItemKind::Scopes(
                pair.into_inner()
                    .filter(|p| p.as_rule() == Rule::scope_decl)
                    .filter_map(|p| self.scope_decl(p))
                    .collect(),
            ),
            Rule::options_block => ItemKind::Options(
                pair.into_inner()
                    .filter(|p| p.as_rule() == Rule::option)
                    .filter_map(|p| self.option(p))
                    .collect(),
            ),
            Rule::defaults_block => ItemKind::Defaults(self.statements(pair.into_inner())),
            Rule::endpoint => {
                let mut method = None;
                let mut path = None;
                let mut head_end = span.start;
                let mut body = Vec::new();
                for inner in pair.into_inner() {
                    match inner.as_rule() {
                        Rule::method => method = Some(self.ident(&inner)),
                        Rule::path_pattern => {
                            head_end = self.span(&inner).end;
                            path = Some(self.path_pattern(inner));
                        }
                        _ => body.extend(self.statement(inner)),
                    }
                }
                let (Some(method), Some(path)) = (method, path) else {
                    self.lost(span, "an endpoint");
                    return None;
                };
                let head_span = Span {
                    file: self.file,
                    start: span.start,
                    end: head_end,
                };
                ItemKind::Endpoint(EndpointAst {
                    method,
                    path,
                    body,
                    head_span,
                })
            }
            _ => {
                self.lost(span, "a top-level item");
                return None;
            }
        };
        Some(Item { kind, span })
    }

    fn auth_arg(&mut self, pair: P<'_>) -> Option<AuthArg> {
        let mut inner = pair.into_inner();
        let name = self.ident(&inner.next()?);
        let value = self.literal(inner.next()?)?;
        Some(AuthArg { name, value })
    }

    fn scope_decl(&mut self, pair: P<'_>) -> Option<ScopeDecl> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let name = self.ident(&inner.next()?);
        let description = inner.next().map(|p| self.string(p));
        Some(ScopeDecl {
            name,
            description,
            span,
        })
    }

    fn option(&mut self, pair: P<'_>) -> Option<OptionAst> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let name = self.ident(&inner.next()?);
        let mut values = Vec::new();
        for value in inner {
            let value_span = self.span(&value);
            let node = match value.as_rule() {
                Rule::string => OptionValue::String(self.string(value).node),
                Rule::cidr => OptionValue::Cidr(value.as_str().to_string()),
                Rule::size => OptionValue::Size(self.size(&value)?),
                Rule::number => OptionValue::Number(self.number(&value)?),
                Rule::name => OptionValue::Name(value.as_str().to_string()),
                _ => continue,
            };
            values.push(Spanned::new(node, value_span));
        }
        Some(OptionAst { name, values, span })
    }

    fn statements(&mut self, pairs: Pairs<'_, Rule>) -> Vec<Statement> {
        pairs.filter_map(|p| self.statement(p)).collect()
    }

    fn statement(&mut self, pair: P<'_>) -> Option<Statement> {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::shadow_flag => StatementKind::ShadowFlag,
            Rule::shadow_block => StatementKind::ShadowBlock(self.statements(pair.into_inner())),
            Rule::public_rule => StatementKind::Public,
            Rule::authenticate_rule => StatementKind::Authenticate(
                pair.into_inner()
                    .filter(|p| p.as_rule() == Rule::name)
                    .map(|p| self.ident(&p))
                    .collect(),
            ),
            Rule::require_rule => StatementKind::Require(
                pair.into_inner()
                    .filter(|p| p.as_rule() == Rule::scope_any)
                    .map(|any| any.into_inner().map(|p| self.ident(&p)).collect())
                    .collect(),
            ),
            Rule::when_rule => StatementKind::When(self.expr(find(pair, Rule::expr)?)?),
            Rule::allow_from_rule => StatementKind::AllowFrom(self.cidrs(pair)),
            Rule::deny_from_rule => StatementKind::DenyFrom(self.cidrs(pair)),
            Rule::quota_rule => StatementKind::Quota(
                pair.into_inner()
                    .filter(|p| p.as_rule() == Rule::quota)
                    .filter_map(|p| self.quota(p))
                    .collect(),
            ),
            Rule::body_rule => self.body(find_any(
                pair,
                &[Rule::body_max, Rule::body_types, Rule::body_json],
            )?)?,
            Rule::query_rule => {
                let only = pair
                    .clone()
                    .into_inner()
                    .find(|p| p.as_rule() == Rule::kw_only)
                    .map(|p| self.span(&p));
                let mut fields = self.fields(find(pair, Rule::fields)?)?;
                fields.only = only;
                StatementKind::Query(fields)
            }
            Rule::headers_rule => StatementKind::Headers(self.fields(find(pair, Rule::fields)?)?),
            Rule::response_only_rule => StatementKind::ResponseOnly(self.json_paths(pair)),
            Rule::mask_rule => {
                let strategy = find(pair.clone(), Rule::mask_strategy)?;
                let strategy = self.mask_strategy(strategy)?;
                StatementKind::Mask {
                    paths: self.json_paths(pair),
                    strategy,
                }
            }
            // Keywords and punctuation pairs inside an endpoint head.
            rule if is_keyword(rule) => return None,
            _ => {
                self.lost(span, "a statement");
                return None;
            }
        };
        Some(Statement { kind, span })
    }

    fn cidrs(&mut self, pair: P<'_>) -> Vec<Spanned<String>> {
        pair.into_inner()
            .filter(|p| p.as_rule() == Rule::cidr)
            .map(|p| self.ident(&p))
            .collect()
    }

    fn json_paths(&mut self, pair: P<'_>) -> Vec<JsonPathAst> {
        pair.into_inner()
            .filter(|p| p.as_rule() == Rule::json_path)
            .filter_map(|p| self.json_path(p))
            .collect()
    }

    fn quota(&mut self, pair: P<'_>) -> Option<QuotaAst> {
        let span = self.span(&pair);
        let mut rate = None;
        let mut window = None;
        let mut burst = None;
        let mut key = None;
        let mut cost = None;
        let mut after = Rule::quota;
        for inner in pair.into_inner() {
            match inner.as_rule() {
                Rule::integer => {
                    let value = Spanned::new(self.integer(&inner)?, self.span(&inner));
                    match after {
                        Rule::kw_burst => burst = Some(value),
                        Rule::kw_cost => cost = Some(value),
                        _ => rate = Some(value),
                    }
                }
                Rule::name => window = Some(self.ident(&inner)),
                Rule::reference => key = Some(self.reference(inner)?),
                rule => after = rule,
            }
        }
        let (Some(rate), Some(window), Some(key)) = (rate, window, key) else {
            self.lost(span, "a quota");
            return None;
        };
        Some(QuotaAst {
            rate,
            window,
            burst,
            key,
            cost,
            span,
        })
    }

    fn body(&mut self, pair: P<'_>) -> Option<StatementKind> {
        Some(match pair.as_rule() {
            Rule::body_max => {
                let size = find(pair, Rule::size)?;
                StatementKind::BodyMax(Spanned::new(self.size(&size)?, self.span(&size)))
            }
            Rule::body_types => StatementKind::BodyTypes(
                pair.into_inner()
                    .filter(|p| p.as_rule() == Rule::string)
                    .map(|p| self.string(p))
                    .collect(),
            ),
            _ => {
                let mut limits = Vec::new();
                let mut fields = None;
                for inner in pair.into_inner() {
                    match inner.as_rule() {
                        Rule::json_limits => {
                            for arg in inner
                                .into_inner()
                                .filter(|p| p.as_rule() == Rule::limit_arg)
                            {
                                limits.extend(self.limit_arg(arg));
                            }
                        }
                        Rule::fields => fields = self.fields(inner),
                        _ => {}
                    }
                }
                StatementKind::BodyJson { limits, fields }
            }
        })
    }

    fn limit_arg(&mut self, pair: P<'_>) -> Option<LimitArg> {
        let mut inner = pair.into_inner();
        let name = self.ident(&inner.next()?);
        let value = inner.next()?;
        let span = self.span(&value);
        let amount = match value.as_rule() {
            Rule::size => self.size(&value)?,
            _ => {
                let n = self.integer(&value)?;
                match u64::try_from(n) {
                    Ok(n) => n,
                    Err(_) => {
                        self.diagnostics.push(
                            Diagnostic::new(
                                Code::NumberOutOfRange,
                                span,
                                "a limit cannot be negative",
                            )
                            .label("negative")
                            .help("limits count bytes, items or levels: use 0 or more"),
                        );
                        return None;
                    }
                }
            }
        };
        Some(LimitArg {
            name,
            value: Spanned::new(amount, span),
        })
    }

    fn fields(&mut self, pair: P<'_>) -> Option<Fields> {
        let span = self.span(&pair);
        let mut fields = Vec::new();
        let mut allow_unknown = None;
        for inner in pair.into_inner() {
            match inner.as_rule() {
                Rule::field_rest => allow_unknown = Some(self.span(&inner)),
                Rule::field => fields.extend(self.field(inner)),
                _ => {}
            }
        }
        Some(Fields {
            fields,
            allow_unknown,
            only: None,
            span,
        })
    }

    fn field(&mut self, pair: P<'_>) -> Option<FieldAst> {
        let span = self.span(&pair);
        let mut name = None;
        let mut optional = false;
        let mut ty = None;
        for inner in pair.into_inner() {
            match inner.as_rule() {
                Rule::field_name => {
                    let name_span = self.span(&inner);
                    let text = match inner.into_inner().next() {
                        Some(p) if p.as_rule() == Rule::string => self.string(p).node,
                        Some(p) => p.as_str().to_string(),
                        None => String::new(),
                    };
                    name = Some(Spanned::new(text, name_span));
                }
                Rule::optional_mark => optional = true,
                Rule::type_expr => ty = self.type_expr(inner),
                _ => {}
            }
        }
        Some(FieldAst {
            name: name?,
            optional,
            ty: ty?,
            span,
        })
    }

    fn type_expr(&mut self, pair: P<'_>) -> Option<TypeExpr> {
        let span = self.span(&pair);
        let mut arrays: Vec<(Option<RangeAst>, Span)> = Vec::new();
        let mut kind = None;
        let mut modifiers = Vec::new();
        for inner in pair.into_inner() {
            let inner_span = self.span(&inner);
            match inner.as_rule() {
                Rule::array_prefix => {
                    let range = inner
                        .into_inner()
                        .find(|p| p.as_rule() == Rule::range)
                        .and_then(|r| self.range(r));
                    arrays.push((range, inner_span));
                }
                Rule::scalar_type => {
                    let mut parts = inner.into_inner();
                    let name = self.ident(&parts.next()?);
                    let range = parts.next().and_then(|r| self.range(r));
                    kind = Some((TypeKind::Scalar { name, range }, inner_span));
                }
                Rule::enum_type => {
                    let values = inner
                        .into_inner()
                        .filter(|p| !is_keyword(p.as_rule()))
                        .filter_map(|p| self.literal(p))
                        .collect();
                    kind = Some((TypeKind::Enum(values), inner_span));
                }
                Rule::object_type => {
                    let fields = self.fields(find(inner, Rule::fields)?)?;
                    kind = Some((TypeKind::Object(fields), inner_span));
                }
                Rule::type_modifier => {
                    let mut parts = inner.into_inner();
                    let keyword = parts.next()?;
                    let value = parts.next()?;
                    modifiers.push(match keyword.as_rule() {
                        Rule::kw_matches => TypeModifier::Matches(self.string(value)),
                        _ => TypeModifier::Format(self.ident(&value)),
                    });
                }
                _ => {}
            }
        }
        if arrays.len() > MAX_ARRAY_NESTING {
            self.diagnostics.push(
                Diagnostic::new(Code::InvalidBodyRule, span, "arrays nest too deeply")
                    .label(format!("{} levels of `array of`", arrays.len()))
                    .help(format!(
                        "at most {MAX_ARRAY_NESTING} levels of `array of` are allowed"
                    )),
            );
            return None;
        }
        let (kind, kind_span) = kind?;
        // Modifiers belong to the innermost (element) type.
        let mut ty = TypeExpr {
            kind,
            modifiers,
            span: kind_span.to(span),
        };
        for (range, prefix_span) in arrays.into_iter().rev() {
            let ty_span = prefix_span.to(ty.span);
            ty = TypeExpr {
                kind: TypeKind::Array {
                    range,
                    items: Box::new(ty),
                },
                modifiers: Vec::new(),
                span: ty_span,
            };
        }
        Some(ty)
    }

    fn range(&mut self, pair: P<'_>) -> Option<RangeAst> {
        let span = self.span(&pair);
        // The `..` separator is not a pair; find it to tell `(5..)` from `(..5)`.
        let dots = pair.as_str().find("..").map_or(span.start, |i| {
            span.start.saturating_add(u32::try_from(i).unwrap_or(0))
        });
        let mut min = None;
        let mut max = None;
        for bound in pair.into_inner() {
            let bound_span = self.span(&bound);
            let value = match bound.as_rule() {
                Rule::size => Number::Int(i64::try_from(self.size(&bound)?).unwrap_or(i64::MAX)),
                _ => self.number(&bound)?,
            };
            if bound_span.end <= dots {
                min = Some(Spanned::new(value, bound_span));
            } else {
                max = Some(Spanned::new(value, bound_span));
            }
        }
        Some(RangeAst { min, max, span })
    }

    fn mask_strategy(&mut self, pair: P<'_>) -> Option<Spanned<MaskStrategyAst>> {
        let span = self.span(&pair);
        let mut end = None;
        let mut count = None;
        let mut with = None;
        for inner in pair.into_inner() {
            match inner.as_rule() {
                Rule::name => with = Some(self.ident(&inner)),
                Rule::keep_end => {
                    end = Some(if inner.as_str().trim() == "first" {
                        KeepEnd::First
                    } else {
                        KeepEnd::Last
                    });
                }
                Rule::integer => {
                    count = Some(Spanned::new(self.integer(&inner)?, self.span(&inner)))
                }
                _ => {}
            }
        }
        let node = match (with, end, count) {
            (Some(name), _, _) => MaskStrategyAst::With(name),
            (None, Some(end), Some(count)) => MaskStrategyAst::Keep { end, count },
            _ => {
                self.lost(span, "a mask strategy");
                return None;
            }
        };
        Some(Spanned::new(node, span))
    }

    fn json_path(&mut self, pair: P<'_>) -> Option<JsonPathAst> {
        let span = self.span(&pair);
        let text = pair.as_str().to_string();
        let mut steps = Vec::new();
        for step in pair.into_inner() {
            let step_span = self.span(&step);
            let rule = step.as_rule();
            let inner = step.into_inner().next()?;
            let node = match (rule, inner.as_rule()) {
                (_, Rule::jp_wild) => JsonStep::Wildcard,
                (Rule::jp_descend, _) => JsonStep::Descend(inner.as_str().to_string()),
                (_, Rule::jp_index) => match inner.as_str().parse::<u64>() {
                    Ok(index) => JsonStep::Index(index),
                    Err(_) => {
                        self.diagnostics.push(
                            Diagnostic::new(
                                Code::NumberOutOfRange,
                                step_span,
                                "array index is too large",
                            )
                            .label("this index")
                            .help("indexes must fit in 64 bits"),
                        );
                        return None;
                    }
                },
                (_, Rule::string) => JsonStep::Child(self.string(inner).node),
                _ => JsonStep::Child(inner.as_str().to_string()),
            };
            steps.push(Spanned::new(node, step_span));
        }
        Some(JsonPathAst { steps, text, span })
    }

    fn path_pattern(&mut self, pair: P<'_>) -> PathPattern {
        let span = self.span(&pair);
        let text = pair.as_str().to_string();
        let mut segments = Vec::new();
        let mut trailing_slash = None;
        for inner in pair.into_inner() {
            let seg_span = self.span(&inner);
            let node = match inner.as_rule() {
                Rule::seg_rest => SegmentAst::Rest,
                Rule::seg_star => SegmentAst::Star,
                Rule::seg_literal => SegmentAst::Literal(inner.as_str().to_string()),
                Rule::seg_param => {
                    let mut parts = inner.into_inner();
                    let Some(name) = parts.next() else { continue };
                    let name = self.ident(&name);
                    let ty = parts.next().map(|p| self.ident(&p));
                    SegmentAst::Param { name, ty }
                }
                Rule::trailing_slash => {
                    trailing_slash = Some(seg_span);
                    continue;
                }
                _ => continue,
            };
            segments.push(Spanned::new(node, seg_span));
        }
        PathPattern {
            segments,
            trailing_slash,
            span,
            text,
        }
    }

    // ------------------------------------------------------------ conditions

    fn expr(&mut self, pair: P<'_>) -> Option<Expr> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::expr => self.expr(pair.into_inner().next()?),
            Rule::or_expr | Rule::and_expr => {
                let is_or = pair.as_rule() == Rule::or_expr;
                let mut parts: Vec<Expr> = Vec::new();
                for inner in pair.into_inner() {
                    if is_keyword(inner.as_rule()) {
                        continue;
                    }
                    parts.push(self.expr(inner)?);
                }
                if parts.len() == 1 {
                    return parts.pop();
                }
                let kind = if is_or {
                    ExprKind::Or(parts)
                } else {
                    ExprKind::And(parts)
                };
                Some(Expr { kind, span })
            }
            Rule::not_expr => {
                let mut negations = 0usize;
                let mut operand = None;
                for inner in pair.into_inner() {
                    if inner.as_rule() == Rule::kw_not {
                        negations += 1;
                    } else {
                        operand = self.expr(inner);
                    }
                }
                let operand = operand?;
                // `not not x` is `x`; keeping one node at most avoids deep trees.
                if negations % 2 == 0 {
                    Some(operand)
                } else {
                    Some(Expr {
                        kind: ExprKind::Not(Box::new(operand)),
                        span,
                    })
                }
            }
            Rule::condition => self.condition(pair),
            _ => {
                self.lost(span, "a condition");
                None
            }
        }
    }

    fn condition(&mut self, pair: P<'_>) -> Option<Expr> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let left = self.operand(inner.next()?)?;
        let Some(connective) = inner.next() else {
            return Some(Expr {
                kind: ExprKind::Value(left),
                span,
            });
        };
        let right = inner.next()?;
        let kind = match connective.as_rule() {
            Rule::cmp_op => {
                let op = match connective.as_str() {
                    "==" => CmpOp::Eq,
                    "!=" => CmpOp::Ne,
                    "<" => CmpOp::Lt,
                    "<=" => CmpOp::Le,
                    ">" => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                let op = Spanned::new(op, self.span(&connective));
                ExprKind::Compare {
                    op,
                    left,
                    right: self.operand(right)?,
                }
            }
            Rule::kw_in => ExprKind::In {
                left,
                right: self.operand(right)?,
            },
            Rule::kw_has => ExprKind::Has {
                left,
                scope: self.ident(&right),
            },
            Rule::kw_like => ExprKind::Like {
                left,
                pattern: self.string(right),
            },
            _ => {
                self.lost(span, "a condition");
                return None;
            }
        };
        Some(Expr { kind, span })
    }

    fn operand(&mut self, pair: P<'_>) -> Option<Operand> {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::list => {
                OperandKind::List(pair.into_inner().filter_map(|p| self.literal(p)).collect())
            }
            Rule::reference => OperandKind::Ref(self.reference(pair)?),
            _ => OperandKind::Literal(self.literal(pair)?.node),
        };
        Some(Operand { kind, span })
    }

    fn reference(&mut self, pair: P<'_>) -> Option<Reference> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let root = self.ident(&inner.next()?);
        let path = inner
            .map(|p| match p.as_rule() {
                Rule::string => self.string(p),
                _ => self.ident(&p),
            })
            .collect();
        Some(Reference { root, path, span })
    }

    // ------------------------------------------------------------ tokens

    fn literal(&mut self, pair: P<'_>) -> Option<Spanned<Literal>> {
        let span = self.span(&pair);
        let literal = match pair.as_rule() {
            Rule::string => Literal::String(self.string(pair).node),
            Rule::boolean => Literal::Bool(pair.as_str() == "true"),
            Rule::number | Rule::integer => match self.number(&pair)? {
                Number::Int(n) => Literal::Int(n),
                Number::Float(f) => Literal::Float(f),
            },
            _ => {
                self.lost(span, "a value");
                return None;
            }
        };
        Some(Spanned::new(literal, span))
    }

    fn string(&mut self, pair: P<'_>) -> Spanned<String> {
        let span = self.span(&pair);
        let raw = pair.into_inner().next().map_or("", |p| p.as_str());
        let inner_start = span.start as usize + 1;
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.char_indices();
        while let Some((_, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some((_, '"')) => out.push('"'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, 'r')) => out.push('\r'),
                Some((offset, other)) => {
                    let at = inner_start + offset - 1;
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::InvalidEscape,
                            Span::new(self.file, at, at + 1 + other.len_utf8()),
                            format!("unknown escape sequence `\\{other}`"),
                        )
                        .label("not a valid escape")
                        .help("strings support `\\\"`, `\\\\`, `\\n`, `\\t` and `\\r`; write `\\\\` for a backslash"),
                    );
                    out.push(other);
                }
                None => out.push('\\'),
            }
        }
        Spanned::new(out, span)
    }

    fn integer(&mut self, pair: &P<'_>) -> Option<i64> {
        match pair.as_str().parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::NumberOutOfRange,
                        self.span(pair),
                        "number does not fit in 64 bits",
                    )
                    .label("too large")
                    .help(format!(
                        "numbers must lie between {} and {}",
                        i64::MIN,
                        i64::MAX
                    )),
                );
                None
            }
        }
    }

    fn number(&mut self, pair: &P<'_>) -> Option<Number> {
        let text = pair.as_str();
        if text.contains('.') {
            match text.parse::<f64>() {
                Ok(f) if f.is_finite() => Some(Number::Float(f)),
                _ => {
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::NumberOutOfRange,
                            self.span(pair),
                            "number is out of range",
                        )
                        .label("not a finite number"),
                    );
                    None
                }
            }
        } else {
            self.integer(pair).map(Number::Int)
        }
    }

    fn size(&mut self, pair: &P<'_>) -> Option<u64> {
        let text = pair.as_str();
        let split = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (digits, unit) = text.split_at(split);
        let multiplier: u64 = match unit {
            "KB" => 1_000,
            "KiB" => 1 << 10,
            "MB" => 1_000_000,
            "MiB" => 1 << 20,
            "GB" => 1_000_000_000,
            "GiB" => 1 << 30,
            _ => 1,
        };
        match digits
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(multiplier))
        {
            Some(bytes) => Some(bytes),
            None => {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::NumberOutOfRange,
                        self.span(pair),
                        "size does not fit in 64 bits",
                    )
                    .label("too large")
                    .help("sizes are counted in bytes and must be below 16 EiB"),
                );
                None
            }
        }
    }
}

/// The length of `text` without trailing whitespace and `#` comments. A `#`
/// inside a string is not a comment; strings never span lines.
fn trimmed_len(text: &str) -> usize {
    let mut end = text.len();
    loop {
        let trimmed = text.get(..end).unwrap_or("").trim_end();
        end = trimmed.len();
        let line_start = trimmed.rfind('\n').map_or(0, |i| i + 1);
        let line = trimmed.get(line_start..).unwrap_or("");
        match comment_start(line) {
            Some(i) if line_start + i < end => end = line_start + i,
            _ => return end,
        }
    }
}

/// Where a `#` comment starts in one line, outside string literals.
fn comment_start(line: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '#' if !in_string => return Some(i),
            _ => {}
        }
    }
    None
}

fn find(pair: P<'_>, kind: Rule) -> Option<P<'_>> {
    pair.into_inner().find(|p| p.as_rule() == kind)
}

fn find_any<'i>(pair: P<'i>, rules: &[Rule]) -> Option<P<'i>> {
    pair.into_inner().find(|p| rules.contains(&p.as_rule()))
}

/// Keyword pairs carry no information beyond their presence.
fn is_keyword(kind: Rule) -> bool {
    matches!(
        kind,
        Rule::kw_allow
            | Rule::kw_and
            | Rule::kw_api
            | Rule::kw_array
            | Rule::kw_auth
            | Rule::kw_authenticate
            | Rule::kw_base
            | Rule::kw_body
            | Rule::kw_burst
            | Rule::kw_by
            | Rule::kw_cost
            | Rule::kw_defaults
            | Rule::kw_deny
            | Rule::kw_endpoint
            | Rule::kw_enum
            | Rule::kw_first
            | Rule::kw_format
            | Rule::kw_from
            | Rule::kw_has
            | Rule::kw_headers
            | Rule::kw_host
            | Rule::kw_in
            | Rule::kw_json
            | Rule::kw_keep
            | Rule::kw_last
            | Rule::kw_like
            | Rule::kw_limits
            | Rule::kw_mask
            | Rule::kw_matches
            | Rule::kw_max
            | Rule::kw_not
            | Rule::kw_object
            | Rule::kw_of
            | Rule::kw_only
            | Rule::kw_options
            | Rule::kw_or
            | Rule::kw_owner
            | Rule::kw_public
            | Rule::kw_query
            | Rule::kw_quota
            | Rule::kw_require
            | Rule::kw_response
            | Rule::kw_scopes
            | Rule::kw_shadow
            | Rule::kw_types
            | Rule::kw_version
            | Rule::kw_when
            | Rule::kw_with
    )
}
