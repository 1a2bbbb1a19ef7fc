//! Envoy's external authorization (`envoy.filters.http.ext_authz`), over
//! either service the filter can call:
//!
//! - [`grpc`]: `envoy.service.auth.v3.Authorization/Check` on the gRPC
//!   listener (`listen.grpc`, `--grpc`). Envoy sends the whole request as
//!   attributes (method, path, host, every header, the TCP peer, the
//!   client certificate, the body with `with_request_body`) and takes
//!   back a `CheckResponse`: headers for the upstream on an allow, the
//!   client's answer on a denial.
//! - [`http`]: the HTTP service, under [`HTTP_PREFIX`] on the check
//!   listener. Envoy repeats the client's method and path (behind the
//!   configured `path_prefix`) with the allowed headers, and relays a
//!   denial's status, headers and body.
//!
//! Both turn what Envoy says into a [`CheckInput`](crate::check::CheckInput)
//! for [`Gate::check`](crate::gate::Gate::check), believed only from a
//! configured gateway (`gateways.trusted`).

pub mod grpc;
pub mod http;

/// The path prefix of Envoy's HTTP checks on the check listener: set the
/// filter's `http_service.path_prefix` to it, so that a check of
/// `GET /pets/7?x=1` arrives as `GET /ext_authz/pets/7?x=1`.
pub const HTTP_PREFIX: &str = "/ext_authz";

/// The header Envoy adds when it sends the body (`with_request_body`):
/// `true` when it cut the body at `max_request_bytes`
/// (`allow_partial_message`), `false` when the body is whole. Envoy drops
/// a client's own copy before adding it.
const PARTIAL_BODY: &str = "x-envoy-auth-partial-body";

/// The body a check carries, as Envoy describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SentBody<'b> {
    /// The whole body, when Envoy sent it: the rules are checked on it.
    body: Option<&'b [u8]>,
    /// Whether the check shows that the request has a body.
    present: bool,
}

/// Reads the body of a check from Envoy's partial-body header (`partial`)
/// and the bytes it sent. Only a whole body is a body to check: a part of
/// one could pass a size limit or end in the middle of a JSON value, so a
/// cut body counts as a body not sent (a request with body rules is then
/// refused, `body_not_forwarded`). Without the header, bytes sent are the
/// body, and no bytes are no body sent.
fn sent_body<'b>(partial: Option<&str>, bytes: &'b [u8]) -> SentBody<'b> {
    match partial {
        Some(cut) if cut.eq_ignore_ascii_case("true") => SentBody {
            body: None,
            present: true,
        },
        Some(_) => SentBody {
            body: Some(bytes),
            present: !bytes.is_empty(),
        },
        None if bytes.is_empty() => SentBody {
            body: None,
            present: false,
        },
        None => SentBody {
            body: Some(bytes),
            present: true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_whole_body_is_checked() {
        assert_eq!(
            sent_body(Some("true"), b"{\"na"),
            SentBody {
                body: None,
                present: true
            }
        );
        assert_eq!(
            sent_body(Some("false"), b"{}"),
            SentBody {
                body: Some(b"{}"),
                present: true
            }
        );
        assert_eq!(
            sent_body(Some("false"), b""),
            SentBody {
                body: Some(b""),
                present: false
            }
        );
        assert_eq!(
            sent_body(None, b""),
            SentBody {
                body: None,
                present: false
            }
        );
        assert_eq!(sent_body(None, b"x").body, Some(&b"x"[..]));
    }
}
