//! Lays out a policy line by line and puts every comment back.
//!
//! The printer walks the AST in source order with a cursor over the
//! comments (which are in source order too). Before each node it emits the
//! comments that lie between the previous node and this one: a comment on
//! the line where the previous node ended trails that node's last line; the
//! others go on their own lines above this node, with blank lines kept
//! (collapsed to one). A comment inside a one-line node (between its
//! tokens) moves above it. Trailing comments on consecutive lines of one
//! block are aligned.

use super::render::Render;
use crate::span::Span;
use crate::syntax::ast::OptionAst;
use crate::syntax::ast::{
    FieldAst, Fields, Item, ItemKind, PolicyAst, ScopeDecl, Statement, StatementKind,
};
use crate::syntax::comments::Comment;

/// Indentation of one block level.
const INDENT: &str = "  ";

enum Line {
    Blank,
    Comment {
        indent: usize,
        text: String,
    },
    Code {
        indent: usize,
        text: String,
        trailing: Option<String>,
    },
}

/// A child in a block, in source order.
enum Node<'a> {
    Item(&'a Item, usize),
    Statement(&'a Statement),
    Scope(&'a ScopeDecl, usize),
    Option(&'a OptionAst, usize),
    Field(&'a FieldAst),
    /// `...` in a field block.
    Rest(Span),
}

impl Node<'_> {
    fn span(&self) -> Span {
        match self {
            Node::Item(item, _) => item.span,
            Node::Statement(statement) => statement.span,
            Node::Scope(scope, _) => scope.span,
            Node::Option(option, _) => option.span,
            Node::Field(field) => field.span,
            Node::Rest(span) => *span,
        }
    }
}

pub(super) struct Printer<'a> {
    render: Render<'a>,
    comments: &'a [Comment],
    /// The next comment not yet emitted.
    next: usize,
    lines: Vec<Line>,
}

impl<'a> Printer<'a> {
    pub fn new(text: &'a str, comments: &'a [Comment]) -> Printer<'a> {
        Printer {
            render: Render { text },
            comments,
            next: 0,
            lines: Vec::new(),
        }
    }

    pub fn policy(mut self, ast: &PolicyAst) -> String {
        let pads = auth_pads(&ast.items);
        let mut prev_end = 0;
        let mut prev_item: Option<&Item> = None;
        for (item, pad) in ast.items.iter().zip(pads) {
            let mut force_blank = prev_item
                .is_some_and(|p| is_block(p) || is_block(item) || is_auth(p) != is_auth(item));
            let start = item.span.start as usize;
            prev_end = self.gap(prev_end, start, 0, &mut force_blank);
            if force_blank || blank_between(self.render.text, prev_end, start) {
                self.blank();
            }
            self.node(&Node::Item(item, pad), 0);
            prev_end = item.span.end as usize;
            prev_item = Some(item);
        }
        self.gap(prev_end, self.render.text.len(), 0, &mut false);
        self.finish()
    }

    // ------------------------------------------------------------ nodes

    fn node(&mut self, node: &Node<'_>, indent: usize) {
        let span = node.span();
        match node {
            Node::Item(item, pad) => self.item(item, *pad, indent),
            Node::Statement(statement) => self.statement(statement, indent),
            Node::Scope(scope, pad) => self.leaf(span, indent, self.render.scope(scope, *pad)),
            Node::Option(option, pad) => self.leaf(span, indent, self.render.option(option, *pad)),
            Node::Field(field) => self.field(field, indent),
            Node::Rest(_) => self.leaf(span, indent, "...".into()),
        }
    }

    fn item(&mut self, item: &Item, pad: usize, indent: usize) {
        let span = item.span;
        let r = &self.render;
        match &item.kind {
            ItemKind::Api { name, version } => {
                let mut text = format!("api {}", r.slice(name.span));
                if let Some(version) = version {
                    text.push_str(&format!(" version {}", r.slice(version.span)));
                }
                self.leaf(span, indent, text);
            }
            ItemKind::Owner(owner) => {
                let text = format!("owner {}", r.slice(owner.span));
                self.leaf(span, indent, text);
            }
            ItemKind::Base(path) => {
                let text = format!("base {}", path.text);
                self.leaf(span, indent, text);
            }
            ItemKind::Host(host) => {
                let text = format!("host {}", r.slice(host.span));
                self.leaf(span, indent, text);
            }
            ItemKind::Auth(decl) => {
                let text = r.auth(decl, pad);
                self.leaf(span, indent, text);
            }
            ItemKind::Scopes(decls) => {
                let pad = decls
                    .iter()
                    .filter(|d| d.description.is_some())
                    .map(|d| d.name.node.len())
                    .max()
                    .unwrap_or(0);
                let children = decls.iter().map(|d| Node::Scope(d, pad)).collect();
                let open = self.find_open(span.start as usize);
                self.block(open, close_of(span), "scopes".into(), children, indent);
            }
            ItemKind::Options(options) => {
                let pad = options.iter().map(|o| o.name.node.len()).max().unwrap_or(0);
                let children = options.iter().map(|o| Node::Option(o, pad)).collect();
                let open = self.find_open(span.start as usize);
                self.block(open, close_of(span), "options".into(), children, indent);
            }
            ItemKind::Defaults(statements) => {
                let children = statements.iter().map(Node::Statement).collect();
                let open = self.find_open(span.start as usize);
                self.block(open, close_of(span), "defaults".into(), children, indent);
            }
            ItemKind::Endpoint(endpoint) => {
                let head = format!("endpoint {} {}", endpoint.method.node, endpoint.path.text);
                let children = endpoint.body.iter().map(Node::Statement).collect();
                let open = self.find_open(endpoint.head_span.end as usize);
                self.block(open, close_of(span), head, children, indent);
            }
        }
    }

    fn statement(&mut self, statement: &Statement, indent: usize) {
        let span = statement.span;
        let head = self.render.statement(statement);
        match &statement.kind {
            StatementKind::ShadowBlock(inner) => {
                let children = inner.iter().map(Node::Statement).collect();
                let open = self.find_open(span.start as usize);
                self.block(open, close_of(span), head, children, indent);
            }
            StatementKind::BodyJson {
                fields: Some(fields),
                ..
            }
            | StatementKind::Query(fields)
            | StatementKind::Headers(fields) => {
                self.fields(span, head, fields, String::new(), indent)
            }
            _ => self.leaf(span, indent, head),
        }
    }

    fn field(&mut self, field: &FieldAst, indent: usize) {
        let head = self.render.field_head(field);
        let (ty, object, suffix) = self.render.type_parts(&field.ty);
        match object {
            Some(fields) => {
                let head = if ty.is_empty() {
                    head
                } else {
                    format!("{head} {ty}")
                };
                self.fields(field.span, head, fields, suffix, indent);
            }
            None => self.leaf(field.span, indent, format!("{head} {ty}")),
        }
    }

    /// `HEAD { FIELDS } SUFFIX`: on one line when there is nothing inside
    /// but `...` and no comment; otherwise one field per line.
    fn fields(&mut self, span: Span, head: String, fields: &Fields, suffix: String, indent: usize) {
        let open = fields.span.start as usize;
        let close = close_of(fields.span);
        if fields.fields.is_empty() && !self.has_comments(open, close) {
            let inside = if fields.allow_unknown.is_some() {
                "{ ... }"
            } else {
                "{}"
            };
            self.leaf(span, indent, format!("{head} {inside}{suffix}"));
            return;
        }
        let mut children: Vec<Node<'_>> = fields.fields.iter().map(Node::Field).collect();
        if let Some(rest) = fields.allow_unknown {
            children.push(Node::Rest(rest));
        }
        // Spans of distinct nodes start at distinct places.
        children.sort_unstable_by_key(|c| c.span().start);
        self.block_with_suffix(open, close, head, children, indent, suffix);
    }

    // ------------------------------------------------------------ layout

    /// A node printed on one line. Comments between its tokens move above it.
    fn leaf(&mut self, span: Span, indent: usize, text: String) {
        while let Some(comment) = self
            .comments
            .get(self.next)
            .filter(|c| c.start < span.end as usize)
        {
            self.lines.push(Line::Comment {
                indent,
                text: comment.text.clone(),
            });
            self.next += 1;
        }
        self.lines.push(Line::Code {
            indent,
            text,
            trailing: None,
        });
    }

    fn block(
        &mut self,
        open: usize,
        close: usize,
        head: String,
        children: Vec<Node<'_>>,
        indent: usize,
    ) {
        self.block_with_suffix(open, close, head, children, indent, String::new());
    }

    /// `HEAD {`, the children one level deeper, `}SUFFIX`; `HEAD {}` when
    /// empty and without comments.
    fn block_with_suffix(
        &mut self,
        open: usize,
        close: usize,
        head: String,
        children: Vec<Node<'_>>,
        indent: usize,
        suffix: String,
    ) {
        // Comments inside the head (before `{`) move above it.
        while let Some(comment) = self.comments.get(self.next).filter(|c| c.start < open) {
            self.lines.push(Line::Comment {
                indent,
                text: comment.text.clone(),
            });
            self.next += 1;
        }
        if children.is_empty() && !self.has_comments(open, close) {
            self.lines.push(Line::Code {
                indent,
                text: format!("{head} {{}}{suffix}"),
                trailing: None,
            });
            return;
        }
        self.lines.push(Line::Code {
            indent,
            text: format!("{head} {{"),
            trailing: None,
        });
        let mut prev_end = open + 1;
        for child in &children {
            let start = child.span().start as usize;
            prev_end = self.gap(prev_end, start, indent + 1, &mut false);
            if blank_between(self.render.text, prev_end, start) {
                self.blank();
            }
            self.node(child, indent + 1);
            prev_end = child.span().end as usize;
        }
        self.gap(prev_end, close, indent + 1, &mut false);
        while matches!(self.lines.last(), Some(Line::Blank)) {
            self.lines.pop();
        }
        // Whatever lies between `}` and the end of the node (a comment
        // before a modifier) is taken by the next gap.
        self.lines.push(Line::Code {
            indent,
            text: format!("}}{suffix}"),
            trailing: None,
        });
    }

    /// Emits the comments that start before `until`, after code that ended
    /// at `prev_end`; returns where the last of them ends. With
    /// `force_blank`, a blank line goes before the first comment on its own
    /// line (and `force_blank` is cleared).
    fn gap(
        &mut self,
        mut prev_end: usize,
        until: usize,
        indent: usize,
        force_blank: &mut bool,
    ) -> usize {
        while let Some(comment) = self.comments.get(self.next).filter(|c| c.start < until) {
            self.next += 1;
            if !comment.own_line && self.trail(&comment.text) {
                prev_end = comment.end;
                continue;
            }
            if *force_blank || blank_between(self.render.text, prev_end, comment.start) {
                self.blank();
            }
            *force_blank = false;
            self.lines.push(Line::Comment {
                indent,
                text: comment.text.clone(),
            });
            prev_end = comment.end;
        }
        prev_end
    }

    /// Attaches a trailing comment to the last line of code, if it has none.
    fn trail(&mut self, text: &str) -> bool {
        match self.lines.last_mut() {
            Some(Line::Code {
                trailing: trailing @ None,
                ..
            }) => {
                *trailing = Some(text.to_string());
                true
            }
            _ => false,
        }
    }

    /// One blank line, never at the start of the file or of a block, and
    /// never two in a row.
    fn blank(&mut self) {
        match self.lines.last() {
            None | Some(Line::Blank) => {}
            Some(Line::Code { text, .. }) if text.ends_with('{') => {}
            Some(_) => self.lines.push(Line::Blank),
        }
    }

    fn has_comments(&self, from: usize, to: usize) -> bool {
        self.comments
            .get(self.next..)
            .unwrap_or(&[])
            .iter()
            .any(|c| c.start > from && c.start < to)
    }

    /// The `{` that opens a block, searching from `from` and skipping
    /// comments and strings.
    fn find_open(&self, from: usize) -> usize {
        let text = self.render.text;
        let mut in_comment = false;
        let mut in_string = false;
        let mut escaped = false;
        for (i, byte) in text.bytes().enumerate().skip(from) {
            if in_comment {
                in_comment = byte != b'\n';
                continue;
            }
            if in_string {
                match byte {
                    _ if escaped => escaped = false,
                    b'\\' => escaped = true,
                    b'"' | b'\n' => in_string = false,
                    _ => {}
                }
                continue;
            }
            match byte {
                b'#' => in_comment = true,
                b'"' => in_string = true,
                b'{' => return i,
                _ => {}
            }
        }
        text.len()
    }

    // ------------------------------------------------------------ output

    fn finish(mut self) -> String {
        while matches!(self.lines.last(), Some(Line::Blank)) {
            self.lines.pop();
        }
        // Trailing comments on consecutive code lines of one indentation
        // are aligned two spaces after the longest of them.
        // Lines that open or close a block are not aligned with others.
        let alignable = |line: Option<&Line>, run_indent: Option<usize>| match line {
            Some(Line::Code {
                indent,
                text,
                trailing: Some(_),
            }) => {
                !text.ends_with('{')
                    && !text.starts_with('}')
                    && run_indent.is_none_or(|i| i == *indent)
            }
            _ => false,
        };
        let mut widths = vec![0usize; self.lines.len()];
        let mut i = 0;
        while i < self.lines.len() {
            let Some(Line::Code { indent, .. }) =
                self.lines.get(i).filter(|l| alignable(Some(l), None))
            else {
                i += 1;
                continue;
            };
            let run_indent = *indent;
            let mut j = i;
            let mut width = 0;
            while alignable(self.lines.get(j), Some(run_indent)) {
                if let Some(Line::Code { text, .. }) = self.lines.get(j) {
                    width = width.max(text.chars().count());
                }
                j += 1;
            }
            for w in widths.iter_mut().take(j).skip(i) {
                *w = width;
            }
            i = j;
        }
        let mut out = String::new();
        for (line, width) in self.lines.iter().zip(widths) {
            match line {
                Line::Blank => {}
                Line::Comment { indent, text } => {
                    out.push_str(&INDENT.repeat(*indent));
                    out.push_str(text);
                }
                Line::Code {
                    indent,
                    text,
                    trailing,
                } => {
                    out.push_str(&INDENT.repeat(*indent));
                    out.push_str(text);
                    if let Some(comment) = trailing {
                        let pad = width.saturating_sub(text.chars().count()) + 2;
                        out.push_str(&" ".repeat(pad));
                        out.push_str(comment);
                    }
                }
            }
            out.push('\n');
        }
        out
    }
}

/// `scopes`, `options`, `defaults` and endpoints are blocks: a blank line
/// separates them from the items around them.
fn is_block(item: &Item) -> bool {
    matches!(
        item.kind,
        ItemKind::Scopes(_) | ItemKind::Options(_) | ItemKind::Defaults(_) | ItemKind::Endpoint(_)
    )
}

/// A run of `auth` declarations is a group: a blank line separates it from
/// other items.
fn is_auth(item: &Item) -> bool {
    matches!(item.kind, ItemKind::Auth(_))
}

/// Consecutive `auth` declarations align their `=`: the width of the
/// longest name in the run, for each item (0 for other items).
fn auth_pads(items: &[Item]) -> Vec<usize> {
    let mut pads = vec![0; items.len()];
    let mut i = 0;
    while i < items.len() {
        let mut j = i;
        let mut width = 0;
        while let Some(Item {
            kind: ItemKind::Auth(decl),
            ..
        }) = items.get(j)
        {
            width = width.max(decl.name.node.len());
            j += 1;
        }
        for pad in pads.iter_mut().take(j).skip(i) {
            *pad = width;
        }
        i = j.max(i + 1);
    }
    pads
}

/// The `}` that closes a block whose span ends with it.
fn close_of(span: Span) -> usize {
    (span.end as usize).saturating_sub(1)
}

/// Whether the whitespace between two offsets holds an empty line.
fn blank_between(text: &str, from: usize, to: usize) -> bool {
    text.get(from..to)
        .is_some_and(|gap| gap.matches('\n').count() >= 2)
}
