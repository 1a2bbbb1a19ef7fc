//! Span-blind equality of ASTs: whether two policies say the same thing,
//! however each was laid out. The formatter uses it to prove that its
//! output parses back to the policy it was given.
//!
//! [`EraseSpans`] sets every span of a tree to the default; two erased
//! trees are then compared with their derived `PartialEq`. (Comparing
//! `Debug` renderings with the spans cut out did the same, but kept every
//! AST `Debug` impl in the WebAssembly module.) A span added to the AST
//! and not erased here makes formatting fail loudly in the tests, never
//! pass silently.

use super::ast::*;
use crate::span::{Span, Spanned};

/// Whether two ASTs are equal but for their spans (which it erases).
pub fn same_policy(mut a: PolicyAst, mut b: PolicyAst) -> bool {
    a.erase_spans();
    b.erase_spans();
    a == b
}

pub trait EraseSpans {
    fn erase_spans(&mut self);
}

impl EraseSpans for Span {
    fn erase_spans(&mut self) {
        *self = Span::default();
    }
}

impl<T: EraseSpans> EraseSpans for Spanned<T> {
    fn erase_spans(&mut self) {
        self.span.erase_spans();
        self.node.erase_spans();
    }
}

impl<T: EraseSpans> EraseSpans for Vec<T> {
    fn erase_spans(&mut self) {
        self.iter_mut().for_each(EraseSpans::erase_spans);
    }
}

impl<T: EraseSpans> EraseSpans for Option<T> {
    fn erase_spans(&mut self) {
        self.iter_mut().for_each(EraseSpans::erase_spans);
    }
}

impl<T: EraseSpans> EraseSpans for Box<T> {
    fn erase_spans(&mut self) {
        (**self).erase_spans();
    }
}

/// Leaves: values with no span inside.
macro_rules! no_spans {
    ($($ty:ty),*) => {
        $(impl EraseSpans for $ty {
            fn erase_spans(&mut self) {}
        })*
    };
}
no_spans!(
    String,
    i64,
    u64,
    Literal,
    Number,
    OptionValue,
    JsonStep,
    CmpOp,
    KeepEnd
);

/// Erases the spans of the listed fields of a struct.
macro_rules! fields {
    ($ty:ty { $($field:ident),* }) => {
        impl EraseSpans for $ty {
            fn erase_spans(&mut self) {
                $(self.$field.erase_spans();)*
            }
        }
    };
}
fields!(PolicyAst { items, span });
fields!(Item { kind, span });
fields!(AuthDecl { name, kind, args });
fields!(AuthArg { name, value });
fields!(ScopeDecl {
    name,
    description,
    span
});
fields!(OptionAst { name, values, span });
fields!(EndpointAst {
    method,
    path,
    body,
    head_span
});
fields!(PathPattern {
    segments,
    trailing_slash,
    span
});
fields!(Statement { kind, span });
fields!(QuotaAst {
    rate,
    window,
    burst,
    key,
    cost,
    span
});
fields!(LimitArg { name, value });
fields!(Fields {
    fields,
    allow_unknown,
    only,
    span
});
fields!(FieldAst { name, ty, span });
fields!(TypeExpr {
    kind,
    modifiers,
    span
});
fields!(RangeAst { min, max, span });
fields!(JsonPathAst { steps, span });
fields!(Expr { kind, span });
fields!(Operand { kind, span });
fields!(Reference { root, path, span });

impl EraseSpans for ItemKind {
    fn erase_spans(&mut self) {
        match self {
            ItemKind::Api { name, version } => {
                name.erase_spans();
                version.erase_spans();
            }
            ItemKind::Owner(text) | ItemKind::Host(text) => text.erase_spans(),
            ItemKind::Base(path) => path.erase_spans(),
            ItemKind::Auth(auth) => auth.erase_spans(),
            ItemKind::Scopes(scopes) => scopes.erase_spans(),
            ItemKind::Options(options) => options.erase_spans(),
            ItemKind::Defaults(statements) => statements.erase_spans(),
            ItemKind::Endpoint(endpoint) => endpoint.erase_spans(),
        }
    }
}

impl EraseSpans for SegmentAst {
    fn erase_spans(&mut self) {
        match self {
            SegmentAst::Param { name, ty } => {
                name.erase_spans();
                ty.erase_spans();
            }
            SegmentAst::Literal(_) | SegmentAst::Star | SegmentAst::Rest => {}
        }
    }
}

impl EraseSpans for StatementKind {
    fn erase_spans(&mut self) {
        match self {
            StatementKind::ShadowFlag | StatementKind::Public => {}
            StatementKind::ShadowBlock(statements) => statements.erase_spans(),
            StatementKind::Authenticate(names) => names.erase_spans(),
            StatementKind::Require(alternatives) => alternatives.erase_spans(),
            StatementKind::When(expr) => expr.erase_spans(),
            StatementKind::AllowFrom(list)
            | StatementKind::DenyFrom(list)
            | StatementKind::BodyTypes(list) => list.erase_spans(),
            StatementKind::Quota(quotas) => quotas.erase_spans(),
            StatementKind::BodyMax(size) => size.erase_spans(),
            StatementKind::BodyJson { limits, fields } => {
                limits.erase_spans();
                fields.erase_spans();
            }
            StatementKind::Query(fields) | StatementKind::Headers(fields) => fields.erase_spans(),
            StatementKind::ResponseOnly(paths) => paths.erase_spans(),
            StatementKind::Mask { paths, strategy } => {
                paths.erase_spans();
                strategy.erase_spans();
            }
        }
    }
}

impl EraseSpans for TypeKind {
    fn erase_spans(&mut self) {
        match self {
            TypeKind::Scalar { name, range } => {
                name.erase_spans();
                range.erase_spans();
            }
            TypeKind::Array { range, items } => {
                range.erase_spans();
                items.erase_spans();
            }
            TypeKind::Enum(values) => values.erase_spans(),
            TypeKind::Object(fields) => fields.erase_spans(),
        }
    }
}

impl EraseSpans for TypeModifier {
    fn erase_spans(&mut self) {
        match self {
            TypeModifier::Matches(pattern) => pattern.erase_spans(),
            TypeModifier::Format(name) => name.erase_spans(),
        }
    }
}

impl EraseSpans for MaskStrategyAst {
    fn erase_spans(&mut self) {
        match self {
            MaskStrategyAst::With(name) => name.erase_spans(),
            MaskStrategyAst::Keep { end: _, count } => count.erase_spans(),
        }
    }
}

impl EraseSpans for ExprKind {
    fn erase_spans(&mut self) {
        match self {
            ExprKind::Or(exprs) | ExprKind::And(exprs) => exprs.erase_spans(),
            ExprKind::Not(expr) => expr.erase_spans(),
            ExprKind::Compare { op, left, right } => {
                op.erase_spans();
                left.erase_spans();
                right.erase_spans();
            }
            ExprKind::In { left, right } => {
                left.erase_spans();
                right.erase_spans();
            }
            ExprKind::Has { left, scope } => {
                left.erase_spans();
                scope.erase_spans();
            }
            ExprKind::Like { left, pattern } => {
                left.erase_spans();
                pattern.erase_spans();
            }
            ExprKind::Value(operand) => operand.erase_spans(),
        }
    }
}

impl EraseSpans for OperandKind {
    fn erase_spans(&mut self) {
        match self {
            OperandKind::Literal(_) => {}
            OperandKind::List(values) => values.erase_spans(),
            OperandKind::Ref(reference) => reference.erase_spans(),
        }
    }
}
