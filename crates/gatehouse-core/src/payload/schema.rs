//! Field rules compiled for streaming: the model's nested [`TypeSchema`]
//! flattened into a vector of nodes addressed by index, with objects'
//! field names ready for look-up by bytes.

use rustc_hash::FxHashMap;

use crate::model::{Bounds, FieldsSchema, Format, Lit, TypeSchema};
use crate::span::Span;

pub type NodeId = u32;

/// Objects with more fields than this look names up in a hash map; the
/// others compare each field's [`head`] and length, which settles nearly
/// every key without comparing strings.
const LINEAR_LOOKUP: usize = 16;

/// A compiled field block (the body's, or a query or header block's).
#[derive(Clone, Debug)]
pub struct Schema {
    nodes: Vec<Node>,
}

#[derive(Clone, Debug)]
pub enum Node {
    String {
        length: Bounds<u64>,
        format: Option<Format>,
        pattern: Option<crate::pattern::Pattern>,
    },
    Int {
        range: Bounds<i64>,
    },
    Number {
        range: Bounds<f64>,
    },
    Bool,
    Null,
    Any,
    Array {
        length: Bounds<u64>,
        items: NodeId,
    },
    Object(ObjectNode),
    Enum(Box<[Lit]>),
}

#[derive(Clone, Debug)]
pub struct ObjectNode {
    pub fields: Box<[FieldNode]>,
    pub allow_unknown: bool,
    /// The `{ ... }` block, the rule an unknown field breaks.
    pub block: Span,
    index: Option<FxHashMap<Box<[u8]>, u32>>,
    /// Each field's name's [`head`] and length, in field order.
    heads: Box<[(u64, usize)]>,
}

/// The first eight bytes of a name, zero-padded, as one word.
#[inline]
fn head(name: &[u8]) -> u64 {
    match name.get(..8).and_then(|w| <[u8; 8]>::try_from(w).ok()) {
        Some(word) => u64::from_le_bytes(word),
        // Shifted in rather than copied to a buffer: a byte-wise store
        // read back as a word stalls.
        None => name
            .iter()
            .rev()
            .fold(0, |word, byte| (word << 8) | u64::from(*byte)),
    }
}

#[derive(Clone, Debug)]
pub struct FieldNode {
    pub name: Box<str>,
    pub optional: bool,
    pub node: NodeId,
    /// The field rule: `name: string(1..64)`.
    pub rule: Span,
}

impl ObjectNode {
    /// The index of the field named `key`.
    #[inline]
    pub fn lookup(&self, key: &[u8]) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).map(|i| *i as usize),
            None => {
                let want = (head(key), key.len());
                self.heads
                    .iter()
                    .zip(self.fields.iter())
                    .position(|(head, field)| {
                        *head == want
                            && (key.len() <= 8 || field.name.as_bytes().get(8..) == key.get(8..))
                    })
            }
        }
    }
}

impl Node {
    /// Whether checking a string needs its decoded text.
    pub fn needs_text(&self) -> bool {
        matches!(
            self,
            Node::String {
                format: Some(_),
                ..
            } | Node::String {
                pattern: Some(_),
                ..
            } | Node::Enum(_)
        )
    }
}

impl Schema {
    /// Compiles a field block; its object is node 0.
    pub fn compile(fields: &FieldsSchema) -> Schema {
        let mut schema = Schema { nodes: Vec::new() };
        schema.object(fields);
        schema
    }

    pub const ROOT: NodeId = 0;

    #[inline]
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id as usize)
    }

    pub fn root(&self) -> Option<&ObjectNode> {
        match self.node(Schema::ROOT) {
            Some(Node::Object(object)) => Some(object),
            _ => None,
        }
    }

    fn push(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        u32::try_from(self.nodes.len() - 1).unwrap_or(u32::MAX)
    }

    fn object(&mut self, fields: &FieldsSchema) -> NodeId {
        // Reserve the object's slot first so that it gets the lower index.
        let id = self.push(Node::Any);
        let compiled: Box<[FieldNode]> = fields
            .fields
            .iter()
            .map(|f| FieldNode {
                name: f.name.as_str().into(),
                optional: f.optional,
                node: self.ty(&f.ty),
                rule: f.span,
            })
            .collect();
        let index = (compiled.len() > LINEAR_LOOKUP).then(|| {
            compiled
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    (
                        Box::<[u8]>::from(f.name.as_bytes()),
                        u32::try_from(i).unwrap_or(u32::MAX),
                    )
                })
                .collect()
        });
        let heads = compiled
            .iter()
            .map(|f| (head(f.name.as_bytes()), f.name.len()))
            .collect();
        let node = Node::Object(ObjectNode {
            heads,
            fields: compiled,
            allow_unknown: fields.allow_unknown,
            block: fields.span,
            index,
        });
        if let Some(slot) = self.nodes.get_mut(id as usize) {
            *slot = node;
        }
        id
    }

    fn ty(&mut self, ty: &TypeSchema) -> NodeId {
        match ty {
            TypeSchema::String {
                length,
                pattern,
                format,
            } => self.push(Node::String {
                length: *length,
                format: *format,
                pattern: pattern.clone(),
            }),
            TypeSchema::Int { range } => self.push(Node::Int { range: *range }),
            TypeSchema::Number { range } => self.push(Node::Number { range: *range }),
            TypeSchema::Bool => self.push(Node::Bool),
            TypeSchema::Null => self.push(Node::Null),
            TypeSchema::Any => self.push(Node::Any),
            TypeSchema::Array { length, items } => {
                let items = self.ty(items);
                self.push(Node::Array {
                    length: *length,
                    items,
                })
            }
            TypeSchema::Object(fields) => self.object(fields),
            TypeSchema::Enum(values) => self.push(Node::Enum(values.clone().into_boxed_slice())),
        }
    }
}

/// Whether `n` is within `bounds` (inclusive, either end open).
pub fn within<T: PartialOrd + Copy>(bounds: &Bounds<T>, n: T) -> bool {
    bounds.min.is_none_or(|min| n >= min) && bounds.max.is_none_or(|max| n <= max)
}

/// A scalar read from a body, query parameter or header, for `enum(...)`.
#[derive(Clone, Copy, Debug)]
pub enum Scalar<'a> {
    Str(&'a str),
    Num { int: Option<i64>, float: f64 },
    Bool(bool),
    Null,
}

/// Whether `value` equals one of `lits`. Strings and booleans compare
/// exactly; numbers by value (`1`, `1.0` and `1e0` are equal), exactly when
/// both are integers.
pub fn enum_accepts(lits: &[Lit], value: Scalar<'_>) -> bool {
    lits.iter().any(|lit| match (lit, value) {
        (Lit::String(s), Scalar::Str(v)) => s == v,
        (Lit::Bool(b), Scalar::Bool(v)) => *b == v,
        (Lit::Int(i), Scalar::Num { int: Some(v), .. }) => *i == v,
        (Lit::Int(i), Scalar::Num { int: None, float }) => *i as f64 == float,
        (Lit::Float(f), Scalar::Num { float, .. }) => *f == float,
        _ => false,
    })
}
