//! What the layer's tests share: the policy, tokens, a body that yields
//! chunks (and counts what was taken from it), and the response bodies'
//! bytes.

#![allow(dead_code)]

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use gatehouse::PolicySet;
use gatehouse_credentials::Authenticator;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use serde_json::{json, Value};

pub const SECRET: [u8; 32] = [7; 32];

pub const POLICY: &str = r#"
api "shop" version "1"
auth user = jwt(issuer: "https://id.example.com", audience: "shop", algorithms: "HS256")
scopes {
  orders:read
  orders:write
  admin
}

endpoint GET /users/{uid} {
  authenticate user
  when path.uid == principal.sub or principal has admin
  response only $.id, $.name, $.ssn
  mask response $.ssn keep last 4
}

endpoint POST /orders {
  authenticate user
  require orders:write
  body max 64KiB
  body json { item: string(1..64), quantity: int(1..100) }
}

endpoint GET /orders {
  authenticate user
  require orders:read
  quota 2/min by principal
}

endpoint PUT /echo {
  authenticate user
  body max 64KiB
}

endpoint GET /report { public }
endpoint GET /broken { public  mask response $.secret with redact }
endpoint GET /page { public  mask response $.secret with redact }
"#;

pub fn policy() -> PolicySet {
    PolicySet::from_source("shop.gate", POLICY).unwrap()
}

pub fn authenticator(policy: &PolicySet) -> Authenticator {
    Authenticator::builder(policy)
        .hmac_secret("user", &SECRET)
        .build()
        .unwrap()
}

/// A bearer token for `sub` with `scopes`, valid for an hour.
pub fn token(sub: &str, scopes: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({
        "iss": "https://id.example.com",
        "aud": "shop",
        "sub": sub,
        "scope": scopes,
        "iat": now,
        "exp": now + 3600,
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&SECRET).unwrap(),
    )
    .unwrap()
}

/// A body of `chunks`, yielded one by one with no length announced, that
/// counts the bytes taken from it.
pub struct Chunks {
    chunks: std::collections::VecDeque<Bytes>,
    pub taken: Arc<AtomicU64>,
}

impl Chunks {
    pub fn new(chunks: impl IntoIterator<Item = Bytes>) -> Chunks {
        Chunks {
            chunks: chunks.into_iter().collect(),
            taken: Arc::new(AtomicU64::new(0)),
        }
    }

    /// `total` bytes of `byte`, in chunks of `size`.
    pub fn repeat(byte: u8, total: usize, size: usize) -> Chunks {
        let chunk = Bytes::from(vec![byte; size]);
        let mut chunks = vec![chunk; total / size];
        if !total.is_multiple_of(size) {
            chunks.push(Bytes::from(vec![byte; total % size]));
        }
        Chunks::new(chunks)
    }
}

impl Body for Chunks {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let next = self.chunks.pop_front();
        if let Some(chunk) = &next {
            self.taken.fetch_add(chunk.len() as u64, Ordering::SeqCst);
        }
        Poll::Ready(next.map(|chunk| Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

/// A response body's bytes.
pub async fn bytes<B>(body: B) -> Bytes
where
    B: Body,
    B::Error: std::fmt::Debug,
{
    body.collect().await.unwrap().to_bytes()
}

/// A problem document's members.
pub fn problem(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

/// Cuts `body` at the given offsets (sorted, deduplicated, within it).
pub fn chunked(body: &[u8], cuts: &[usize]) -> Vec<Bytes> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut chunks = Vec::new();
    let mut start = 0;
    for cut in cuts {
        chunks.push(Bytes::copy_from_slice(&body[start..cut]));
        start = cut;
    }
    chunks.push(Bytes::copy_from_slice(&body[start..]));
    chunks
}
