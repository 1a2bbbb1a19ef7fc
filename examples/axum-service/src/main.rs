//! An axum service with its Gatehouse policy (`bank.gate`) enforced by
//! the tower layer: the handlers hold no authorization code at all.
//!
//! `cargo run -p gatehouse-example-axum-service` serves on 127.0.0.1:3000
//! (`PORT` to change it); `... -- token alice accounts:read` prints a
//! bearer token for trying it (see the README).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Path};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use gatehouse::{PolicySet, Principal};
use gatehouse_credentials::Authenticator;
use gatehouse_tower::GatehouseLayer;
use serde_json::{json, Value};

/// The policy, compiled into the binary so the example runs from anywhere;
/// a real service reads its file (and can reload it).
const POLICY: &str = include_str!("../bank.gate");

/// The HS256 secret tokens are signed with: `BANK_TOKEN_SECRET`, or a
/// development default. A real deployment verifies its identity
/// provider's tokens against its JWKS instead.
fn secret() -> Vec<u8> {
    std::env::var("BANK_TOKEN_SECRET")
        .unwrap_or_else(|_| "a development secret, never for production".to_string())
        .into_bytes()
}

/// The service: routes, handlers, and the layer in front of them.
fn app(policy: PolicySet, secret: &[u8]) -> Result<Router, Box<dyn std::error::Error>> {
    let authenticator = Authenticator::builder(&policy)
        .hmac_secret("user", secret)
        .build()?;
    let gatehouse = GatehouseLayer::new(policy)
        .authenticator(authenticator)
        // Served with `into_make_service_with_connect_info`, axum puts
        // the peer's address in `ConnectInfo`.
        .client_addr(|parts| {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip())
        });
    Ok(Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/accounts/{owner}", get(account))
        .route("/accounts/{owner}/transfers", post(transfer))
        .layer(gatehouse))
}

/// The whole record, as a data layer returns it: the policy's
/// `response only` and `mask response` decide what the caller sees.
async fn account(Path(owner): Path<String>) -> Json<Value> {
    Json(json!({
        "owner": owner,
        "name": format!("{owner}'s current account"),
        "iban": "DE89370400440532013000",
        "balance": 1250,
        "risk_score": 0.12,
        "internal_notes": "called about a card on 2026-01-03",
        "transactions": [
            { "amount": -40, "date": "2026-01-02", "counterparty_iban": "FR1420041010050500013M02606" },
            { "amount": 1500, "date": "2026-01-01", "counterparty_iban": "GB29NWBK60161331926819" },
        ],
    }))
}

/// A transfer: by the time it gets here, the caller owns the account and
/// the body has exactly the fields the policy lists.
async fn transfer(
    Path(owner): Path<String>,
    Extension(principal): Extension<Arc<Principal>>,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    (
        StatusCode::CREATED,
        Json(json!({
            "from": owner,
            "by": principal.subject,
            "to": body["to"],
            "amount": body["amount"],
            "status": "pending",
        })),
    )
}

/// A bearer token for trying the service: `token SUBJECT [SCOPES]`.
fn token(subject: &str, scopes: &str) -> Result<String, Box<dyn std::error::Error>> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let claims = json!({
        "iss": "https://id.example.com",
        "aud": "bank",
        "sub": subject,
        "scope": scopes,
        "iat": now,
        "exp": now + 3600,
    });
    Ok(jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&secret())?,
    )?)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [command, subject, scopes @ ..] = args.as_slice() {
        if command == "token" {
            println!("{}", token(subject, &scopes.join(" "))?);
            return Ok(());
        }
    }
    // Audit records are `info` events of target `gatehouse::audit`, one
    // JSON line each.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let policy = PolicySet::from_source("bank.gate", POLICY)?;
    let app = app(policy, &secret())?;
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|port| port.parse().ok())
        .unwrap_or(3000);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    /// `GET`/`POST` as a client at 192.0.2.7 would send it.
    async fn ask(
        method: &str,
        path: &str,
        subject: &str,
        scopes: &str,
        body: &str,
    ) -> (u16, Value) {
        let app = app(
            PolicySet::from_source("bank.gate", POLICY).unwrap(),
            &secret(),
        )
        .unwrap();
        let mut request = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .header(
                "authorization",
                format!("Bearer {}", token(subject, scopes).unwrap()),
            )
            .header("content-type", "application/json")
            .header("content-length", body.len())
            .body(Body::from(body.to_string()))
            .unwrap();
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 7], 50000))));
        let response = app.oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn owners_see_their_account_cut_down_and_masked() {
        let (status, body) = ask("GET", "/accounts/alice", "alice", "accounts:read", "").await;
        assert_eq!(status, 200);
        assert_eq!(body["iban"], "******************3000");
        assert!(body.get("internal_notes").is_none() && body.get("risk_score").is_none());
        assert!(body["transactions"][0].get("counterparty_iban").is_none());
        let (status, body) = ask("GET", "/accounts/alice", "bob", "accounts:read", "").await;
        assert_eq!((status, &body["reason"]), (403, &json!("condition_failed")));
    }

    #[tokio::test]
    async fn transfers_are_checked_field_by_field() {
        let path = "/accounts/alice/transfers";
        let good = r#"{"to": "FR1420041010050500013M02606", "amount": 40}"#;
        let (status, body) = ask("POST", path, "alice", "transfers:write", good).await;
        assert_eq!((status, &body["by"]), (201, &json!("alice")));
        let extra = r#"{"to": "FR1420041010050500013M02606", "amount": 40, "fee": 0}"#;
        let (status, body) = ask("POST", path, "alice", "transfers:write", extra).await;
        assert_eq!(
            (status, &body["violation"]["pointer"]),
            (422, &json!("/fee"))
        );
        let (status, _) = ask("POST", path, "bob", "transfers:write", good).await;
        assert_eq!(status, 403);
    }
}
