//! What `gatehouse gateway` prints, for a set of several APIs (one for
//! every host, two bound to a host): a snapshot per gateway, and the
//! Traefik and Envoy files read back as YAML with the fields those
//! gateways need checked one by one (neither gateway runs here; nginx and
//! Caddy do, in `tests/gateways.rs`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use gatehouse::{PolicySet, Sources};
use gatehouse_server::check::PRINCIPAL_HEADERS;
use gatehouse_server::gateway::{render, Gateway, Options};
use yaml_rust2::{Yaml, YamlLoader};

/// Three APIs: `shop` at /v1 on every host, `partner` and `internal` on
/// partner.example.com only.
fn policy() -> PolicySet {
    let mut sources = Sources::new();
    for (name, text) in common::SEVERAL_APIS {
        sources.add(name, text);
    }
    PolicySet::load(sources).unwrap()
}

fn printed(gateway: Gateway) -> String {
    render(gateway, &policy(), &Options::default())
}

#[test]
fn nginx() {
    insta::assert_snapshot!(printed(Gateway::Nginx));
}

#[test]
fn caddy() {
    insta::assert_snapshot!(printed(Gateway::Caddy));
}

#[test]
fn traefik() {
    insta::assert_snapshot!(printed(Gateway::Traefik));
}

#[test]
fn envoy() {
    insta::assert_snapshot!(printed(Gateway::Envoy));
}

fn yaml(text: &str) -> Yaml {
    let mut documents = YamlLoader::load_from_str(text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(documents.len(), 1);
    documents.remove(0)
}

fn strings(list: &Yaml) -> Vec<&str> {
    list.as_vec()
        .unwrap_or_else(|| panic!("not a list: {list:?}"))
        .iter()
        .map(|item| item.as_str().unwrap())
        .collect()
}

#[test]
fn traefik_asks_gatehouse_before_every_router() {
    let config = yaml(&printed(Gateway::Traefik));
    let http = &config["http"];
    let auth = &http["middlewares"]["gatehouse"]["forwardAuth"];
    assert_eq!(
        auth["address"].as_str(),
        Some("http://127.0.0.1:9191/check")
    );
    assert_eq!(auth["trustForwardHeader"].as_bool(), Some(false));
    assert_eq!(strings(&auth["authResponseHeaders"]), PRINCIPAL_HEADERS);
    let strip = &http["middlewares"]["gatehouse-strip"]["headers"]["customRequestHeaders"];
    for header in PRINCIPAL_HEADERS {
        assert_eq!(strip[header].as_str(), Some(""), "{header}");
    }

    let routers = http["routers"].as_hash().unwrap();
    let mut rules: Vec<&str> = Vec::new();
    for router in routers.values() {
        // The client's headers are dropped, then the check decides.
        assert_eq!(
            strings(&router["middlewares"]),
            ["gatehouse-strip", "gatehouse"]
        );
        assert_eq!(router["service"].as_str(), Some("gatehouse-upstream"));
        assert_eq!(strings(&router["entryPoints"]), ["gatehouse"]);
        rules.push(router["rule"].as_str().unwrap());
    }
    assert_eq!(
        rules,
        [
            "PathPrefix(`/v1`)",
            "Host(`partner.example.com`) && PathPrefix(`/partner`)",
            "Host(`partner.example.com`) && PathPrefix(`/internal`)",
        ]
    );
    let servers = &http["services"]["gatehouse-upstream"]["loadBalancer"]["servers"];
    assert_eq!(servers[0]["url"].as_str(), Some("http://127.0.0.1:8080"));
}

#[test]
fn envoy_asks_gatehouse_over_grpc_and_fails_closed() {
    let config = yaml(&printed(Gateway::Envoy));
    let resources = &config["static_resources"];
    let listener = &resources["listeners"][0];
    let address = &listener["address"]["socket_address"];
    assert_eq!(address["address"].as_str(), Some("127.0.0.1"));
    assert_eq!(address["port_value"].as_i64(), Some(8000));

    let manager = &listener["filter_chains"][0]["filters"][0];
    assert_eq!(
        manager["name"].as_str(),
        Some("envoy.filters.network.http_connection_manager")
    );
    let manager = &manager["typed_config"];
    // The path forwarded is the path checked.
    assert_eq!(manager["normalize_path"].as_bool(), Some(false));
    assert_eq!(manager["merge_slashes"].as_bool(), Some(false));
    assert_eq!(
        manager["path_with_escaped_slashes_action"].as_str(),
        Some("KEEP_UNCHANGED")
    );

    let filters = manager["http_filters"].as_vec().unwrap();
    let names: Vec<&str> = filters
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    // ext_authz before the router: nothing is routed unchecked.
    assert_eq!(
        names,
        ["envoy.filters.http.ext_authz", "envoy.filters.http.router"]
    );
    let authz = &filters[0]["typed_config"];
    assert_eq!(
        authz["@type"].as_str(),
        Some("type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz")
    );
    assert_eq!(authz["transport_api_version"].as_str(), Some("V3"));
    assert_eq!(authz["failure_mode_allow"].as_bool(), Some(false));
    assert_eq!(authz["include_peer_certificate"].as_bool(), Some(true));
    assert_eq!(
        authz["grpc_service"]["envoy_grpc"]["cluster_name"].as_str(),
        Some("gatehouse")
    );
    let body = &authz["with_request_body"];
    assert_eq!(body["max_request_bytes"].as_i64(), Some(1024 * 1024));
    assert_eq!(body["allow_partial_message"].as_bool(), Some(false));

    let hosts = manager["route_config"]["virtual_hosts"].as_vec().unwrap();
    let routes = |domain: &str| -> Vec<&str> {
        let host = hosts
            .iter()
            .find(|h| strings(&h["domains"]).contains(&domain))
            .unwrap_or_else(|| panic!("no virtual host for {domain}"));
        host["routes"]
            .as_vec()
            .unwrap()
            .iter()
            .map(|r| {
                assert_eq!(r["route"]["cluster"].as_str(), Some("gatehouse-upstream"));
                r["match"]["prefix"].as_str().unwrap()
            })
            .collect()
    };
    assert_eq!(
        routes("partner.example.com"),
        ["/internal", "/partner", "/v1"]
    );
    assert_eq!(routes("*"), ["/v1"]);

    let clusters = resources["clusters"].as_vec().unwrap();
    let cluster = |name: &str| {
        clusters
            .iter()
            .find(|c| c["name"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("no cluster {name}"))
    };
    let endpoint = |name: &str| {
        let address = &cluster(name)["load_assignment"]["endpoints"][0]["lb_endpoints"][0]
            ["endpoint"]["address"]["socket_address"];
        (
            address["address"].as_str().unwrap().to_string(),
            address["port_value"].as_i64().unwrap(),
        )
    };
    assert_eq!(endpoint("gatehouse"), ("127.0.0.1".to_string(), 9192));
    assert!(!cluster("gatehouse")["typed_extension_protocol_options"]
        ["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]["explicit_http_config"]
        ["http2_protocol_options"]
        .is_badvalue());
    assert_eq!(
        endpoint("gatehouse-upstream"),
        ("127.0.0.1".to_string(), 8080)
    );
}

#[test]
fn addresses_and_upstreams_are_checked() {
    use gatehouse_server::gateway::{Address, Upstream};
    let address: Address = "[::1]:9191".parse().unwrap();
    assert_eq!((address.host(), address.port()), ("::1", 9191));
    assert_eq!(address.to_string(), "[::1]:9191");
    assert_eq!(
        "gatehouse.internal:9191".parse::<Address>().unwrap().host(),
        "gatehouse.internal"
    );
    for bad in [
        "9191",
        "::1:9191",
        "host:0",
        "ho st:1",
        "a;b:1",
        "host:port",
    ] {
        assert!(bad.parse::<Address>().is_err(), "{bad}");
    }
    let upstream: Upstream = "https://api.internal".parse().unwrap();
    assert_eq!(upstream.url(), "https://api.internal:443");
    assert_eq!(
        "http://[::1]:8080/".parse::<Upstream>().unwrap().url(),
        "http://[::1]:8080"
    );
    for bad in [
        "127.0.0.1:8080",
        "http://127.0.0.1:8080/api",
        "http://u@127.0.0.1",
        "http://127.0.0.1:8080?x",
        "ftp://127.0.0.1",
    ] {
        assert!(bad.parse::<Upstream>().is_err(), "{bad}");
    }
}
