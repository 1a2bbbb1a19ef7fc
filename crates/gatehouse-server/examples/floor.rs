//! The floor for `gatehouse serve`'s forward-auth figures: a minimal
//! hand-written axum service that answers the same forward-auth checks
//! by routing the forwarded URI with matchit and checking one scope of
//! the caller, found by its API key in a hash map. No policy language, no
//! key digests, no audit, no metrics: what any forward-auth service
//! costs at least on this machine.
//!
//! ```sh
//! cargo run --release -p gatehouse-server --example floor -- 127.0.0.1:19391 KEY
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};
use axum::Router;

struct Floor {
    routes: HashMap<&'static str, matchit::Router<&'static str>>,
    keys: HashMap<String, Vec<&'static str>>,
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let address = args.next().unwrap_or_else(|| "127.0.0.1:19391".into());
    let key = args.next().expect("the API key to accept");
    let mut get = matchit::Router::new();
    get.insert("/v1/pets/{id}", "pets:read").unwrap();
    let floor = Arc::new(Floor {
        routes: HashMap::from([("GET", get)]),
        keys: HashMap::from([(key, vec!["pets:read"])]),
    });
    let app = Router::new().fallback(move |headers: HeaderMap| {
        let floor = Arc::clone(&floor);
        async move { check(&floor, &headers) }
    });
    let listener = tokio::net::TcpListener::bind(&address).await.unwrap();
    println!("floor listening on {address}");
    axum::serve(listener, app).await.unwrap();
}

fn check(floor: &Floor, headers: &HeaderMap) -> StatusCode {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(method), Some(uri)) = (text("x-forwarded-method"), text("x-forwarded-uri")) else {
        return StatusCode::BAD_REQUEST;
    };
    let path = uri.split_once('?').map_or(uri, |(path, _)| path);
    let Some(scope) = floor
        .routes
        .get(method)
        .and_then(|routes| routes.at(path).ok())
        .map(|found| *found.value)
    else {
        return StatusCode::NOT_FOUND;
    };
    match text("x-api-key").and_then(|key| floor.keys.get(key)) {
        None => StatusCode::UNAUTHORIZED,
        Some(scopes) if scopes.contains(&scope) => StatusCode::OK,
        Some(_) => StatusCode::FORBIDDEN,
    }
}
