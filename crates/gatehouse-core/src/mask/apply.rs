//! Applying a [`MaskPlan`] to response bytes: a streaming, non-recursive
//! JSON tokenizer that copies untouched input to the output and rewrites
//! only what the plan masks or drops.
//!
//! `Machine` is a resumable state machine over tokens. Each call to
//! `Machine::feed` processes every complete "unit" (the whitespace before
//! a token, and the token) and returns how many bytes it consumed; an
//! incomplete token at the end is left for the next call, which must start
//! with those bytes. Nesting lives in an explicit stack bounded by the
//! configured depth, so hostile nesting costs an error, not the call stack.
//!
//! Output rules:
//! - Whitespace belongs to the token after it, so a kept token keeps its
//!   indentation and a dropped member takes its own with it.
//! - Inside containers the plan walks, commas are written by the machine
//!   (not copied), so dropping any member or element leaves valid JSON.
//! - Contiguous copied input is written as one slice (`Sink`).
//!
//! Fast paths: a member of a walked object whose value is copied, dropped
//! or a masked scalar, and a container that is copied, dropped or replaced,
//! are passed over whole when all of it is in the input and valid
//! (`scan::value_end`); anything else (a token cut by the chunk's end, a
//! problem, nesting near the limit) is left to the token-by-token path,
//! which then reports it exactly as without the fast path.
//!
//! [`mask_slice`], [`MaskStream`] and [`mask_io`] are the three ways in.

// Re-exported by the `gatehouse` facade: every public item is documented.
#![warn(missing_docs)]

use std::io::{Read, Write};

use super::config::MaskConfig;
use super::error::{JsonProblem, MaskError};
use super::plan::{Action, Entry, MaskPlan, StateId};
use super::strategy::{decode_key, Scalar, Transformer};
use crate::json::scan::{self, ScanError};

/// What happens to one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// Copy verbatim; every descendant too.
    Copy,
    /// Validate only; write nothing.
    Skip,
    /// Write it, deciding for each member or element from this state.
    /// With `filter` (only an ancestor of allow-listed fields), a scalar is
    /// dropped.
    Walk { state: StateId, filter: bool },
    /// Write a replacement. With `filter`, a scalar is dropped instead.
    Mask { action: Action, filter: bool },
}

impl Target {
    /// Whether the value's fate depends on its type (only an ancestor of
    /// allow-listed fields: containers stay, scalars go), so its key must
    /// be held back until the value starts.
    fn filters(self) -> bool {
        matches!(
            self,
            Target::Walk { filter: true, .. } | Target::Mask { filter: true, .. }
        )
    }
}

/// How the tokens of an open container are handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Copy,
    Skip,
    Walk(StateId),
}

#[derive(Clone, Copy, Debug)]
struct Frame {
    object: bool,
    mode: Mode,
    /// A member or element has been written (so the next needs a comma).
    wrote: bool,
    /// The index of the next array element.
    index: u64,
}

/// What the next token may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// The top-level value.
    Root,
    /// A value after `:` or after `,` in an array.
    Value,
    /// After `[`: a value or `]`.
    FirstValue,
    /// After `{`: a key or `}`.
    FirstKey,
    /// After `,` in an object.
    Key,
    Colon,
    /// After a value in a container: `,` or the closing bracket.
    Next,
    /// After the top-level value: only whitespace.
    Done,
}

/// What became of the key of the member being read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyOut {
    /// Already written (with its comma).
    Written,
    /// Held back until the value shows whether the member stays.
    Held,
    /// Not written: the member is dropped.
    Dropped,
}

/// What to write before a value that is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Prefix {
    /// Nothing: the top-level value, a value in a copied container (its
    /// commas are copied), or a member whose key is written.
    None,
    /// A comma unless this is the first element written.
    Comma,
    /// A comma as needed, then the held key.
    HeldKey,
}

/// The resumable masking state machine. See the module docs.
pub(crate) struct Machine<'p> {
    plan: &'p MaskPlan,
    transformer: Transformer,
    max_depth: usize,
    stack: Vec<Frame>,
    expect: Expect,
    /// The member being read: its value's target and its key's fate.
    member: (Target, KeyOut),
    /// A held key: whitespace, the key token, whitespace and `:`.
    held: Vec<u8>,
    key_units: Vec<u32>,
    key_buf: Vec<u8>,
    /// Absolute offset of the first byte of the next `feed` input.
    base: u64,
    /// Whether subtrees and members that need no look-up may be passed
    /// over whole ([`scan::value_end`]); off only in tests, as the
    /// reference for that fast path.
    fast: bool,
}

/// Writes output, merging adjacent copied spans of the input into one copy.
struct Sink<'i, 'o> {
    input: &'i [u8],
    out: &'o mut Vec<u8>,
    run: Option<(usize, usize)>,
}

impl Sink<'_, '_> {
    #[inline]
    fn copy(&mut self, from: usize, to: usize) -> Result<(), MaskError> {
        match &mut self.run {
            Some((_, end)) if *end == from => *end = to,
            _ => {
                self.flush()?;
                self.run = Some((from, to));
            }
        }
        Ok(())
    }

    /// Writes a `,`: the input's own when it directly follows the copied
    /// run, so the run goes on (one copy for many members); else a new one.
    #[inline]
    fn comma(&mut self) -> Result<(), MaskError> {
        match &mut self.run {
            Some((_, end)) if self.input.get(*end) == Some(&b',') => {
                *end += 1;
                Ok(())
            }
            _ => self.bytes(b","),
        }
    }

    fn bytes(&mut self, bytes: &[u8]) -> Result<(), MaskError> {
        self.flush()?;
        self.out.extend_from_slice(bytes);
        Ok(())
    }

    #[inline]
    fn flush(&mut self) -> Result<(), MaskError> {
        if let Some((from, to)) = self.run.take() {
            self.out
                .extend_from_slice(self.input.get(from..to).ok_or(MaskError::Internal)?);
        }
        Ok(())
    }
}

impl<'p> Machine<'p> {
    pub(crate) fn new(plan: &'p MaskPlan, config: &MaskConfig) -> Result<Machine<'p>, MaskError> {
        if plan.is_unusable() {
            return Err(MaskError::PlanTooComplex);
        }
        let key = config.usable_key();
        if plan.needs_hash_key() && key.is_none() {
            return Err(MaskError::MissingHashKey);
        }
        Ok(Machine {
            plan,
            transformer: Transformer::new(key, config.hash_len())?,
            max_depth: config.max_depth(),
            stack: Vec::new(),
            expect: Expect::Root,
            member: (Target::Skip, KeyOut::Dropped),
            held: Vec::new(),
            key_units: Vec::new(),
            key_buf: Vec::new(),
            base: 0,
            fast: true,
        })
    }

    /// The same machine reading every token through its dispatch loop: the
    /// reference its fast paths are tested against.
    #[cfg(test)]
    pub(crate) fn token_by_token(mut self) -> Machine<'p> {
        self.fast = false;
        self
    }

    fn target(&self, state: StateId) -> Target {
        match self.plan.entry(state) {
            Entry::Copy => Target::Copy,
            Entry::Drop => Target::Skip,
            Entry::Mask { action, filter } => Target::Mask { action, filter },
            Entry::Walk { filter } => Target::Walk { state, filter },
        }
    }

    /// How many levels of containers may open from here (the innermost
    /// open container's members or elements down) within the depth limit.
    fn levels(&self) -> usize {
        self.max_depth.saturating_sub(self.stack.len())
    }

    fn error(&self, (at, problem): ScanError) -> MaskError {
        MaskError::InvalidJson {
            offset: self.base + at as u64,
            problem,
        }
    }

    /// Processes every complete token of `input`, appending output to
    /// `out`, and returns how many bytes were consumed. The next call must
    /// start with `input[consumed..]`. With `eof`, the input must end the
    /// document: anything incomplete is an error.
    pub(crate) fn feed(
        &mut self,
        input: &[u8],
        eof: bool,
        out: &mut Vec<u8>,
    ) -> Result<usize, MaskError> {
        let mut sink = Sink {
            input,
            out,
            run: None,
        };
        let consumed = self.run(input, eof, &mut sink)?;
        sink.flush()?;
        self.base += consumed as u64;
        Ok(consumed)
    }

    fn run(
        &mut self,
        input: &[u8],
        eof: bool,
        sink: &mut Sink<'_, '_>,
    ) -> Result<usize, MaskError> {
        let mut pos = 0;
        loop {
            let unit = pos;
            let tok = scan::skip_ws(input, pos);
            let Some(&byte) = input.get(tok) else {
                // Only whitespace is left.
                return match self.expect {
                    Expect::Done => {
                        sink.copy(unit, tok)?;
                        Ok(tok)
                    }
                    _ if !eof => Ok(unit),
                    Expect::Root => Err(self.error((tok, JsonProblem::Empty))),
                    _ => Err(self.error((tok, JsonProblem::Truncated))),
                };
            };
            match self.expect {
                Expect::Done => return Err(self.error((tok, JsonProblem::TrailingData))),
                Expect::FirstValue if byte == b']' => pos = self.close(sink, unit, tok)?,
                Expect::FirstKey if byte == b'}' => pos = self.close(sink, unit, tok)?,
                Expect::Root | Expect::Value | Expect::FirstValue => {
                    match self.value(input, eof, sink, unit, tok, byte)? {
                        Some(end) => pos = end,
                        None => return Ok(unit),
                    }
                }
                Expect::FirstKey | Expect::Key => {
                    if byte != b'"' {
                        return Err(self.error((tok, JsonProblem::ExpectedKey)));
                    }
                    match self.key(input, eof, sink, unit, tok)? {
                        Some(end) => {
                            pos = end;
                            // The colon nearly always follows: take it here
                            // rather than through the dispatch above (unless
                            // the key took its whole member).
                            let colon = scan::skip_ws(input, end);
                            if self.expect == Expect::Colon && input.get(colon) == Some(&b':') {
                                self.colon(input, sink, end, colon)?;
                                pos = colon + 1;
                            }
                        }
                        None => return Ok(unit),
                    }
                }
                Expect::Colon => {
                    if byte != b':' {
                        return Err(self.error((tok, JsonProblem::ExpectedColon)));
                    }
                    self.colon(input, sink, unit, tok)?;
                    pos = tok + 1;
                }
                Expect::Next => {
                    let frame = self.stack.last().ok_or(MaskError::Internal)?;
                    match byte {
                        b',' => pos = self.comma_token(sink, unit, tok)?,
                        b'}' if frame.object => pos = self.close(sink, unit, tok)?,
                        b']' if !frame.object => pos = self.close(sink, unit, tok)?,
                        _ => return Err(self.error((tok, JsonProblem::ExpectedCommaOrClose))),
                    }
                }
            }
            // Likewise a comma after a value.
            if self.expect == Expect::Next {
                let comma = scan::skip_ws(input, pos);
                if input.get(comma) == Some(&b',') {
                    pos = self.comma_token(sink, pos, comma)?;
                }
            }
        }
    }

    /// The `:` after a key (at `tok`, with whitespace from `unit`).
    fn colon(
        &mut self,
        input: &[u8],
        sink: &mut Sink<'_, '_>,
        unit: usize,
        tok: usize,
    ) -> Result<(), MaskError> {
        match self.member.1 {
            KeyOut::Written => sink.copy(unit, tok + 1)?,
            KeyOut::Held => self
                .held
                .extend_from_slice(input.get(unit..=tok).ok_or(MaskError::Internal)?),
            KeyOut::Dropped => {}
        }
        self.expect = Expect::Value;
        Ok(())
    }

    /// A `,` between members or elements (at `tok`, whitespace from `unit`).
    fn comma_token(
        &mut self,
        sink: &mut Sink<'_, '_>,
        unit: usize,
        tok: usize,
    ) -> Result<usize, MaskError> {
        let frame = self.stack.last().ok_or(MaskError::Internal)?;
        // Copied containers copy their commas; elsewhere the machine
        // writes its own before each member it keeps.
        if frame.mode == Mode::Copy {
            sink.copy(unit, tok + 1)?;
        }
        self.expect = if frame.object {
            Expect::Key
        } else {
            Expect::Value
        };
        Ok(tok + 1)
    }

    fn close(
        &mut self,
        sink: &mut Sink<'_, '_>,
        unit: usize,
        tok: usize,
    ) -> Result<usize, MaskError> {
        let frame = self.stack.pop().ok_or(MaskError::Internal)?;
        if frame.mode != Mode::Skip {
            sink.copy(unit, tok + 1)?;
        }
        self.expect = if self.stack.is_empty() {
            Expect::Done
        } else {
            Expect::Next
        };
        Ok(tok + 1)
    }

    /// A member key: decides the member's fate from the plan.
    fn key(
        &mut self,
        input: &[u8],
        eof: bool,
        sink: &mut Sink<'_, '_>,
        unit: usize,
        tok: usize,
    ) -> Result<Option<usize>, MaskError> {
        let Some((end, escaped)) = scan::string(input, tok, eof).map_err(|e| self.error(e))? else {
            return Ok(None);
        };
        let frame = self.stack.last().copied().ok_or(MaskError::Internal)?;
        self.member = match frame.mode {
            Mode::Copy => {
                sink.copy(unit, end)?;
                (Target::Copy, KeyOut::Written)
            }
            Mode::Skip => (Target::Skip, KeyOut::Dropped),
            Mode::Walk(state) => {
                let raw = input.get(tok + 1..end - 1).ok_or(MaskError::Internal)?;
                let key = decode_key(raw, escaped, &mut self.key_units, &mut self.key_buf);
                let next = self.plan.key(state, key);
                let target = self.target(next);
                if let Some(value_end) = self.whole_member(input, sink, unit, end, target)? {
                    return Ok(Some(value_end));
                }
                match target {
                    Target::Skip => (target, KeyOut::Dropped),
                    _ if target.filters() => {
                        self.held.clear();
                        self.held
                            .extend_from_slice(input.get(unit..end).ok_or(MaskError::Internal)?);
                        (target, KeyOut::Held)
                    }
                    _ => {
                        self.comma(sink)?;
                        sink.copy(unit, end)?;
                        (target, KeyOut::Written)
                    }
                }
            }
        };
        self.expect = Expect::Colon;
        Ok(Some(end))
    }

    /// The rest of a member of a walked object whose key ends at `key_end`
    /// (whitespace from `unit`), when the value's `target` needs no look-up
    /// inside it (copied, dropped, or a masked scalar) and the colon and the
    /// whole value are here and valid: the member is written (or not) at
    /// once, and the end of its value returned. `Ok(None)` leaves the member
    /// to the token-by-token path, having written nothing.
    fn whole_member(
        &mut self,
        input: &[u8],
        sink: &mut Sink<'_, '_>,
        unit: usize,
        key_end: usize,
        target: Target,
    ) -> Result<Option<usize>, MaskError> {
        let colon = scan::skip_ws(input, key_end);
        if !self.fast || input.get(colon) != Some(&b':') {
            return Ok(None);
        }
        match target {
            Target::Copy | Target::Skip => {
                let Some(value_end) = scan::value_end(input, colon + 1, self.levels()) else {
                    return Ok(None);
                };
                if target == Target::Copy {
                    self.comma(sink)?;
                    sink.copy(unit, value_end)?;
                }
                self.expect = Expect::Next;
                Ok(Some(value_end))
            }
            Target::Mask {
                action,
                filter: false,
            } => {
                let tok = scan::skip_ws(input, colon + 1);
                let (Some(&byte), Some((value_end, escaped))) =
                    (input.get(tok), scan::scalar_end(input, tok))
                else {
                    return Ok(None);
                };
                self.comma(sink)?;
                sink.copy(unit, tok)?;
                self.mask_scalar(input, sink, action, (tok, value_end), byte, escaped)?;
                self.expect = Expect::Next;
                Ok(Some(value_end))
            }
            Target::Mask { .. } | Target::Walk { .. } => Ok(None),
        }
    }

    /// Writes the replacement for the scalar token `tok..end` (first byte
    /// `byte`; `escaped`: a string with a `\`).
    fn mask_scalar(
        &mut self,
        input: &[u8],
        sink: &mut Sink<'_, '_>,
        action: Action,
        (tok, end): (usize, usize),
        byte: u8,
        escaped: bool,
    ) -> Result<(), MaskError> {
        sink.flush()?;
        let token = input.get(tok..end).ok_or(MaskError::Internal)?;
        let scalar = match byte {
            b'"' => {
                let raw = token.get(1..token.len() - 1).ok_or(MaskError::Internal)?;
                Scalar::Str { raw, escaped }
            }
            b'n' => Scalar::Null,
            _ => Scalar::Text(token),
        };
        self.transformer.scalar(action, scalar, sink.out)
    }

    /// Writes a comma before a member or element of the innermost container
    /// unless it is the first written.
    fn comma(&mut self, sink: &mut Sink<'_, '_>) -> Result<(), MaskError> {
        let frame = self.stack.last_mut().ok_or(MaskError::Internal)?;
        if frame.wrote {
            sink.comma()?;
        }
        frame.wrote = true;
        Ok(())
    }

    fn prefix(&mut self, sink: &mut Sink<'_, '_>, prefix: Prefix) -> Result<(), MaskError> {
        match prefix {
            Prefix::None => {}
            Prefix::Comma => self.comma(sink)?,
            Prefix::HeldKey => {
                self.comma(sink)?;
                sink.bytes(&self.held)?;
            }
        }
        Ok(())
    }

    /// A value: scans its first token, then writes, masks or skips it.
    fn value(
        &mut self,
        input: &[u8],
        eof: bool,
        sink: &mut Sink<'_, '_>,
        unit: usize,
        tok: usize,
        byte: u8,
    ) -> Result<Option<usize>, MaskError> {
        // Scan first: an incomplete token must leave no trace.
        let scanned = match byte {
            b'{' | b'[' => Ok(Some((tok + 1, false))),
            b'"' => scan::string(input, tok, eof),
            b'-' | b'0'..=b'9' => scan::number(input, tok, eof).map(|s| s.map(|end| (end, false))),
            b't' => scan::literal(input, tok, b"true", eof).map(|s| s.map(|end| (end, false))),
            b'f' => scan::literal(input, tok, b"false", eof).map(|s| s.map(|end| (end, false))),
            b'n' => scan::literal(input, tok, b"null", eof).map(|s| s.map(|end| (end, false))),
            other => Err((tok, JsonProblem::UnexpectedByte(other))),
        };
        // `escaped`: a string with a `\`.
        let Some((end, escaped)) = scanned.map_err(|e| self.error(e))? else {
            return Ok(None);
        };

        let (target, prefix) = match self.stack.last_mut() {
            None => (self.target(0), Prefix::None),
            Some(frame) => match frame.mode {
                Mode::Copy => (Target::Copy, Prefix::None),
                Mode::Skip => (Target::Skip, Prefix::None),
                Mode::Walk(_) if frame.object => match self.member {
                    (target, KeyOut::Held) => (target, Prefix::HeldKey),
                    (target, _) => (target, Prefix::None),
                },
                Mode::Walk(state) => {
                    let index = frame.index;
                    frame.index = index.saturating_add(1);
                    (self.target(self.plan.index(state, index)), Prefix::Comma)
                }
            },
        };

        if byte == b'{' || byte == b'[' {
            if self.stack.len() >= self.max_depth {
                return Err(MaskError::TooDeep {
                    offset: self.base + tok as u64,
                    limit: self.max_depth,
                });
            }
            // Nothing inside is looked up: pass over it at once when all
            // of it is here and valid. Only at the top of such a subtree: one
            // that could not be passed over is read token by token without
            // trying again below, so no byte is scanned more than twice.
            let walked = self
                .stack
                .last()
                .is_none_or(|frame| matches!(frame.mode, Mode::Walk(_)));
            if self.fast && walked && !matches!(target, Target::Walk { .. }) {
                if let Some(end) = scan::value_end(input, tok, self.levels()) {
                    match target {
                        Target::Copy => {
                            self.prefix(sink, prefix)?;
                            sink.copy(unit, end)?;
                        }
                        Target::Mask { action, .. } => {
                            self.prefix(sink, prefix)?;
                            sink.copy(unit, tok)?;
                            sink.flush()?;
                            self.transformer.container(action, sink.out);
                        }
                        Target::Skip | Target::Walk { .. } => {}
                    }
                    self.expect = if self.stack.is_empty() {
                        Expect::Done
                    } else {
                        Expect::Next
                    };
                    return Ok(Some(end));
                }
            }
            let mode = match target {
                Target::Skip => Mode::Skip,
                Target::Copy => {
                    self.prefix(sink, prefix)?;
                    sink.copy(unit, end)?;
                    Mode::Copy
                }
                Target::Walk { state, .. } => {
                    self.prefix(sink, prefix)?;
                    sink.copy(unit, end)?;
                    Mode::Walk(state)
                }
                Target::Mask { action, .. } => {
                    self.prefix(sink, prefix)?;
                    sink.copy(unit, tok)?;
                    sink.flush()?;
                    self.transformer.container(action, sink.out);
                    Mode::Skip
                }
            };
            self.stack.push(Frame {
                object: byte == b'{',
                mode,
                wrote: false,
                index: 0,
            });
            self.expect = if byte == b'{' {
                Expect::FirstKey
            } else {
                Expect::FirstValue
            };
            return Ok(Some(end));
        }

        match target {
            Target::Skip => {}
            _ if target.filters() && self.stack.is_empty() => return Err(MaskError::NotContainer),
            // Only an ancestor of allow-listed fields, and not a container:
            // nothing of it is listed.
            _ if target.filters() => {}
            Target::Copy | Target::Walk { .. } => {
                self.prefix(sink, prefix)?;
                sink.copy(unit, end)?;
            }
            Target::Mask { action, .. } => {
                self.prefix(sink, prefix)?;
                sink.copy(unit, tok)?;
                self.mask_scalar(input, sink, action, (tok, end), byte, escaped)?;
            }
        }
        self.expect = if self.stack.is_empty() {
            Expect::Done
        } else {
            Expect::Next
        };
        Ok(Some(end))
    }
}

/// Masks a whole response held in memory. On error, nothing may be sent.
pub fn mask_slice(plan: &MaskPlan, body: &[u8], config: &MaskConfig) -> Result<Vec<u8>, MaskError> {
    let mut machine = Machine::new(plan, config)?;
    if body.len() as u64 > config.max_bytes() {
        return Err(MaskError::TooLarge {
            limit: config.max_bytes(),
        });
    }
    let mut out = Vec::with_capacity(body.len() + body.len() / 8);
    machine.feed(body, true, &mut out)?;
    Ok(out)
}

/// Masks a response that arrives in chunks. Feed each chunk to
/// [`MaskStream::push`], then call [`MaskStream::finish`]; each appends the
/// masked output produced so far to `out`.
///
/// **On any error the response must be withheld and everything already
/// written discarded**: the output so far may be a valid-looking prefix of
/// a document whose later fields were never checked. After an error, every
/// further call fails too.
///
/// Output is produced as soon as each token is complete; a token split
/// across chunks is carried over (re-scanned at most a logarithmic number
/// of times, so feeding even one byte at a time stays linear).
pub struct MaskStream<'p> {
    machine: Machine<'p>,
    carry: Vec<u8>,
    /// Feed the carry again only once it has grown to this length.
    next_feed: usize,
    total: u64,
    max_bytes: u64,
    failed: bool,
}

impl<'p> MaskStream<'p> {
    /// A stream that masks one response by `plan` under `config`'s limits.
    /// Fails with [`MaskError::MissingHashKey`] when the plan uses `hash`
    /// and `config` has no usable key.
    pub fn new(plan: &'p MaskPlan, config: &MaskConfig) -> Result<MaskStream<'p>, MaskError> {
        Ok(MaskStream {
            machine: Machine::new(plan, config)?,
            carry: Vec::new(),
            next_feed: 0,
            total: 0,
            max_bytes: config.max_bytes(),
            failed: false,
        })
    }

    /// Masks the next chunk of the response.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<(), MaskError> {
        if self.failed {
            return Err(MaskError::StreamFailed);
        }
        let result = self.push_inner(chunk, out);
        self.failed = result.is_err();
        result
    }

    fn push_inner(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<(), MaskError> {
        self.total = self.total.saturating_add(chunk.len() as u64);
        if self.total > self.max_bytes {
            return Err(MaskError::TooLarge {
                limit: self.max_bytes,
            });
        }
        if self.carry.is_empty() {
            let used = self.machine.feed(chunk, false, out)?;
            let rest = chunk.get(used..).ok_or(MaskError::Internal)?;
            self.carry.extend_from_slice(rest);
        } else {
            self.carry.extend_from_slice(chunk);
            if self.carry.len() < self.next_feed {
                return Ok(());
            }
            let used = self.machine.feed(&self.carry, false, out)?;
            self.carry.drain(..used.min(self.carry.len()));
        }
        self.next_feed = self.carry.len().saturating_mul(2);
        Ok(())
    }

    /// Ends the response: fails if it is incomplete.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<(), MaskError> {
        if self.failed {
            return Err(MaskError::StreamFailed);
        }
        self.machine.feed(&self.carry, true, out)?;
        Ok(())
    }
}

/// Masks a response from a reader to a writer, in chunks of 64 KiB, and
/// returns the number of bytes written. **On error the writer holds a
/// partial document that must be discarded**, not sent.
pub fn mask_io(
    plan: &MaskPlan,
    config: &MaskConfig,
    mut reader: impl Read,
    mut writer: impl Write,
) -> Result<u64, MaskError> {
    let mut stream = MaskStream::new(plan, config)?;
    let mut buf = vec![0u8; 64 << 10];
    let mut out = Vec::new();
    let mut written = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(MaskError::Io(e)),
        };
        stream.push(buf.get(..n).ok_or(MaskError::Internal)?, &mut out)?;
        writer.write_all(&out)?;
        written += out.len() as u64;
        out.clear();
    }
    stream.finish(&mut out)?;
    writer.write_all(&out)?;
    writer.flush()?;
    Ok(written + out.len() as u64)
}
