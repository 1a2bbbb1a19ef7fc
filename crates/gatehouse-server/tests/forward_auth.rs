//! `gatehouse serve` over real sockets on 127.0.0.1, asked as nginx and
//! Caddy ask: every answer a gateway must relay (allow with the principal,
//! 401 with its challenge, 403, 404, 405 with `Allow`, 429 with
//! `Retry-After`), forged principal headers, untrusted peers, traversal
//! attempts, health, metrics, and reloads good and bad.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{
    caddy_check, get, header, reason, server, server_with, wait_for, Answer, Server, POLICY,
    SECRET, TRAVERSALS,
};
use gatehouse_credentials::keys::{KeyStore, NewKey, ServerSecret};

/// A check as Caddy sends it for the client request `method uri`.
async fn caddy(server: &Server, method: &str, uri: &str, extra: &[(&str, &str)]) -> Answer {
    caddy_check(server.running.check, method, uri, extra).await
}

/// A check as the printed nginx config sends it.
async fn nginx(server: &Server, method: &str, uri: &str, extra: &[(&str, &str)]) -> Answer {
    let mut headers = vec![
        ("X-Original-Method", method),
        ("X-Original-URI", uri),
        ("Host", "pets.example"),
        ("X-Forwarded-For", "203.0.113.7"),
    ];
    headers.extend_from_slice(extra);
    get(server.running.check, "/check", &headers).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_a_gateway_relays() {
    let server = server("answers").await;
    let key = server.key.clone();
    let with_key = [("X-API-Key", key.as_str())];

    // Allowed: 200 with the principal for the upstream.
    let allowed = caddy(&server, "GET", "/pets/7", &with_key).await;
    assert_eq!(allowed.status, 200, "{}", allowed.body);
    assert_eq!(header(&allowed, "x-gatehouse-subject"), "billing");
    assert_eq!(header(&allowed, "x-gatehouse-scheme"), "key");
    assert_eq!(header(&allowed, "x-gatehouse-scopes"), "pets:read");
    assert_eq!(header(&allowed, "x-gatehouse-decision-id").len(), 32);
    assert!(!header(&allowed, "x-gatehouse-key-id").is_empty());

    // A public endpoint: 200, and every principal header present and
    // empty, so a gateway copying them overwrites a client's forgery.
    let public = caddy(
        &server,
        "GET",
        "/public/info",
        &[("X-Gatehouse-Subject", "root")],
    )
    .await;
    assert_eq!(public.status, 200);
    assert_eq!(public.headers.get("x-gatehouse-subject").unwrap(), "");

    // 401 with the challenge; a wrong key is refused by the credentials.
    let anonymous = caddy(&server, "GET", "/pets/7", &[]).await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(reason(&anonymous), "unauthenticated");
    assert!(header(&anonymous, "www-authenticate").starts_with("ApiKey"));
    assert_eq!(
        header(&anonymous, "content-type"),
        "application/problem+json"
    );
    let wrong = caddy(
        &server,
        "GET",
        "/pets/7",
        &[(
            "X-API-Key",
            "gk_AAAAAAAA_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        )],
    )
    .await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);

    // 403, 404, 405 with Allow.
    let forbidden = caddy(&server, "GET", "/admin", &with_key).await;
    assert_eq!(
        (forbidden.status, reason(&forbidden).as_str()),
        (403, "insufficient_scope")
    );
    let missing = caddy(&server, "GET", "/nothing", &with_key).await;
    assert_eq!(missing.status, 404);
    let method = caddy(&server, "DELETE", "/pets/7", &with_key).await;
    assert_eq!(method.status, 405);
    assert!(header(&method, "allow").contains("GET"));

    // The quota (2/min): the third is 429 with Retry-After.
    let second = caddy(&server, "GET", "/pets/8", &with_key).await;
    assert_eq!(second.status, 200);
    let third = caddy(&server, "GET", "/pets/9", &with_key).await;
    assert_eq!(third.status, 429);
    assert!(!header(&third, "retry-after").is_empty());

    // Through a public route to a protected one: never an allow.
    for path in TRAVERSALS {
        let attempt = caddy(&server, "GET", path, &with_key).await;
        assert_eq!(attempt.status, 400, "{path}: {}", attempt.body);
        assert_eq!(reason(&attempt), "path_malformed", "{path}");
    }

    // A body the check cannot see is not let through unchecked.
    let body = caddy(&server, "POST", "/pets", &[("Content-Length", "12")]).await;
    assert_eq!(body.status, 401);
    let reader = caddy(
        &server,
        "POST",
        "/pets",
        &[("Content-Length", "12"), ("X-API-Key", key.as_str())],
    )
    .await;
    assert_eq!(reader.status, 403);
    let writer = server.writer.clone();
    let unseen = caddy(
        &server,
        "POST",
        "/pets",
        &[
            ("Content-Length", "12"),
            ("Content-Type", "application/json"),
            ("X-API-Key", writer.as_str()),
        ],
    )
    .await;
    assert_eq!(
        (unseen.status, reason(&unseen).as_str()),
        (403, "body_not_forwarded")
    );
    // Without a body there is nothing to check: decided as it is (here the
    // body rule wants a JSON object, so an empty body is refused).
    let empty = caddy(
        &server,
        "POST",
        "/pets",
        &[
            ("Content-Type", "application/json"),
            ("X-API-Key", writer.as_str()),
        ],
    )
    .await;
    assert_ne!(reason(&empty), "body_not_forwarded");

    server.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_gets_401_or_403_and_replays_the_real_denial() {
    let server = server("nginx").await;
    let method = nginx(&server, "DELETE", "/pets/7", &[]).await;
    assert_eq!(method.status, 403);
    let denial = header(&method, "x-gatehouse-denial").to_string();
    assert!(!denial.is_empty());
    let replayed = get(
        server.running.check,
        "/denial",
        &[("X-Gatehouse-Denial", denial.as_str())],
    )
    .await;
    assert_eq!(replayed.status, 405);
    assert!(header(&replayed, "allow").contains("GET"));
    assert_eq!(reason(&replayed), "method_not_allowed");

    let anonymous = nginx(&server, "GET", "/pets/7", &[]).await;
    assert_eq!(anonymous.status, 401);
    assert!(header(&anonymous, "www-authenticate").starts_with("ApiKey"));
    server.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_without_a_gateway_or_a_request_are_refused() {
    let server = server("refused").await;
    let no_request = get(
        server.running.check,
        "/check",
        &[("X-Forwarded-For", "203.0.113.7")],
    )
    .await;
    assert_eq!(no_request.status, 400);
    assert_eq!(reason(&no_request), "forwarded_request_missing");
    let no_client = get(
        server.running.check,
        "/check",
        &[
            ("X-Forwarded-Method", "GET"),
            ("X-Forwarded-Uri", "/public/info"),
        ],
    )
    .await;
    assert_eq!(reason(&no_client), "forwarded_request_missing");
    server.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_configured_gateways_may_ask() {
    let server = server_with("untrusted", "[gateways]\ntrusted = [\"10.0.0.0/8\"]\n").await;
    let key = server.key.clone();
    let answer = caddy(&server, "GET", "/pets/7", &[("X-API-Key", key.as_str())]).await;
    assert_eq!(
        (answer.status, reason(&answer).as_str()),
        (403, "untrusted_gateway")
    );
    let replay = get(
        server.running.check,
        "/denial",
        &[("X-Gatehouse-Denial", "e30")],
    )
    .await;
    assert_eq!(replay.status, 403);
    // Health checks answer anyone.
    assert_eq!(get(server.running.check, "/healthz", &[]).await.status, 200);
    server.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_metrics_audit_and_reloads() {
    let server = server("operations").await;
    let admin = server.running.admin.unwrap();
    assert_eq!(get(admin, "/healthz", &[]).await.status, 200);
    assert_eq!(get(server.running.check, "/readyz", &[]).await.status, 200);

    let denied = caddy(&server, "GET", "/admin", &[]).await;
    assert_eq!(denied.status, 401);
    let metrics = get(admin, "/metrics", &[]).await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics.body.contains(r#"gatehouse_decisions_total{api="pets",endpoint="GET /admin",outcome="deny",reason="unauthenticated"} 1"#),
        "{}",
        metrics.body
    );
    assert!(metrics
        .body
        .contains("gatehouse_decision_duration_seconds_count"));

    // The audit record names the decision and never the key.
    let key = server.key.clone();
    let allowed = caddy(&server, "GET", "/pets/1", &[("X-API-Key", key.as_str())]).await;
    let id = header(&allowed, "x-gatehouse-decision-id").to_string();
    let audit = wait_for(&server.dir.join("audit.log"), &id).await;
    assert!(!audit.contains(&key));
    let line = audit.lines().find(|line| line.contains(&id)).unwrap();
    let record: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(record["schema"], "gatehouse.audit/v1");
    assert_eq!(record["decision"], "allow");

    // A broken edit keeps the last good policies serving, and says so.
    std::fs::write(server.dir.join("pets.gate"), "api \"pets\"\nendpoint GET {").unwrap();
    assert!(server.running.gate.reload().is_err());
    assert_eq!(caddy(&server, "GET", "/public/info", &[]).await.status, 200);
    let ready = get(admin, "/readyz", &[]).await;
    assert_eq!(ready.status, 200);
    assert!(ready.body.contains("last reload failed"), "{}", ready.body);
    let metrics = get(admin, "/metrics", &[]).await;
    assert!(metrics
        .body
        .contains(r#"gatehouse_reloads_total{result="failure"} 1"#));

    // A good edit is swapped in; quota counters carry over.
    std::fs::write(
        server.dir.join("pets.gate"),
        POLICY.replace("endpoint GET /public/info {\n  public\n}", ""),
    )
    .unwrap();
    assert_eq!(server.running.gate.reload(), Ok(2));
    assert_eq!(caddy(&server, "GET", "/public/info", &[]).await.status, 404);
    assert_eq!(get(admin, "/readyz", &[]).await.body, "ready\n");
    server.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_file_is_reloaded_without_a_signal() {
    let server = server("watch").await;
    assert_eq!(caddy(&server, "GET", "/public/info", &[]).await.status, 200);
    // Give the watcher a moment to start watching.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    // A policy edit: the public endpoint goes away.
    std::fs::write(
        server.dir.join("pets.gate"),
        POLICY.replace("endpoint GET /public/info {\n  public\n}", ""),
    )
    .unwrap();
    let reloaded =
        eventually(|| async { caddy(&server, "GET", "/public/info", &[]).await.status == 404 })
            .await;
    assert!(reloaded, "the edit was never picked up");
    assert_eq!(server.running.gate.loaded().generation, 2);

    // A key made by `gatehouse keys` (the store rewritten by a rename)
    // works once the store is reloaded.
    let path = server.dir.join("keys.json");
    let mut store = KeyStore::load(&path, ServerSecret::new(SECRET).unwrap()).unwrap();
    let fresh = store
        .issue(
            NewKey {
                owner: "late".into(),
                scopes: vec!["pets:read".into()],
                expires: None,
                networks: Vec::new(),
            },
            1_700_000_000,
        )
        .unwrap();
    store.keys().save(&path).unwrap();
    let key = fresh.key().to_string();
    let accepted = eventually(|| async {
        caddy(&server, "GET", "/pets/3", &[("X-API-Key", key.as_str())])
            .await
            .status
            == 200
    })
    .await;
    assert!(accepted, "the new key was never accepted");
    server.running.stop().await;
}

/// Whether `condition` turns true within five seconds.
async fn eventually<F, Fut>(condition: F) -> bool
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..100 {
        if condition().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}
