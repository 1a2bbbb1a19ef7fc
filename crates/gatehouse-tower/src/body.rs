//! [`GatehouseBody`]: the body of every response the layer answers with,
//! whether the inner service's body streams through, a masked body was
//! buffered, or the layer answered itself with a problem document.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

/// The errors a [`GatehouseBody`] yields: the inner body's, boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The response body of a [`Gatehouse`](crate::Gatehouse) service.
///
/// The inner body is boxed (`Pin<Box<B>>`) so that the enum is `Unpin`
/// whatever `B` is, and needs no pin projection.
pub enum GatehouseBody<B> {
    /// The inner service's body, streamed through untouched (endpoints
    /// without response rules).
    Passthrough(Pin<Box<B>>),
    /// The inner service's body after masking, buffered: masking can fail
    /// at the last byte, and a failed response must be withheld whole.
    Full(Option<Bytes>),
    /// A problem document (`application/problem+json`) the layer answered
    /// with itself.
    Problem(Option<Bytes>),
}

impl<B> GatehouseBody<B> {
    /// The inner body, streamed through.
    pub fn passthrough(body: B) -> GatehouseBody<B> {
        GatehouseBody::Passthrough(Box::pin(body))
    }

    fn bytes_left(&self) -> Option<&Bytes> {
        match self {
            GatehouseBody::Passthrough(_) => None,
            GatehouseBody::Full(bytes) | GatehouseBody::Problem(bytes) => bytes.as_ref(),
        }
    }
}

impl<B> std::fmt::Debug for GatehouseBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GatehouseBody::Passthrough(_) => f.write_str("GatehouseBody::Passthrough"),
            GatehouseBody::Full(bytes) => f
                .debug_tuple("GatehouseBody::Full")
                .field(&bytes.as_ref().map_or(0, Bytes::len))
                .finish(),
            GatehouseBody::Problem(bytes) => f
                .debug_tuple("GatehouseBody::Problem")
                .field(&bytes.as_ref().map_or(0, Bytes::len))
                .finish(),
        }
    }
}

impl<B> Body for GatehouseBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            GatehouseBody::Passthrough(inner) => inner
                .as_mut()
                .poll_frame(cx)
                .map(|frame| frame.map(|result| result.map_err(Into::into))),
            GatehouseBody::Full(bytes) | GatehouseBody::Problem(bytes) => {
                Poll::Ready(bytes.take().map(|data| Ok(Frame::data(data))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            GatehouseBody::Passthrough(inner) => inner.is_end_stream(),
            _ => self.bytes_left().is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            GatehouseBody::Passthrough(inner) => inner.size_hint(),
            _ => SizeHint::with_exact(self.bytes_left().map_or(0, |b| b.len() as u64)),
        }
    }
}
