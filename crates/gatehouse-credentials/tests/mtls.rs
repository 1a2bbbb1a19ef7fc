//! mTLS: names from a verified certificate, from Envoy's XFCC header and
//! from a forwarded subject DN; headers from untrusted peers refused.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use gatehouse::schemes::AuthSchemeRef;
use gatehouse::{PolicySet, Principal, Request};
use gatehouse_credentials::mtls::{self, ClientCertificate};
use gatehouse_credentials::RefusalReason;
use rcgen::{CertificateParams, DnType, KeyPair, SanType};

const POLICY: &str = r#"api "internal" version "1"
options {
  trusted_proxies = 10.0.0.0/8
}
auth svc   = mtls(subject: "*.internal.example.com")
auth edge  = mtls(header: "X-Forwarded-Client-Cert")
auth nginx = mtls(subject: "*.internal.example.com", header: "X-SSL-Client-DN")

endpoint GET /status {
  authenticate svc | edge | nginx
}
"#;

fn policy() -> PolicySet {
    PolicySet::from_source("internal.gate", POLICY).unwrap()
}

fn scheme<'p>(policy: &'p PolicySet, name: &str) -> AuthSchemeRef<'p> {
    policy.auth_schemes().find(|s| s.name() == name).unwrap()
}

/// A self-signed certificate with these names (the chain is the host's
/// TLS stack's business; only the names are read here).
fn certificate(common_name: &str, dns: &[&str], uri: Option<&str>) -> Vec<u8> {
    let mut params =
        CertificateParams::new(dns.iter().map(|d| d.to_string()).collect::<Vec<_>>()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Example");
    if let Some(uri) = uri {
        params
            .subject_alt_names
            .push(SanType::URI(uri.try_into().unwrap()));
    }
    let key = KeyPair::generate().unwrap();
    params.self_signed(&key).unwrap().der().to_vec()
}

fn peer(ip: &str) -> Option<std::net::IpAddr> {
    Some(ip.parse().unwrap())
}

#[test]
fn a_verified_certificate_gives_the_first_accepted_name() {
    let policy = policy();
    let der = certificate(
        "legacy-name",
        &["other.example.com", "api.internal.example.com"],
        Some("spiffe://example.com/api"),
    );
    let certificate = ClientCertificate {
        verified_der: Some(&der),
        peer: peer("203.0.113.5"),
    };
    let principal = mtls::authenticate(&scheme(&policy, "svc"), certificate, &[])
        .unwrap()
        .unwrap();
    assert_eq!(principal.scheme, "svc");
    assert_eq!(
        principal.subject, "api.internal.example.com",
        "the name the pattern accepts"
    );
    assert_eq!(
        principal.claims["dns_names"],
        serde_json::json!(["other.example.com", "api.internal.example.com"])
    );
    assert_eq!(
        principal.claims["uris"],
        serde_json::json!(["spiffe://example.com/api"])
    );
    assert!(principal.claims["subject_dn"]
        .as_str()
        .unwrap()
        .contains("CN=legacy-name"));

    // The evaluator takes it: the subject matches the scheme's pattern.
    let request =
        Request::new("GET", "/status", "203.0.113.5".parse().unwrap()).principal(&principal);
    assert!(policy.decide(&request).allowed());
}

#[test]
fn without_an_accepted_name_the_evaluator_denies_the_subject() {
    let policy = policy();
    let der = certificate("intruder.example.org", &["intruder.example.org"], None);
    let certificate = ClientCertificate {
        verified_der: Some(&der),
        peer: peer("203.0.113.5"),
    };
    let principal = mtls::authenticate(&scheme(&policy, "svc"), certificate, &[])
        .unwrap()
        .unwrap();
    assert_eq!(principal.subject, "intruder.example.org");
    let request =
        Request::new("GET", "/status", "203.0.113.5".parse().unwrap()).principal(&principal);
    assert_eq!(
        policy.decide(&request).reason().as_str(),
        "subject_mismatch"
    );
}

#[test]
fn envoy_xfcc_from_a_trusted_proxy() {
    let policy = policy();
    let xfcc = r#"By=spiffe://example.com/envoy;Hash=abc;Subject="CN=first.example.com",By=spiffe://example.com/edge;Hash=468ed33be74eee6556d90c0149c1309e9ba61d6425303443c0748a02dd8de688;Subject="CN=api.internal.example.com,O=Example\, Inc.";URI=spiffe://example.com/api;DNS=api.internal.example.com;DNS=alt.internal.example.com"#;
    let principal = mtls::authenticate(
        &scheme(&policy, "edge"),
        ClientCertificate {
            verified_der: None,
            peer: peer("10.1.2.3"),
        },
        &[("x-forwarded-client-cert", xfcc)],
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        principal.subject, "api.internal.example.com",
        "the last element counts"
    );
    assert_eq!(
        principal.claims["dns_names"],
        serde_json::json!(["api.internal.example.com", "alt.internal.example.com"])
    );
    assert_eq!(
        principal.claims["subject_dn"],
        "CN=api.internal.example.com,O=Example, Inc."
    );
}

#[test]
fn a_forwarded_dn_from_a_trusted_proxy() {
    let policy = policy();
    let principal = mtls::authenticate(
        &scheme(&policy, "nginx"),
        ClientCertificate {
            verified_der: None,
            peer: peer("10.9.9.9"),
        },
        &[(
            "X-SSL-Client-DN",
            "CN=db.internal.example.com,OU=Ops,O=Example",
        )],
    )
    .unwrap()
    .unwrap();
    assert_eq!(principal.subject, "db.internal.example.com");
    let slash = mtls::names_from_dn("/O=Example/CN=cache.internal.example.com").unwrap();
    assert_eq!(
        slash.common_name.as_deref(),
        Some("cache.internal.example.com")
    );
}

#[test]
fn a_certificate_header_from_anyone_else_is_refused() {
    let policy = policy();
    for peer_address in [peer("203.0.113.7"), None] {
        let refusal = mtls::authenticate(
            &scheme(&policy, "edge"),
            ClientCertificate {
                verified_der: None,
                peer: peer_address,
            },
            &[(
                "X-Forwarded-Client-Cert",
                "Subject=\"CN=admin.internal.example.com\";DNS=admin.internal.example.com",
            )],
        )
        .unwrap_err();
        assert_eq!(refusal.reason, RefusalReason::ClientCertificateUntrusted);
        assert_eq!(refusal.scheme, "edge");
        let text = format!("{refusal:?} {}", refusal.reason.description());
        assert!(
            !text.contains("admin.internal"),
            "no credential in the refusal: {text}"
        );
    }
    // A scheme without a header ignores one: no credential.
    let none = mtls::authenticate(
        &scheme(&policy, "svc"),
        ClientCertificate {
            verified_der: None,
            peer: peer("10.0.0.1"),
        },
        &[("X-Forwarded-Client-Cert", "DNS=api.internal.example.com")],
    )
    .unwrap();
    assert_eq!(none, None::<Principal>);
}

#[test]
fn malformed_and_ambiguous_certificates_are_refused() {
    let policy = policy();
    let trusted = ClientCertificate {
        verified_der: None,
        peer: peer("10.0.0.1"),
    };
    let edge = scheme(&policy, "edge");
    for bad in [
        "",
        ",",
        "Subject=\"CN=unterminated",
        "no-equals-sign",
        "Hash=abc",
    ] {
        let refusal =
            mtls::authenticate(&edge, trusted, &[("x-forwarded-client-cert", bad)]).unwrap_err();
        assert_eq!(
            refusal.reason,
            RefusalReason::CredentialMalformed,
            "{bad:?}"
        );
    }
    let twice = mtls::authenticate(
        &edge,
        trusted,
        &[
            ("x-forwarded-client-cert", "DNS=a.example.com"),
            ("X-Forwarded-Client-Cert", "DNS=b.example.com"),
        ],
    )
    .unwrap_err();
    assert_eq!(twice.reason, RefusalReason::CredentialAmbiguous);

    let mut der = certificate(
        "api.internal.example.com",
        &["api.internal.example.com"],
        None,
    );
    let svc = scheme(&policy, "svc");
    for broken in [vec![], vec![0x30, 0x82, 0xff], {
        der.push(0);
        der.clone()
    }] {
        let refusal = mtls::authenticate(
            &svc,
            ClientCertificate {
                verified_der: Some(&broken),
                peer: None,
            },
            &[],
        )
        .unwrap_err();
        assert_eq!(refusal.reason, RefusalReason::CredentialMalformed);
    }
}

proptest::proptest! {
    /// Whatever a header or a certificate holds, reading it never panics.
    #[test]
    fn hostile_input_never_panics(text in ".{0,200}", bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
        let _ = mtls::names_from_xfcc(&text);
        let _ = mtls::names_from_dn(&text);
        let _ = mtls::names_from_der(&bytes);
    }
}
