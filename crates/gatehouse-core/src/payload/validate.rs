//! The streaming body validator: JSON limits and field rules checked while
//! the bytes arrive, without a DOM and without recursion.
//!
//! A [`Validator`] is fed chunks of any size ([`Validator::feed`]) and then
//! told the body ended ([`Validator::finish`]). It keeps an explicit stack
//! of open objects and arrays (bounded by the depth limit), the current key
//! of each open object (bounded by the key limit), the known fields each
//! open object has shown (a bitset) and the other keys it has shown (for
//! duplicates: bounded by the object and key limits), and the decoded text
//! of the one string in progress when a rule needs it (bounded by the
//! string limit). Nothing else grows with the body.
//!
//! Two kinds of problems, in two phases:
//! - **JSON problems** (`body_malformed`, `body_limit_exceeded`): the first
//!   in reading order stops the validator.
//! - **Rule violations** (`body_invalid`): the first in reading order is
//!   kept; scanning goes on, because a later JSON problem takes precedence.
//!
//! Where each problem is found, in reading order (the reference
//! interpreter finds them in the same order; see `grammar/REFERENCE.md`):
//! a container's depth at its `[` or `{`; an array's item limit and its
//! rule's maximum length at the first item too many; an object's member
//! limit at the first key too many; a key's length, then duplication, then
//! whether the rules know it, at the end of the key; a value's type at its
//! first byte; a string's length limit, then its rule (length, format,
//! pattern, enum) at its end; a number's rule at its end; missing required
//! fields (the first in the block's order) and an array's minimum length
//! at the closing bracket.

use rustc_hash::{FxHashSet, FxHasher};
use std::hash::Hasher;

use super::limits::Limits;
use super::schema::{enum_accepts, within, Node, NodeId, ObjectNode, Scalar, Schema};
use super::violation::{Expected, LimitKind, Part, Problem, Violation};
use crate::json::scan::{self, skip_ws};
use crate::json::token::{LitScan, NumScan, NumValue, Step, StrScan};
use crate::json::{pointer, JsonProblem};
use crate::model::LimitSpans;
use crate::span::Span;

/// A member or element's rule: the schema node it must satisfy (`None`:
/// unchecked) and the rule to name when it does not.
#[derive(Clone, Copy, Debug)]
struct Slot {
    node: Option<NodeId>,
    rule: Span,
}

/// Above this many keys of their own, an open object finds duplicates
/// through a hash set rather than a linear scan.
const LINEAR_DUPLICATES: usize = 16;

#[derive(Debug)]
struct Frame {
    object: bool,
    /// Members or items so far.
    count: u64,
    /// The container's schema node (an object or array), if checked.
    node: Option<NodeId>,
    /// The rule of the container's own slot (for an array: its field).
    rule: Span,
    /// Where this frame's current key starts in `Validator::keys`.
    key_start: usize,
    /// Where this frame's seen-field bits start in `Validator::bits`.
    bits_start: usize,
    /// Where this frame's other keys start in `Validator::dups`.
    dup_start: usize,
    dup_bytes_start: usize,
    /// Hashes of the other keys, once there are many.
    dup_set: Option<Box<FxHashSet<u64>>>,
    /// The slot of the member whose key was just read.
    member: Slot,
}

#[derive(Clone, Copy, Debug)]
struct DupRec {
    hash: u64,
    start: usize,
    len: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Root,
    Value,
    FirstValue,
    FirstKey,
    Key,
    Colon,
    Next,
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Before the first non-whitespace byte.
    Waiting,
    Active,
    /// Not JSON, and JSON is not required: nothing to check.
    Inactive,
    /// A JSON problem was found: nothing more to check.
    Stopped,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    None,
    Key,
    Str,
    Num,
    Lit,
}

/// What a validator found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Valid (or not JSON, where JSON is not required).
    Valid,
    /// `body_malformed` or `body_limit_exceeded`.
    Json(Violation),
    /// `body_invalid`.
    Rule(Violation),
}

/// A streaming validator for one body. See the module docs.
pub struct Validator<'s> {
    schema: Option<&'s Schema>,
    /// The rule a top-level problem is charged to (`body json`).
    root_rule: Span,
    limits: Limits,
    limit_spans: LimitSpans,
    require_json: bool,
    phase: Phase,
    expect: Expect,
    stack: Vec<Frame>,
    keys: Vec<u8>,
    bits: Vec<u64>,
    dups: Vec<DupRec>,
    dup_bytes: Vec<u8>,
    token: Token,
    token_start: u64,
    /// The slot of the value whose token is in progress.
    slot: Slot,
    text: Vec<u8>,
    keep_text: bool,
    string: StrScan,
    number: NumScan,
    literal: Option<LitScan>,
    /// Absolute offset of the next chunk's first byte.
    base: u64,
    json: Option<Violation>,
    rule: Option<Violation>,
}

impl<'s> Validator<'s> {
    /// A validator for one body. With `require_json`, the body must be
    /// JSON; without, a body whose first non-whitespace byte is not `{` or
    /// `[` is not JSON and passes.
    pub fn new(
        schema: Option<&'s Schema>,
        root_rule: Span,
        limits: Limits,
        limit_spans: LimitSpans,
        require_json: bool,
    ) -> Validator<'s> {
        Validator {
            schema,
            root_rule,
            limits,
            limit_spans,
            require_json,
            phase: Phase::Waiting,
            expect: Expect::Root,
            stack: Vec::new(),
            keys: Vec::new(),
            bits: Vec::new(),
            dups: Vec::new(),
            dup_bytes: Vec::new(),
            token: Token::None,
            token_start: 0,
            slot: Slot {
                node: None,
                rule: root_rule,
            },
            text: Vec::new(),
            keep_text: false,
            string: StrScan::new(),
            number: NumScan::new(),
            literal: None,
            base: 0,
            json: None,
            rule: None,
        }
    }

    /// Whether scanning more input can change the outcome.
    pub fn is_settled(&self) -> bool {
        matches!(self.phase, Phase::Inactive | Phase::Stopped)
    }

    /// Whether a problem (of either kind) has been found.
    pub fn has_problem(&self) -> bool {
        self.json.is_some() || self.rule.is_some()
    }

    /// The outcome so far; final after [`Validator::finish`].
    pub fn outcome(&self) -> Outcome {
        match (&self.json, &self.rule) {
            (Some(v), _) => Outcome::Json(v.clone()),
            (None, Some(v)) => Outcome::Rule(v.clone()),
            (None, None) => Outcome::Valid,
        }
    }

    /// Validates the next chunk of the body.
    pub fn feed(&mut self, input: &[u8]) {
        self.run(input, false);
    }

    /// The body ended.
    pub fn finish(&mut self) {
        self.run(&[], true);
    }

    // ------------------------------------------------------------ problems

    fn malformed(&mut self, json: JsonProblem, offset: u64) {
        self.json = Some(Violation {
            part: Part::Body,
            pointer: String::new(),
            problem: Problem::Malformed { json, offset },
            rule: self.root_rule,
        });
        self.phase = Phase::Stopped;
    }

    fn limit(&mut self, limit: LimitKind, pointer: String) {
        let (max, span) = match limit {
            LimitKind::Depth => (self.limits.depth, self.limit_spans.depth),
            LimitKind::Array => (self.limits.array, self.limit_spans.array),
            LimitKind::Object | LimitKind::DuplicateKey => {
                (self.limits.object, self.limit_spans.object)
            }
            LimitKind::Key => (self.limits.key, self.limit_spans.key),
            LimitKind::String => (self.limits.string, self.limit_spans.string),
        };
        let (max, span) = if limit == LimitKind::DuplicateKey {
            (0, None)
        } else {
            (max, span)
        };
        self.json = Some(Violation {
            part: Part::Body,
            pointer,
            problem: Problem::Limit { limit, max },
            rule: span.unwrap_or(self.root_rule),
        });
        self.phase = Phase::Stopped;
    }

    #[inline]
    fn checking(&self) -> bool {
        self.rule.is_none()
    }

    fn violate(&mut self, pointer: String, problem: Problem, rule: Span) {
        if self.rule.is_none() {
            self.rule = Some(Violation {
                part: Part::Body,
                pointer,
                problem,
                rule,
            });
        }
    }

    /// The pointer through the first `depth` open containers: each one's
    /// current member or item.
    fn pointer(&self, depth: usize) -> String {
        let mut out = String::new();
        for (i, frame) in self.stack.iter().enumerate().take(depth) {
            if frame.object {
                let end = self
                    .stack
                    .get(i + 1)
                    .map_or(self.keys.len(), |f| f.key_start);
                pointer::push_key(
                    &mut out,
                    self.keys.get(frame.key_start..end).unwrap_or_default(),
                );
            } else {
                pointer::push_index(&mut out, frame.count.saturating_sub(1));
            }
        }
        out
    }

    /// The pointer of the value being read.
    fn value_pointer(&self) -> String {
        self.pointer(self.stack.len())
    }

    /// The pointer of the innermost open container.
    fn container_pointer(&self) -> String {
        self.pointer(self.stack.len().saturating_sub(1))
    }

    fn node(&self, id: Option<NodeId>) -> Option<&'s Node> {
        let schema = self.schema?;
        schema.node(id?)
    }

    // ------------------------------------------------------------ the loop

    fn run(&mut self, input: &[u8], eof: bool) {
        if matches!(self.phase, Phase::Inactive | Phase::Stopped) {
            self.base += input.len() as u64;
            return;
        }
        let mut pos = 0;
        if self.token != Token::None {
            match self.resume(input, eof) {
                Some(end) => pos = end,
                None => {
                    self.base += input.len() as u64;
                    return;
                }
            }
        }
        loop {
            if self.phase == Phase::Stopped {
                break;
            }
            pos = skip_ws(input, pos);
            let Some(&byte) = input.get(pos) else {
                if eof {
                    self.at_eof(pos);
                }
                break;
            };
            if self.phase == Phase::Waiting {
                if !self.require_json && byte != b'{' && byte != b'[' {
                    self.phase = Phase::Inactive;
                    break;
                }
                self.phase = Phase::Active;
            }
            let at = self.base + pos as u64;
            match self.expect {
                Expect::Done => self.malformed(JsonProblem::TrailingData, at),
                Expect::FirstValue if byte == b']' => {
                    self.close();
                    pos += 1;
                }
                Expect::FirstKey if byte == b'}' => {
                    self.close();
                    pos += 1;
                }
                Expect::Root | Expect::Value | Expect::FirstValue => {
                    match self.value(input, pos, byte) {
                        Some(end) => pos = end,
                        None => break,
                    }
                }
                Expect::FirstKey | Expect::Key => {
                    if byte != b'"' {
                        self.malformed(JsonProblem::ExpectedKey, at);
                        continue;
                    }
                    match self.key(input, pos) {
                        Some(end) => {
                            pos = end;
                            // The colon nearly always follows at once.
                            if self.expect == Expect::Colon && input.get(pos) == Some(&b':') {
                                self.expect = Expect::Value;
                                pos += 1;
                            }
                        }
                        None => break,
                    }
                }
                Expect::Colon => {
                    if byte != b':' {
                        self.malformed(JsonProblem::ExpectedColon, at);
                        continue;
                    }
                    self.expect = Expect::Value;
                    pos += 1;
                }
                Expect::Next => {
                    let object = self.stack.last().is_some_and(|f| f.object);
                    match byte {
                        b',' => {
                            self.expect = if object { Expect::Key } else { Expect::Value };
                            pos += 1;
                        }
                        b'}' if object => {
                            self.close();
                            pos += 1;
                        }
                        b']' if !object => {
                            self.close();
                            pos += 1;
                        }
                        _ => self.malformed(JsonProblem::ExpectedCommaOrClose, at),
                    }
                }
            }
        }
        self.base += input.len() as u64;
    }

    fn at_eof(&mut self, pos: usize) {
        let at = self.base + pos as u64;
        match (self.phase, self.expect) {
            (Phase::Waiting, _) if self.require_json => self.malformed(JsonProblem::Empty, at),
            (Phase::Waiting, _) => self.phase = Phase::Inactive,
            (_, Expect::Done) => {}
            _ => self.malformed(JsonProblem::Truncated, at),
        }
    }

    /// Continues the token in progress at the start of a chunk: the end of
    /// the token, or `None` if it goes on (or failed).
    fn resume(&mut self, input: &[u8], eof: bool) -> Option<usize> {
        match self.token {
            Token::None => Some(0),
            Token::Key | Token::Str if eof => {
                self.malformed(JsonProblem::Truncated, self.base);
                None
            }
            Token::Key | Token::Str => self.scan_string(input, 0),
            Token::Num => {
                if eof {
                    self.number_end();
                    return Some(0);
                }
                self.scan_number(input, 0)
            }
            Token::Lit => {
                if eof {
                    self.malformed(JsonProblem::Truncated, self.base);
                    return None;
                }
                self.scan_literal(input, 0)
            }
        }
    }

    // ------------------------------------------------------------ values

    /// The slot of the value starting now, after the checks that come at
    /// an item's start. `None` if a JSON problem stopped the validator.
    fn begin_value(&mut self) -> Option<Slot> {
        let Some(frame) = self.stack.last_mut() else {
            let node = self.schema.map(|_| Schema::ROOT);
            return Some(Slot {
                node,
                rule: self.root_rule,
            });
        };
        if frame.object {
            return Some(frame.member);
        }
        frame.count += 1;
        let (count, node, rule) = (frame.count, frame.node, frame.rule);
        if count > self.limits.array {
            let pointer = self.container_pointer();
            self.limit(LimitKind::Array, pointer);
            return None;
        }
        let items = match self.node(node) {
            Some(Node::Array { length, items }) if self.checking() => {
                if length.max.is_some_and(|max| count > max) {
                    let pointer = self.container_pointer();
                    self.violate(pointer, Problem::Length, rule);
                    None
                } else {
                    Some(*items)
                }
            }
            _ => None,
        };
        Some(Slot { node: items, rule })
    }

    /// Checks the type of the value starting with `byte` against its slot;
    /// returns the node to go on checking with, if any.
    fn check_type(&mut self, slot: Slot, byte: u8) -> Option<NodeId> {
        if !self.checking() {
            return None;
        }
        let node = self.node(slot.node)?;
        let expected = match (node, byte) {
            (Node::Any, _) => return None,
            (Node::Object(_), b'{')
            | (Node::Array { .. }, b'[')
            | (Node::String { .. }, b'"')
            | (Node::Int { .. } | Node::Number { .. }, b'-' | b'0'..=b'9')
            | (Node::Bool, b't' | b'f')
            | (Node::Null, b'n')
            | (Node::Enum(_), b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n') => return slot.node,
            (Node::Object(_), _) => Expected::Object,
            (Node::Array { .. }, _) => Expected::Array,
            (Node::String { .. }, _) => Expected::String,
            (Node::Int { .. }, _) => Expected::Integer,
            (Node::Number { .. }, _) => Expected::Number,
            (Node::Bool, _) => Expected::Boolean,
            (Node::Null, _) => Expected::Null,
            (Node::Enum(_), _) => Expected::OneOf,
        };
        let pointer = self.value_pointer();
        self.violate(pointer, Problem::Type { expected }, slot.rule);
        None
    }

    /// A value starting at `pos` with `byte`: returns the position after
    /// it (for a container, after its opening bracket), or `None` if its
    /// token goes on past the input or the validator stopped.
    fn value(&mut self, input: &[u8], pos: usize, byte: u8) -> Option<usize> {
        let at = self.base + pos as u64;
        let valid_start = matches!(
            byte,
            b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
        );
        if !valid_start {
            self.malformed(JsonProblem::UnexpectedByte(byte), at);
            return None;
        }
        let slot = self.begin_value()?;
        match byte {
            b'{' | b'[' => {
                if self.stack.len() as u64 >= self.limits.depth {
                    let pointer = self.value_pointer();
                    self.limit(LimitKind::Depth, pointer);
                    return None;
                }
                let node = self.check_type(slot, byte);
                let object = byte == b'{';
                let bits_start = self.bits.len();
                if let (true, Some(Node::Object(o))) = (object, self.node(node)) {
                    self.bits
                        .resize(bits_start + o.fields.len().div_ceil(64), 0);
                }
                self.stack.push(Frame {
                    object,
                    count: 0,
                    node,
                    rule: slot.rule,
                    key_start: self.keys.len(),
                    bits_start,
                    dup_start: self.dups.len(),
                    dup_bytes_start: self.dup_bytes.len(),
                    dup_set: None,
                    member: Slot {
                        node: None,
                        rule: slot.rule,
                    },
                });
                self.expect = if object {
                    Expect::FirstKey
                } else {
                    Expect::FirstValue
                };
                Some(pos + 1)
            }
            b'"' => {
                let node = self.check_type(slot, byte);
                self.slot = Slot {
                    node,
                    rule: slot.rule,
                };
                self.token = Token::Str;
                self.token_start = at;
                self.string = StrScan::new();
                self.keep_text = self.node(node).is_some_and(Node::needs_text);
                if let Some(end) = self.plain_string(input, pos + 1) {
                    return end;
                }
                self.text.clear();
                self.scan_string(input, pos + 1)
            }
            b't' | b'f' | b'n' => {
                let node = self.check_type(slot, byte);
                self.slot = Slot {
                    node,
                    rule: slot.rule,
                };
                self.token = Token::Lit;
                self.token_start = at;
                self.literal = LitScan::new(byte);
                self.scan_literal(input, pos)
            }
            _ => {
                let node = self.check_type(slot, byte);
                self.slot = Slot {
                    node,
                    rule: slot.rule,
                };
                self.token = Token::Num;
                self.token_start = at;
                self.number.reset();
                self.scan_number(input, pos)
            }
        }
    }

    fn after_value(&mut self) {
        self.token = Token::None;
        self.expect = if self.stack.is_empty() {
            Expect::Done
        } else {
            Expect::Next
        };
    }

    fn scan_string(&mut self, input: &[u8], pos: usize) -> Option<usize> {
        let key = self.token == Token::Key;
        let step = if key {
            let cap = self
                .stack
                .last()
                .map_or(0, |f| f.key_start)
                .saturating_add(usize::try_from(self.limits.key).unwrap_or(usize::MAX));
            self.string.scan(input, pos, Some(&mut self.keys), cap)
        } else if self.keep_text {
            let cap = usize::try_from(self.limits.string).unwrap_or(usize::MAX);
            self.string.scan(input, pos, Some(&mut self.text), cap)
        } else {
            self.string.scan(input, pos, None, 0)
        };
        match step {
            Step::Done(end) => {
                if key {
                    self.key_end();
                } else {
                    self.string_end();
                }
                (self.phase != Phase::Stopped).then_some(end)
            }
            Step::More => None,
            Step::Invalid(problem) => {
                self.malformed(problem, self.token_start);
                None
            }
        }
    }

    /// The fast path for the string or key token whose content starts at
    /// `start`: when the whole string is in `input` and plain (see
    /// [`scan::plain_string`]), it is checked straight from the input,
    /// without the byte-by-byte scanner or a copy of its text. Returns what
    /// [`Validator::scan_string`] would, or `None` (having changed nothing)
    /// to leave the string to it.
    #[inline]
    fn plain_string(&mut self, input: &[u8], start: usize) -> Option<Option<usize>> {
        let (text, ascii) = scan::plain_string(input, start)?;
        let bytes = text.len() as u64;
        let end = start + text.len() + 1;
        let key = self.token == Token::Key;
        // A key over the limit is left to the scanner, which keeps only
        // what fits of it.
        if key && bytes > self.limits.key {
            return None;
        }
        self.string.bytes = bytes;
        self.string.chars = if ascii {
            bytes
        } else {
            std::str::from_utf8(text).map_or(0, |t| t.chars().count()) as u64
        };
        if key {
            self.keys.extend_from_slice(text);
            self.key_end();
        } else {
            self.check_string(text);
        }
        Some((self.phase != Phase::Stopped).then_some(end))
    }

    fn string_end(&mut self) {
        let text = std::mem::take(&mut self.text);
        self.check_string(&text);
        self.text = text;
    }

    /// The checks at the end of a string value whose decoded text (UTF-8)
    /// is `text`, or as much of it as was kept.
    fn check_string(&mut self, text: &[u8]) {
        if self.string.bytes > self.limits.string {
            let pointer = self.value_pointer();
            self.limit(LimitKind::String, pointer);
            return;
        }
        let slot = self.slot;
        if let (Some(node), true) = (self.node(slot.node), self.checking()) {
            // Only formats, patterns and enums read the text.
            let text = if node.needs_text() {
                std::str::from_utf8(text).unwrap_or("")
            } else {
                ""
            };
            let problem = match node {
                Node::String {
                    length,
                    format,
                    pattern,
                } => {
                    if !within(length, self.string.chars) {
                        Some(Problem::Length)
                    } else if format.is_some_and(|f| !f.accepts(text)) {
                        Some(Problem::Format)
                    } else if pattern.as_ref().is_some_and(|p| !p.is_match(text)) {
                        Some(Problem::Pattern)
                    } else {
                        None
                    }
                }
                Node::Enum(lits) if !enum_accepts(lits, Scalar::Str(text)) => Some(Problem::Enum),
                _ => None,
            };
            if let Some(problem) = problem {
                let pointer = self.value_pointer();
                self.violate(pointer, problem, slot.rule);
            }
        }
        self.after_value();
    }

    fn scan_number(&mut self, input: &[u8], pos: usize) -> Option<usize> {
        match self.number.scan(input, pos) {
            Step::Done(end) => {
                self.number_end();
                (self.phase != Phase::Stopped).then_some(end)
            }
            Step::More => None,
            Step::Invalid(problem) => {
                self.malformed(problem, self.token_start);
                None
            }
        }
    }

    fn number_end(&mut self) {
        let value = match self.number.value() {
            Ok(v) => v,
            Err(problem) => {
                self.malformed(problem, self.token_start);
                return;
            }
        };
        let slot = self.slot;
        if let (Some(node), true) = (self.node(slot.node), self.checking()) {
            if let Some(problem) = number_problem(node, value) {
                let pointer = self.value_pointer();
                self.violate(pointer, problem, slot.rule);
            }
        }
        self.after_value();
    }

    fn scan_literal(&mut self, input: &[u8], pos: usize) -> Option<usize> {
        let step = match &mut self.literal {
            Some(lit) => lit.scan(input, pos),
            None => Step::Invalid(JsonProblem::InvalidLiteral),
        };
        match step {
            Step::Done(end) => {
                let word = self.literal.map_or(&b""[..], |l| l.word());
                let slot = self.slot;
                if let (Some(Node::Enum(lits)), true) = (self.node(slot.node), self.checking()) {
                    let value = match word {
                        b"true" => Scalar::Bool(true),
                        b"false" => Scalar::Bool(false),
                        _ => Scalar::Null,
                    };
                    if !enum_accepts(lits, value) {
                        let pointer = self.value_pointer();
                        self.violate(pointer, Problem::Enum, slot.rule);
                    }
                }
                self.after_value();
                Some(end)
            }
            Step::More => None,
            Step::Invalid(problem) => {
                self.malformed(problem, self.token_start);
                None
            }
        }
    }

    // ------------------------------------------------------------ objects

    /// A key starting with the `"` at `pos`.
    fn key(&mut self, input: &[u8], pos: usize) -> Option<usize> {
        let Some(frame) = self.stack.last_mut() else {
            self.malformed(JsonProblem::ExpectedKey, self.base + pos as u64);
            return None;
        };
        frame.count += 1;
        let (count, key_start) = (frame.count, frame.key_start);
        if count > self.limits.object {
            let pointer = self.container_pointer();
            self.limit(LimitKind::Object, pointer);
            return None;
        }
        self.keys.truncate(key_start);
        self.token = Token::Key;
        self.token_start = self.base + pos as u64;
        self.string = StrScan::new();
        if let Some(end) = self.plain_string(input, pos + 1) {
            return end;
        }
        self.scan_string(input, pos + 1)
    }

    fn key_end(&mut self) {
        self.token = Token::None;
        self.expect = Expect::Colon;
        if self.string.bytes > self.limits.key {
            let pointer = self.container_pointer();
            self.limit(LimitKind::Key, pointer);
            return;
        }
        let checking = self.checking();
        let object = match self.stack.last().map(|f| f.node) {
            Some(node) => match self.node(node) {
                Some(Node::Object(o)) => Some(o),
                _ => None,
            },
            None => None,
        };
        let Some(frame) = self.stack.last_mut() else {
            return;
        };
        let key = self.keys.get(frame.key_start..).unwrap_or_default();
        let known = object.and_then(|o| o.lookup(key).map(|i| (o, i)));
        let duplicate = match known {
            Some((_, index)) => {
                let word = self.bits.get_mut(frame.bits_start + index / 64);
                let bit = 1u64 << (index % 64);
                match word {
                    Some(w) if *w & bit != 0 => true,
                    Some(w) => {
                        *w |= bit;
                        false
                    }
                    None => false,
                }
            }
            None => seen_before(frame, &mut self.dups, &mut self.dup_bytes, key),
        };
        if duplicate {
            let pointer = self.value_pointer();
            self.limit(LimitKind::DuplicateKey, pointer);
            return;
        }
        let member = match known {
            Some((o, index)) if checking => o.fields.get(index).map_or(
                Slot {
                    node: None,
                    rule: o.block,
                },
                |f| Slot {
                    node: Some(f.node),
                    rule: f.rule,
                },
            ),
            _ => Slot {
                node: None,
                rule: frame.rule,
            },
        };
        frame.member = member;
        if let (None, Some(o), true) = (known, object, checking) {
            if !o.allow_unknown {
                let pointer = self.value_pointer();
                self.violate(pointer, Problem::Unknown, o.block);
            }
        }
    }

    /// Closes the innermost container (its closing bracket was read).
    fn close(&mut self) {
        if self.checking() {
            if let Some(frame) = self.stack.last() {
                match self.node(frame.node) {
                    Some(Node::Object(o)) => {
                        if let Some(field) =
                            first_missing(o, self.bits.get(frame.bits_start..).unwrap_or_default())
                        {
                            let mut pointer = self.container_pointer();
                            pointer::push_key(&mut pointer, field.name.as_bytes());
                            self.violate(pointer, Problem::Missing, field.rule);
                        }
                    }
                    Some(Node::Array { length, .. })
                        if length.min.is_some_and(|min| frame.count < min) =>
                    {
                        let pointer = self.container_pointer();
                        self.violate(pointer, Problem::Length, frame.rule);
                    }
                    _ => {}
                }
            }
        }
        if let Some(frame) = self.stack.pop() {
            self.keys.truncate(frame.key_start);
            self.bits.truncate(frame.bits_start);
            self.dups.truncate(frame.dup_start);
            self.dup_bytes.truncate(frame.dup_bytes_start);
        }
        self.after_value();
    }
}

/// The first required field of `object` whose bit is not set.
fn first_missing<'o>(object: &'o ObjectNode, bits: &[u64]) -> Option<&'o super::schema::FieldNode> {
    object.fields.iter().enumerate().find_map(|(i, field)| {
        let seen = bits
            .get(i / 64)
            .is_some_and(|w| w & (1u64 << (i % 64)) != 0);
        (!field.optional && !seen).then_some(field)
    })
}

/// Records `key` among the frame's keys the rules do not know; `true` if
/// it was there already.
fn seen_before(frame: &mut Frame, dups: &mut Vec<DupRec>, bytes: &mut Vec<u8>, key: &[u8]) -> bool {
    let mut hasher = FxHasher::default();
    hasher.write(key);
    let hash = hasher.finish();
    let mine = dups.get(frame.dup_start..).unwrap_or_default();
    let maybe = match &frame.dup_set {
        Some(set) => set.contains(&hash),
        None => true,
    };
    if maybe
        && mine
            .iter()
            .any(|r| r.hash == hash && bytes.get(r.start..r.start + r.len) == Some(key))
    {
        return true;
    }
    let start = bytes.len();
    bytes.extend_from_slice(key);
    dups.push(DupRec {
        hash,
        start,
        len: key.len(),
    });
    let count = dups.len() - frame.dup_start;
    match &mut frame.dup_set {
        Some(set) => {
            set.insert(hash);
        }
        None if count > LINEAR_DUPLICATES => {
            let set: FxHashSet<u64> = dups
                .get(frame.dup_start..)
                .unwrap_or_default()
                .iter()
                .map(|r| r.hash)
                .collect();
            frame.dup_set = Some(Box::new(set));
        }
        None => {}
    }
    false
}

/// What is wrong with a number under `node`, if anything.
fn number_problem(node: &Node, value: NumValue) -> Option<Problem> {
    match node {
        Node::Int { range } => match value.int {
            None => Some(Problem::Integer),
            Some(i) if !within(range, i) => Some(Problem::Range),
            Some(_) => None,
        },
        Node::Number { range } if !within(range, value.float) => Some(Problem::Range),
        Node::Enum(lits)
            if !enum_accepts(
                lits,
                Scalar::Num {
                    int: value.int,
                    float: value.float,
                },
            ) =>
        {
            Some(Problem::Enum)
        }
        _ => None,
    }
}
