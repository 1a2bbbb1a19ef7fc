//! # shadow-endpoint (GH-L014)
//!
//! ## What it does
//!
//! Flags an endpoint marked `shadow` on its own: it is evaluated and its
//! would-be denials are recorded, but it never decides a request.
//!
//! ## Why is this bad?
//!
//! Shadow mode is for trials, and trials end. An endpoint left in shadow
//! mode looks enforced to a reader of the policy while requests are decided
//! by the next most specific endpoint (or denied with 404/405). Once the
//! findings show the endpoint behaves, remove `shadow`; while the trial
//! runs, keep this finding allowed with the reason (the change ticket).
//! `shadow { }` blocks, which trial single rules, are not flagged.
//!
//! ## Example
//!
//! ```gate
//! endpoint DELETE /pets/{id:int} {
//!   authenticate user
//!   require admin
//!   shadow
//! }
//! ```
//!
//! Use instead:
//!
//! ```gate
//! # gatehouse: allow GH-L014 -- trial of the admin-only delete, PETS-112, until 1 June
//! endpoint DELETE /pets/{id:int} {
//!   authenticate user
//!   require admin
//!   shadow
//! }
//! ```

use super::super::checker::{Ctx, Out};
use crate::diag::{Code, Diagnostic};
use crate::model::Endpoint;

pub(crate) fn endpoint(_ctx: &Ctx<'_>, endpoint: &Endpoint, out: &mut Out) {
    let Some(shadow) = endpoint.shadow else {
        return;
    };
    out.push(
        Diagnostic::new(Code::ShadowEndpoint,
            shadow,
            format!("`{}` is in shadow mode: it never decides a request", endpoint.label()),
        )
        .label("report-only")
        .related(endpoint.span, "this endpoint")
        .help("when the trial is over, remove `shadow` to enforce the endpoint (or remove it); until then, allow this finding with the ticket as the reason")
        .about(endpoint.span, endpoint.label()),
    );
}
