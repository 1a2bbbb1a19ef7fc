//! `gatehouse serve` with a `jwt` scheme whose keys are fetched: from a
//! key server on 127.0.0.1 that comes and goes. Keys are fetched when the
//! first token needs them; once the key server is down, the cached keys
//! keep working; with no keys at all, tokens are refused 503
//! `keys_unavailable` (fail closed), never allowed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use gatehouse_server::config::Config;
use gatehouse_server::Gate;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::Generate;
use p256::pkcs8::EncodePrivateKey;
use serde_json::json;

/// A P-256 key made for this run, and its JWKS document.
fn key() -> (EncodingKey, String) {
    let secret = p256::SecretKey::generate();
    let key = EncodingKey::from_ec_der(secret.to_pkcs8_der().unwrap().as_bytes());
    let mut jwk =
        serde_json::to_value(Jwk::from_encoding_key(&key, Algorithm::ES256).unwrap()).unwrap();
    jwk["kid"] = json!("k1");
    (key, json!({ "keys": [jwk] }).to_string())
}

/// Serves `jwks` at `/jwks` until the task is aborted.
async fn key_server(jwks: String) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let jwks = jwks.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |_request| {
                    let jwks = jwks.clone();
                    async move {
                        Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from(jwks))))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (address, task)
}

fn token(key: &EncodingKey, issuer: &str, subject: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("k1".into());
    let claims = json!({
        "iss": issuer, "aud": "pets", "sub": subject,
        "iat": now, "exp": now + 600, "scope": "pets:read",
    });
    jsonwebtoken::encode(&header, &claims, key).unwrap()
}

async fn serve(name: &str, jwks_url: &str, issuer: &str) -> gatehouse_server::Running {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("gatehouse-jwks-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("pets.gate"),
        format!(
            r#"api "pets" version "1"
scopes {{
  pets:read
}}
auth user = jwt(issuer: "{issuer}", audience: "pets", algorithms: "ES256", jwks: "{jwks_url}")
endpoint GET /pets/{{id:int}} {{
  authenticate user
  require pets:read
}}
"#
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("serve.toml"),
        "policies = [\"pets.gate\"]\n[listen]\ncheck = \"127.0.0.1:0\"\n[audit]\nsink = \"off\"\n",
    )
    .unwrap();
    let config = Config::from_file(&dir.join("serve.toml")).unwrap();
    gatehouse_server::start(Gate::start(config).unwrap())
        .await
        .unwrap()
}

async fn check(server: SocketAddr, token: &str) -> (u16, String) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let request = hyper::Request::get(format!("http://{server}/check"))
        .header("X-Forwarded-Method", "GET")
        .header("X-Forwarded-Uri", "/pets/7")
        .header("X-Forwarded-For", "203.0.113.7")
        .header("Authorization", format!("Bearer {token}"))
        .body(Empty::new())
        .unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status().as_u16();
    let reason = response
        .headers()
        .get("x-gatehouse-reason")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let _ = response.into_body().collect().await;
    (status, reason)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_keys_outlive_the_key_server() {
    let (key, jwks) = key();
    let (address, key_server) = key_server(jwks).await;
    let issuer = format!("http://{address}");
    let running = serve("outage", &format!("{issuer}/jwks"), &issuer).await;

    assert_eq!(
        check(running.check, &token(&key, &issuer, "alice")).await,
        (200, String::new())
    );
    key_server.abort();
    let _ = key_server.await;
    // The key server is gone: a token never seen before still verifies
    // with the cached keys.
    assert_eq!(
        check(running.check, &token(&key, &issuer, "bob")).await,
        (200, String::new())
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_keys_tokens_are_refused_not_allowed() {
    let (key, _) = key();
    // Nothing listens here: the keys can never be fetched.
    let unused = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = unused.local_addr().unwrap();
    drop(unused);
    let issuer = format!("http://{address}");
    let running = serve("down", &format!("{issuer}/jwks"), &issuer).await;
    assert_eq!(
        check(running.check, &token(&key, &issuer, "alice")).await,
        (503, "keys_unavailable".to_string())
    );
    running.stop().await;
}
