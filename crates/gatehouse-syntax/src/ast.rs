//! The abstract syntax tree: what a policy file says, with a span on every
//! node and no meaning attached yet. The checker gives it meaning.
//!
//! Values the parser cannot judge (IP networks, method names, option values,
//! types) are kept as written so that the checker can report them with a
//! pointed diagnostic.

use crate::span::{Span, Spanned};

pub type Ident = Spanned<String>;

/// One parsed policy file.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyAst {
    pub items: Vec<Item>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub kind: ItemKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ItemKind {
    /// `api "petstore" version "1.4"`
    Api {
        name: Spanned<String>,
        version: Option<Spanned<String>>,
    },
    /// `owner "pets-team@example.com"`
    Owner(Spanned<String>),
    /// `base /v1`
    Base(PathPattern),
    /// `host "api.example.com"`
    Host(Spanned<String>),
    /// `auth user = jwt(issuer: "...")`
    Auth(AuthDecl),
    /// `scopes { ... }`
    Scopes(Vec<ScopeDecl>),
    /// `options { name = value, ... }`
    Options(Vec<OptionAst>),
    /// `defaults { ... }`
    Defaults(Vec<Statement>),
    /// `endpoint GET /pets { ... }`
    Endpoint(EndpointAst),
}

#[derive(Clone, Debug, PartialEq)]
pub struct AuthDecl {
    pub name: Ident,
    pub kind: Ident,
    pub args: Vec<AuthArg>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AuthArg {
    pub name: Ident,
    pub value: Spanned<Literal>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ScopeDecl {
    pub name: Ident,
    pub description: Option<Spanned<String>>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OptionAst {
    pub name: Ident,
    pub values: Vec<Spanned<OptionValue>>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum OptionValue {
    String(String),
    Cidr(String),
    Size(u64),
    Number(Number),
    Name(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct EndpointAst {
    /// As written: `GET`, `*`, or something the checker will reject.
    pub method: Spanned<String>,
    pub path: PathPattern,
    pub body: Vec<Statement>,
    /// The span of `endpoint METHOD PATH`, for pointing at the endpoint.
    pub head_span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PathPattern {
    pub segments: Vec<Spanned<SegmentAst>>,
    pub trailing_slash: Option<Span>,
    pub span: Span,
    /// The pattern as written, for messages.
    pub text: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SegmentAst {
    Literal(String),
    Param {
        name: Ident,
        ty: Option<Ident>,
    },
    /// `*`: any one segment.
    Star,
    /// `**`: any number of remaining segments, including none.
    Rest,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub kind: StatementKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StatementKind {
    /// `shadow` on its own: the whole endpoint is report-only.
    ShadowFlag,
    /// `shadow { ... }`: these rules are report-only.
    ShadowBlock(Vec<Statement>),
    Public,
    Authenticate(Vec<Ident>),
    /// Outer list: all of; inner list: any of.
    Require(Vec<Vec<Ident>>),
    When(Expr),
    AllowFrom(Vec<Spanned<String>>),
    DenyFrom(Vec<Spanned<String>>),
    Quota(Vec<QuotaAst>),
    BodyMax(Spanned<u64>),
    BodyTypes(Vec<Spanned<String>>),
    BodyJson {
        limits: Vec<LimitArg>,
        fields: Option<Fields>,
    },
    Query(Fields),
    Headers(Fields),
    ResponseOnly(Vec<JsonPathAst>),
    Mask {
        paths: Vec<JsonPathAst>,
        strategy: Spanned<MaskStrategyAst>,
    },
}

impl StatementKind {
    /// The keyword(s) that start this statement, for messages.
    pub fn keyword(&self) -> &'static str {
        match self {
            StatementKind::ShadowFlag | StatementKind::ShadowBlock(_) => "shadow",
            StatementKind::Public => "public",
            StatementKind::Authenticate(_) => "authenticate",
            StatementKind::Require(_) => "require",
            StatementKind::When(_) => "when",
            StatementKind::AllowFrom(_) => "allow from",
            StatementKind::DenyFrom(_) => "deny from",
            StatementKind::Quota(_) => "quota",
            StatementKind::BodyMax(_) => "body max",
            StatementKind::BodyTypes(_) => "body types",
            StatementKind::BodyJson { .. } => "body json",
            StatementKind::Query(_) => "query",
            StatementKind::Headers(_) => "headers",
            StatementKind::ResponseOnly(_) => "response only",
            StatementKind::Mask { .. } => "mask response",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct QuotaAst {
    pub rate: Spanned<i64>,
    pub window: Ident,
    pub burst: Option<Spanned<i64>>,
    pub key: Reference,
    pub cost: Option<Spanned<i64>>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LimitArg {
    pub name: Ident,
    pub value: Spanned<u64>,
}

/// A block of field rules: `{ name: string(1..64)  tag?: string ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Fields {
    pub fields: Vec<FieldAst>,
    /// The span of `...` when unknown fields are allowed.
    pub allow_unknown: Option<Span>,
    /// The span of `only` in `query only { ... }`: parameters that are not
    /// listed are rejected. (Kept here so that `StatementKind::Query` stays
    /// a plain field block.)
    pub only: Option<Span>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FieldAst {
    pub name: Spanned<String>,
    pub optional: bool,
    pub ty: TypeExpr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeKind,
    pub modifiers: Vec<TypeModifier>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TypeKind {
    /// `string(1..64)`, `int`, `uuid`, ...
    Scalar {
        name: Ident,
        range: Option<RangeAst>,
    },
    /// `array(1..10) of T`
    Array {
        range: Option<RangeAst>,
        items: Box<TypeExpr>,
    },
    /// `enum("a", "b")`
    Enum(Vec<Spanned<Literal>>),
    /// `{ ... }` or `object { ... }`
    Object(Fields),
}

#[derive(Clone, Debug, PartialEq)]
pub struct RangeAst {
    pub min: Option<Spanned<Number>>,
    pub max: Option<Spanned<Number>>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TypeModifier {
    Matches(Spanned<String>),
    Format(Ident),
}

#[derive(Clone, Debug, PartialEq)]
pub struct JsonPathAst {
    pub steps: Vec<Spanned<JsonStep>>,
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum JsonStep {
    /// `.name` or `["name"]`
    Child(String),
    /// `..name`: at any depth.
    Descend(String),
    /// `[*]` or `.*`
    Wildcard,
    /// `[3]`
    Index(u64),
}

#[derive(Clone, Debug, PartialEq)]
pub enum MaskStrategyAst {
    /// `with redact`, `with email`, ...
    With(Ident),
    /// `keep first 4`, `keep last 4`
    Keep { end: KeepEnd, count: Spanned<i64> },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeepEnd {
    First,
    Last,
}

// ---------------------------------------------------------------- conditions

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Compare {
        op: Spanned<CmpOp>,
        left: Operand,
        right: Operand,
    },
    In {
        left: Operand,
        right: Operand,
    },
    Has {
        left: Operand,
        scope: Ident,
    },
    Like {
        left: Operand,
        pattern: Spanned<String>,
    },
    /// An operand on its own, which must be a boolean.
    Value(Operand),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum CmpOp {
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Operand {
    pub kind: OperandKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum OperandKind {
    Literal(Literal),
    List(Vec<Spanned<Literal>>),
    Ref(Reference),
}

/// `path.uid`, `claim.tenant`, `header.x-request-id`, `principal`.
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
    pub root: Ident,
    pub path: Vec<Spanned<String>>,
    pub span: Span,
}

impl Reference {
    /// The reference as written, for messages: `claim.tenant`.
    pub fn text(&self) -> String {
        let mut text = self.root.node.clone();
        for key in &self.path {
            text.push('.');
            text.push_str(&key.node);
        }
        text
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    String(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
}
