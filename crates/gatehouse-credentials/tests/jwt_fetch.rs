//! Keys fetched from the issuer over HTTP and HTTPS: a local server on
//! 127.0.0.1 serves the discovery document and the key set (over TLS with
//! a certificate authority made in the test, for the HTTPS cases), and the
//! tests rotate keys, break the server and slow it down.
#![cfg(feature = "fetch")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gatehouse_credentials::jwt::KeySet;
use gatehouse_credentials::jwt::{
    fetch_key_set, FetchError, HttpFetcher, JwtScheme, KeyCache, KeyCachePolicy, KeySource,
    Verifier, MAX_JWKS_BYTES,
};
use gatehouse_credentials::RefusalReason::*;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;
use support::*;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Serve,
    Fail,
    Slow,
}

struct State {
    issuer: String,
    /// What the discovery document says the issuer is.
    claimed_issuer: Option<String>,
    /// Where the discovery document says the keys are.
    claimed_jwks_uri: Option<String>,
    jwks: String,
    mode: Mode,
    jwks_requests: usize,
}

/// A discovery and JWKS server on 127.0.0.1; dropping the handle stops
/// accepting connections.
struct Server {
    state: Arc<Mutex<State>>,
    issuer: String,
    accept: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn start(jwks: String) -> Server {
        Server::start_with(jwks, None).await
    }

    /// The server over TLS, with a certificate for 127.0.0.1 issued by a
    /// certificate authority made here; also the authority's certificate.
    async fn start_tls(jwks: String) -> (Server, Vec<u8>) {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Gatehouse test CA");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let mut leaf_params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        leaf_params
            .subject_alt_names
            .push(rcgen::SanType::IpAddress([127, 0, 0, 1].into()));
        let leaf = leaf_params.signed_by(&leaf_key, &ca).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            #[allow(deprecated)]
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).unwrap(),
        )
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let server = Server::start_with(jwks, Some(acceptor)).await;
        (server, ca.der().to_vec())
    }

    async fn start_with(jwks: String, tls: Option<tokio_rustls::TlsAcceptor>) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let issuer = format!("{scheme}://{addr}");
        let state = Arc::new(Mutex::new(State {
            issuer: issuer.clone(),
            claimed_issuer: None,
            claimed_jwks_uri: None,
            jwks,
            mode: Mode::Serve,
            jwks_requests: 0,
        }));
        let shared = Arc::clone(&state);
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = Arc::clone(&shared);
                let tls = tls.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| respond(Arc::clone(&state), request));
                    let http = http1::Builder::new();
                    let _ = match tls {
                        None => http.serve_connection(TokioIo::new(stream), service).await,
                        Some(tls) => match tls.accept(stream).await {
                            Ok(stream) => {
                                http.serve_connection(TokioIo::new(stream), service).await
                            }
                            Err(_) => return,
                        },
                    };
                });
            }
        });
        Server {
            state,
            issuer,
            accept,
        }
    }

    fn set(&self, change: impl FnOnce(&mut State)) {
        change(&mut self.state.lock().unwrap());
    }

    fn jwks_requests(&self) -> usize {
        self.state.lock().unwrap().jwks_requests
    }

    fn stop(&self) {
        self.accept.abort();
    }
}

async fn respond(
    state: Arc<Mutex<State>>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (mode, body) = {
        let mut state = state.lock().unwrap();
        let body = match request.uri().path() {
            "/.well-known/openid-configuration" => Some(
                json!({
                    "issuer": state.claimed_issuer.clone().unwrap_or(state.issuer.clone()),
                    "jwks_uri": state
                        .claimed_jwks_uri
                        .clone()
                        .unwrap_or(format!("{}/jwks", state.issuer)),
                })
                .to_string(),
            ),
            "/jwks" => {
                state.jwks_requests += 1;
                Some(state.jwks.clone())
            }
            _ => None,
        };
        (state.mode, body)
    };
    if mode == Mode::Slow {
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    let (status, body) = match (mode, body) {
        (Mode::Fail, _) => (StatusCode::INTERNAL_SERVER_ERROR, String::new()),
        (_, Some(body)) => (StatusCode::OK, body),
        (_, None) => (StatusCode::NOT_FOUND, String::new()),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    Ok(response)
}

fn policy() -> KeyCachePolicy {
    KeyCachePolicy {
        ttl: 600,
        grace: 3600,
        min_refetch_interval: 30,
    }
}

fn fetching_verifier(issuer: &str) -> Verifier {
    let scheme = JwtScheme::new("user", issuer).audience(AUDIENCE);
    Verifier::with_key_cache(scheme, KeyCache::new(policy())).unwrap()
}

fn discovery(issuer: &str) -> KeySource {
    KeySource::Discovery {
        issuer: issuer.to_string(),
    }
}

fn fetcher() -> HttpFetcher {
    HttpFetcher::new(Duration::from_millis(500), Duration::from_millis(500))
}

/// Good claims from `issuer` for `subject`, valid for a long while after
/// [`NOW`].
fn claims_from(issuer: &str, subject: &str) -> serde_json::Value {
    let mut claims = claims();
    claims["iss"] = json!(issuer);
    claims["sub"] = json!(subject);
    claims["exp"] = json!(NOW + 100_000);
    claims
}

#[tokio::test]
async fn a_rotated_key_is_fetched_once_and_accepted() {
    let keys = keys();
    let server = Server::start(jwks(&[with_kid(&keys.rsa_jwk, "rsa-1")])).await;
    let verifier = fetching_verifier(&server.issuer);
    let fetcher = fetcher();

    let old = rs256(Some("rsa-1"), &claims_from(&server.issuer, "alice"));
    let verified = verifier.verify_fetching(&fetcher, &old, NOW).await.unwrap();
    assert_eq!(verified.principal().subject, "alice");
    assert_eq!(server.jwks_requests(), 1);

    // The issuer rotates in a new key; a token signed with it arrives.
    server.set(|s| {
        s.jwks = jwks(&[
            with_kid(&keys.rsa_jwk, "rsa-1"),
            with_kid(&keys.ec_jwk, "ec-2"),
        ]);
    });
    let new = es256(Some("ec-2"), &claims_from(&server.issuer, "bob"));
    let verified = verifier
        .verify_fetching(&fetcher, &new, NOW + 40)
        .await
        .unwrap();
    assert_eq!(verified.principal().subject, "bob");
    assert_eq!(server.jwks_requests(), 2);

    // Made-up kids right after do not make the verifier fetch again.
    for i in 0..5 {
        let forged = rs256(
            Some(&format!("forged-{i}")),
            &claims_from(&server.issuer, "eve"),
        );
        let refusal = verifier
            .verify_fetching(&fetcher, &forged, NOW + 41)
            .await
            .unwrap_err();
        assert_eq!(refusal.reason, UnknownKey);
        assert_no_credential(&forged, &refusal);
    }
    assert_eq!(server.jwks_requests(), 2);
    // Fresh keys are not refetched for a known kid either.
    let again = rs256(Some("rsa-1"), &claims_from(&server.issuer, "carol"));
    assert!(verifier
        .verify_fetching(&fetcher, &again, NOW + 100)
        .await
        .is_ok());
    assert_eq!(server.jwks_requests(), 2);
}

#[tokio::test]
async fn an_outage_keeps_cached_keys_until_the_grace_deadline() {
    let server = Server::start(standard_jwks()).await;
    let verifier = fetching_verifier(&server.issuer);
    let fetcher = fetcher();
    let token = |subject: &str| rs256(Some("rsa-1"), &claims_from(&server.issuer, subject));

    assert!(verifier
        .verify_fetching(&fetcher, &token("a"), NOW)
        .await
        .is_ok());
    assert_eq!(server.jwks_requests(), 1);

    // The server fails: stale keys (past the ttl) still verify.
    server.set(|s| s.mode = Mode::Fail);
    assert!(verifier
        .verify_fetching(&fetcher, &token("b"), NOW + 700)
        .await
        .is_ok());
    let error = verifier
        .refresh_keys(&fetcher, NOW + 800)
        .await
        .unwrap_err();
    assert_eq!(error, FetchError::Status(500));

    // Then it stops altogether: still the cached keys, until the deadline.
    server.stop();
    // A new client: the old one's pooled connection outlives the listener.
    let fresh_fetcher = self::fetcher();
    assert!(verifier
        .verify_fetching(&fresh_fetcher, &token("c"), NOW + 4199)
        .await
        .is_ok());
    let refusal = verifier
        .verify_fetching(&fresh_fetcher, &token("d"), NOW + 4200)
        .await
        .unwrap_err();
    assert_eq!(refusal.reason, KeysUnavailable);
    let error = verifier
        .refresh_keys(&fresh_fetcher, NOW + 5000)
        .await
        .unwrap_err();
    assert_eq!(error, FetchError::Connect);
    assert_eq!(verifier.key_cache().grace_deadline(), Some(NOW + 4200));
}

#[tokio::test]
async fn a_slow_server_is_an_outage() {
    let server = Server::start(standard_jwks()).await;
    let verifier = fetching_verifier(&server.issuer);
    let fetcher = HttpFetcher::new(Duration::from_millis(500), Duration::from_millis(300));
    let token = rs256(Some("rsa-1"), &claims_from(&server.issuer, "alice"));

    server.set(|s| s.mode = Mode::Slow);
    let started = Instant::now();
    let refusal = verifier
        .verify_fetching(&fetcher, &token, NOW)
        .await
        .unwrap_err();
    assert_eq!(refusal.reason, KeysUnavailable);
    // The server answers after 3 s: the fetch gave up long before.
    assert!(started.elapsed() < Duration::from_millis(2500));
    assert_eq!(
        fetch_key_set(&fetcher, &discovery(&server.issuer))
            .await
            .unwrap_err(),
        FetchError::Timeout
    );

    // Once the keys are in, a slow refresh leaves them working.
    server.set(|s| s.mode = Mode::Serve);
    assert!(verifier
        .verify_fetching(&fetcher, &token, NOW + 30)
        .await
        .is_ok());
    server.set(|s| s.mode = Mode::Slow);
    let other = rs256(Some("rsa-1"), &claims_from(&server.issuer, "bob"));
    assert!(verifier
        .verify_fetching(&fetcher, &other, NOW + 700)
        .await
        .is_ok());
}

#[tokio::test]
async fn discovery_must_name_the_issuer_and_urls_must_be_fetchable() {
    let server = Server::start(standard_jwks()).await;
    server.set(|s| s.claimed_issuer = Some("http://elsewhere.example".into()));
    let fetcher = fetcher();
    assert_eq!(
        fetch_key_set(&fetcher, &discovery(&server.issuer))
            .await
            .unwrap_err(),
        FetchError::BadDiscovery
    );
    for url in ["ftp://127.0.0.1/jwks", "/jwks", "not a url"] {
        let source = KeySource::Jwks { url: url.into() };
        assert_eq!(
            fetch_key_set(&fetcher, &source).await.unwrap_err(),
            FetchError::UnsupportedUrl,
            "{url}"
        );
    }
    // A fetcher for HTTPS only refuses a plain-HTTP issuer.
    assert_eq!(
        fetch_key_set(&fetcher.clone().https_only(), &discovery(&server.issuer))
            .await
            .unwrap_err(),
        FetchError::UnsupportedUrl
    );
    // A bad key set is a failed fetch, not an empty one.
    server.set(|s| {
        s.claimed_issuer = None;
        s.jwks = "{\"keys\": 7}".into();
    });
    let verifier = fetching_verifier(&server.issuer);
    let error = verifier.refresh_keys(&fetcher, NOW).await.unwrap_err();
    assert!(matches!(error, FetchError::BadKeySet(_)), "{error:?}");
    // A body over the limit is not read to its end.
    server.set(|s| s.jwks = " ".repeat(MAX_JWKS_BYTES + 1));
    assert_eq!(
        fetch_key_set(&fetcher, &discovery(&server.issuer))
            .await
            .unwrap_err(),
        FetchError::TooLarge
    );
}

#[tokio::test]
async fn keys_come_over_https_from_a_server_whose_certificate_is_trusted() {
    let (server, ca) = Server::start_tls(standard_jwks()).await;
    let trusting = HttpFetcher::with_root_certificates(
        &[ca],
        Duration::from_millis(500),
        Duration::from_millis(2000),
    )
    .unwrap();
    let verifier = fetching_verifier(&server.issuer);
    let token = rs256(Some("rsa-1"), &claims_from(&server.issuer, "alice"));
    let verified = verifier
        .verify_fetching(&trusting, &token, NOW)
        .await
        .unwrap();
    assert_eq!(verified.principal().subject, "alice");
    assert_eq!(server.jwks_requests(), 1);

    // Mozilla's roots do not include the test's authority: the handshake
    // fails, and with no keys the token is refused (fail closed).
    let default = fetcher();
    assert_eq!(
        fetch_key_set(&default, &discovery(&server.issuer))
            .await
            .unwrap_err(),
        FetchError::Tls
    );
    let untrusting = fetching_verifier(&server.issuer);
    let refusal = untrusting
        .verify_fetching(&default, &token, NOW)
        .await
        .unwrap_err();
    assert_eq!(refusal.reason, KeysUnavailable);

    // A key set named directly by URL, without discovery.
    let direct = KeySource::Jwks {
        url: format!("{}/jwks", server.issuer),
    };
    assert_eq!(
        fetch_key_set(&trusting, &direct).await.unwrap().len(),
        KeySet::from_jwks(&standard_jwks()).unwrap().len()
    );
    let by_url = Verifier::with_key_cache(
        JwtScheme::new("user", &server.issuer)
            .audience(AUDIENCE)
            .jwks_url(format!("{}/jwks", server.issuer)),
        KeyCache::new(policy()),
    )
    .unwrap();
    assert_eq!(by_url.key_source(), direct);
    assert!(by_url.verify_fetching(&trusting, &token, NOW).await.is_ok());

    // A discovery document fetched over HTTPS may not send the keys over
    // plain HTTP.
    server.set(|s| s.claimed_jwks_uri = Some("http://127.0.0.1:9/jwks".into()));
    assert_eq!(
        fetch_key_set(&trusting, &discovery(&server.issuer))
            .await
            .unwrap_err(),
        FetchError::BadDiscovery
    );
}

/// A policy whose two `jwt` schemes share an issuer (one audience each) and
/// whose third names its key set by URL, all served by `server`.
fn fetching_policy(server: &Server) -> gatehouse::PolicySet {
    let issuer = &server.issuer;
    gatehouse::PolicySet::from_source(
        "pets.gate",
        &format!(
            r#"api "pets" version "1"
scopes {{
  pets:read
}}
auth user  = jwt(issuer: "{issuer}", audience: "{AUDIENCE}", algorithms: "RS256")
auth admin = jwt(issuer: "{issuer}", audience: "admin-console", algorithms: "RS256")
auth batch = jwt(issuer: "https://batch.example", audience: "{AUDIENCE}", algorithms: "RS256", jwks: "{issuer}/jwks")

endpoint GET /pets {{
  authenticate user | admin | batch
  require pets:read
}}
"#
        ),
    )
    .unwrap()
}

#[tokio::test]
async fn the_authenticator_fetches_each_key_source_once_for_all_its_schemes() {
    let server = Server::start(standard_jwks()).await;
    let policy_set = fetching_policy(&server);
    let authenticator = gatehouse_credentials::Authenticator::builder(&policy_set)
        .key_cache(policy())
        .build()
        .unwrap();
    let fetcher = fetcher();
    let request = |header: &str| {
        let headers = [("Authorization", header)];
        let request = gatehouse_credentials::CredentialRequest {
            headers: &headers,
            ..Default::default()
        };
        // `authenticate` does not fetch: with no keys yet, fail closed.
        authenticator
            .authenticate(&request, NOW)
            .map(|p| p.map(|p| p.scheme.clone()))
    };

    let user = format!(
        "Bearer {}",
        rs256(Some("rsa-1"), &claims_from(&server.issuer, "alice"))
    );
    assert_eq!(request(&user).unwrap_err().reason, KeysUnavailable);

    let authenticate = |header: String| {
        let authenticator = &authenticator;
        let fetcher = &fetcher;
        async move {
            let headers = [("Authorization", header.as_str())];
            let request = gatehouse_credentials::CredentialRequest {
                headers: &headers,
                ..Default::default()
            };
            authenticator
                .authenticate_fetching(fetcher, &request, NOW)
                .await
                .map(|p| p.map(|p| p.scheme.clone()))
        }
    };
    assert_eq!(authenticate(user).await.unwrap().as_deref(), Some("user"));
    assert_eq!(server.jwks_requests(), 1);

    // The admin console's token goes to `admin` (its audience), whose keys
    // are the same source's: no second fetch.
    let mut admin = claims_from(&server.issuer, "root");
    admin["aud"] = json!(["admin-console"]);
    let admin = format!("Bearer {}", rs256(Some("rsa-1"), &admin));
    assert_eq!(authenticate(admin).await.unwrap().as_deref(), Some("admin"));
    assert_eq!(server.jwks_requests(), 1);

    // `batch` names its key set by URL: fetched from there, no discovery.
    let batch = format!(
        "Bearer {}",
        rs256(
            Some("rsa-1"),
            &claims_from("https://batch.example", "nightly")
        )
    );
    assert_eq!(authenticate(batch).await.unwrap().as_deref(), Some("batch"));
    assert_eq!(server.jwks_requests(), 2);

    // `refresh_keys` on a timer: both sources are fresh, nothing fetched.
    authenticator.refresh_keys(&fetcher, NOW + 1).await.unwrap();
    assert_eq!(server.jwks_requests(), 2);
    // Once stale, each source is fetched once.
    authenticator
        .refresh_keys(&fetcher, NOW + 601)
        .await
        .unwrap();
    assert_eq!(server.jwks_requests(), 4);
}
