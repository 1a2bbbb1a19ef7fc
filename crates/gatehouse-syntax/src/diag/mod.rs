//! Diagnostics: what the parser, the checker and the linter say about a
//! policy.
//!
//! A [`Diagnostic`] has a stable [`Code`], a severity, a one-line message, a
//! labelled primary span, optional related spans and a hint; a lint finding
//! may also name the endpoint it is about. It renders for humans through
//! `miette` (`Diagnostic::report`, with the `miette` feature) and as JSON
//! through [`Diagnostic::to_json`]. Codes, the checker's and the lint
//! rules', are listed once, in `codes`; they are never reused or
//! renumbered.
// Re-exported by the `gatehouse` facade: every public item is documented.
#![warn(missing_docs)]

mod codes;
#[cfg(feature = "miette")]
mod report;
mod suggest;

use serde::Serialize;

pub use codes::{Code, Severity};
#[cfg(feature = "miette")]
pub use report::Report;
pub use suggest::did_you_mean;

use crate::span::{Location, SourceFile, Sources, Span};

/// One finding about a policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The stable code: a checker error or warning (`GH-E0202`, `GH-W…`)
    /// or a lint rule (`GH-L001`). It decides the severity.
    pub code: Code,
    /// One line saying what is wrong.
    pub message: String,
    /// Where: the primary place in the source.
    pub span: Span,
    /// Text shown beside the primary span.
    pub label: String,
    /// What to do about it, when that can be said.
    pub help: Option<String>,
    /// Other places that explain the finding (the earlier duplicate, the
    /// endpoint a route conflicts with).
    pub related: Vec<(Span, String)>,
    /// The endpoint the finding is about (its span and `METHOD PATH`), if it
    /// is about one. It is kept apart from `span` because a lint finding may
    /// point elsewhere (at a rule the endpoint inherits from `defaults`),
    /// and an allow directive on the endpoint must still cover it.
    pub endpoint: Option<(Span, String)>,
}

impl Diagnostic {
    /// A diagnostic with a code, a place and a message; the builders below
    /// add the rest.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            span,
            label: String::new(),
            help: None,
            related: Vec::new(),
            endpoint: None,
        }
    }

    /// Sets the text shown beside the primary span.
    pub fn label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = label.into();
        self
    }

    /// Sets the hint.
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Sets the help text only if there is one.
    pub fn maybe_help(mut self, help: Option<String>) -> Diagnostic {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    /// Adds another place that explains the finding, with its label.
    pub fn related(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.related.push((span, label.into()));
        self
    }

    /// Marks the diagnostic as being about an endpoint: its span and its
    /// `METHOD PATH` label.
    pub fn about(mut self, endpoint: Span, label: impl Into<String>) -> Diagnostic {
        self.endpoint = Some((endpoint, label.into()));
        self
    }

    /// Error or warning, from the code.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// Whether this is an error (a policy with one does not load).
    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }

    /// The serialisable form used by `--format json` and the WASM API.
    pub fn to_json(&self, sources: &Sources) -> DiagnosticJson {
        let file = sources.get(self.span.file);
        DiagnosticJson {
            code: self.code.as_str(),
            rule: None,
            severity: self.severity(),
            message: self.message.clone(),
            help: self.help.clone(),
            location: sources.locate(self.span),
            span: SpanJson::from(self.span),
            label: self.label.clone(),
            source_line: file.map(|f| f.line_text(sources.locate(self.span).line).to_string()),
            endpoint: self.endpoint.as_ref().map(|(_, label)| label.clone()),
            related: self
                .related
                .iter()
                .map(|(span, label)| RelatedJson {
                    location: sources.locate(*span),
                    span: SpanJson::from(*span),
                    label: label.clone(),
                })
                .collect(),
        }
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

/// JSON form of a [`Diagnostic`].
#[derive(Clone, Debug, Serialize)]
pub struct DiagnosticJson {
    /// The stable code.
    pub code: &'static str,
    /// The lint rule's name (`public-without-quota`), for a lint code. The
    /// names live with the rules, so the linter fills this in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
    /// `error` or `warning`.
    pub severity: Severity,
    /// One line saying what is wrong.
    pub message: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// File, line and column of the primary span.
    pub location: Location,
    /// Byte offsets of the primary span.
    pub span: SpanJson,
    /// Text shown beside the primary span.
    pub label: String,
    /// The source line the primary span starts on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_line: Option<String>,
    /// The endpoint the diagnostic is about (`GET /pets/{id}`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Other places that explain the finding.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<RelatedJson>,
}

/// Byte offsets of a span, for tools that index the source themselves.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct SpanJson {
    /// The first byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl From<Span> for SpanJson {
    fn from(span: Span) -> SpanJson {
        SpanJson {
            start: span.start,
            end: span.end,
        }
    }
}

/// JSON form of a related place of a [`Diagnostic`].
#[derive(Clone, Debug, Serialize)]
pub struct RelatedJson {
    /// File, line and column.
    pub location: Location,
    /// Byte offsets.
    pub span: SpanJson,
    /// What this place has to do with the finding.
    pub label: String,
}

/// A list of diagnostics with helpers for the usual questions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// No diagnostics.
    pub fn new() -> Diagnostics {
        Diagnostics(Vec::new())
    }

    /// Adds one diagnostic at the end.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Adds several diagnostics at the end.
    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }

    /// Whether any diagnostic is an error (a policy with one does not load).
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// The errors, in order.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.is_error())
    }

    /// The warnings, in order.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| !d.is_error())
    }

    /// Every diagnostic, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The diagnostics as a slice.
    pub fn as_slice(&self) -> &[Diagnostic] {
        &self.0
    }

    /// Sorts by file, then position, then code and message, so output is
    /// stable. (Only identical diagnostics tie, so an unstable sort, which
    /// is smaller code, gives the same order.)
    pub fn sort(&mut self) {
        self.0.sort_unstable_by(|a, b| {
            (a.span.file, a.span.start, a.code.as_str(), &a.message).cmp(&(
                b.span.file,
                b.span.start,
                b.code.as_str(),
                &b.message,
            ))
        });
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl From<Vec<Diagnostic>> for Diagnostics {
    fn from(list: Vec<Diagnostic>) -> Diagnostics {
        Diagnostics(list)
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = Diagnostic>>(iter: I) -> Diagnostics {
        Diagnostics(iter.into_iter().collect())
    }
}

/// `file:line:col: severity[code]: message`, one line, for logs and tests.
pub fn one_line(diagnostic: &Diagnostic, file: Option<&SourceFile>) -> String {
    let (line, column) = file.map_or((0, 0), |f| f.line_col(diagnostic.span.start as usize));
    format!(
        "{}:{}:{}: {}[{}]: {}",
        file.map_or("<unknown>", |f| f.name.as_str()),
        line,
        column,
        diagnostic.severity().as_str(),
        diagnostic.code.as_str(),
        diagnostic.message
    )
}
