//! # write-without-body-limit (GH-L003)
//!
//! ## What it does
//!
//! Flags an endpoint that accepts a write method (`POST`, `PUT`, `PATCH`,
//! `DELETE`, or `*`) without a `body max`, its own or inherited from
//! `defaults`. `body json limits(...)` bounds the shape of a JSON body, not
//! its size, so it does not count; neither does a `body max` inside
//! `shadow { }`.
//!
//! ## Why is this bad?
//!
//! Without a size limit a request body is as large as the client wants:
//! the gateway and the service read, buffer and parse it all. Large bodies
//! are the cheapest denial of service there is, and a limit also stops
//! oversized payloads meant to smuggle data or exhaust a parser.
//!
//! ## Example
//!
//! ```gate
//! endpoint POST /pets {
//!   authenticate user
//!   require pets:write
//! }
//! ```
//!
//! Use instead:
//!
//! ```gate
//! endpoint POST /pets {
//!   authenticate user
//!   require pets:write
//!   body max 64KiB
//! }
//! ```

use super::super::checker::{Ctx, Out};
use super::{accepts_writes, enforced};
use crate::diag::{Code, Diagnostic};
use crate::model::Endpoint;

pub(crate) fn endpoint(_ctx: &Ctx<'_>, endpoint: &Endpoint, out: &mut Out) {
    if !accepts_writes(endpoint)
        || endpoint
            .body
            .max
            .as_ref()
            .is_some_and(|(_, meta)| enforced(meta))
    {
        return;
    }
    out.push(
        Diagnostic::new(
            Code::WriteWithoutBodyLimit,
            endpoint.span,
            format!(
                "`{}` accepts writes but has no `body max`",
                endpoint.label()
            ),
        )
        .label("request bodies of any size")
        .help("limit the body: `body max 64KiB` (here, or once for every endpoint in `defaults`)")
        .about(endpoint.span, endpoint.label()),
    );
}
