//! Rendering for people: a [`Diagnostic`] with its source, as a
//! [`miette::Diagnostic`] (the `miette` feature; the CLI and the tools use
//! it, an embedder that only loads policies does not need it).

use super::{Diagnostic, Severity};
use crate::span::Sources;

impl Diagnostic {
    /// A value implementing [`miette::Diagnostic`], with the source attached,
    /// for rendering with any miette report handler.
    pub fn report(&self, sources: &Sources) -> Report {
        let source = sources.get(self.span.file);
        // Related places in other files cannot be drawn under this file's
        // excerpt; name them in the help text instead.
        let mut diagnostic = self.clone();
        for (span, label) in self
            .related
            .iter()
            .filter(|(span, _)| span.file != self.span.file)
        {
            let note = format!("{label}: {}", sources.locate(*span));
            diagnostic.help = Some(match diagnostic.help.take() {
                Some(help) => format!("{help}\n{note}"),
                None => note,
            });
        }
        Report {
            diagnostic,
            source: miette::NamedSource::new(
                source.map_or_else(String::new, |s| s.name.clone()),
                source.map_or_else(String::new, |s| s.text.to_string()),
            ),
        }
    }
}

/// A [`Diagnostic`] together with its source, implementing [`miette::Diagnostic`].
#[derive(Debug)]
pub struct Report {
    diagnostic: Diagnostic,
    source: miette::NamedSource<String>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    /// `error[GH-E0202]`: the severity in words, so logs can be searched.
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(format!(
            "{}[{}]",
            self.diagnostic.severity().as_str(),
            self.diagnostic.code.as_str()
        )))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity() {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let d = &self.diagnostic;
        let primary = miette::LabeledSpan::new_primary_with_span(
            (!d.label.is_empty()).then(|| d.label.clone()),
            d.span.range(),
        );
        // Related spans in other files cannot be drawn against this source.
        let related = d
            .related
            .iter()
            .filter(|(span, _)| span.file == d.span.file)
            .map(|(span, label)| {
                miette::LabeledSpan::new_with_span(Some(label.clone()), span.range())
            });
        Some(Box::new(std::iter::once(primary).chain(related)))
    }
}
