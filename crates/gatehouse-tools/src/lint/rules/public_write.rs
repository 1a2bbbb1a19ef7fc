//! # public-write (GH-L016)
//!
//! ## What it does
//!
//! Flags a `public` endpoint that accepts a write method (`POST`, `PUT`,
//! `PATCH`, `DELETE`, or `*`).
//!
//! ## Why is this bad?
//!
//! Writing without a principal means anyone can change state: create
//! records, trigger work, fill storage. Some endpoints must be public
//! (sign-up, sign-in, webhooks that verify their own signature); they
//! deserve a tight quota, a body limit and a written reason. Anything else
//! should authenticate.
//!
//! ## Example
//!
//! ```gate
//! endpoint POST /feedback {
//!   public
//!   quota 5/min by ip
//!   body max 4KiB
//! }
//! ```
//!
//! Use instead:
//!
//! ```gate
//! endpoint POST /feedback {
//!   authenticate user | key
//!   quota 5/min by principal
//!   body max 4KiB
//! }
//! ```

use super::super::checker::{Ctx, Out};
use super::accepts_writes;
use crate::diag::{Code, Diagnostic};
use crate::model::{Access, Endpoint};

pub(crate) fn endpoint(_ctx: &Ctx<'_>, endpoint: &Endpoint, out: &mut Out) {
    let Access::Public(public) = endpoint.access else {
        return;
    };
    if !accepts_writes(endpoint) {
        return;
    }
    out.push(
        Diagnostic::new(Code::PublicWrite, endpoint.span, format!("`{}` lets anyone change state", endpoint.label()))
            .label("a write method, without a principal")
            .related(public, "public here")
            .help("authenticate the callers; if it must be public (sign-up, a signed webhook), keep a tight quota and a body limit, and allow this finding with the reason")
            .about(endpoint.span, endpoint.label()),
    );
}
