//! The store and the check together: every refusal reason, rotation,
//! reloading, and the promise that no key or secret leaks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;

use super::*;
use crate::RefusalReason;

const NOW: u64 = 1_767_225_600;
const DAY: u64 = 86_400;
const SECRET: &[u8] = b"the server secret for these tests, 32+ bytes";

fn secret() -> ServerSecret {
    ServerSecret::new(SECRET).unwrap()
}

fn client() -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(203, 0, 113, 5))
}

fn store_with(new: NewKey) -> (KeyStore, IssuedKey) {
    let mut store = KeyStore::new(DEFAULT_PREFIX, secret()).unwrap();
    let issued = store.issue(new, NOW).unwrap();
    (store, issued)
}

fn billing() -> NewKey {
    NewKey {
        owner: "billing".into(),
        scopes: vec!["pets:read".into(), "pets:write".into()],
        ..NewKey::default()
    }
}

fn refusal(store: &KeyStore, key: &str, ip: IpAddr, now: u64) -> RefusalReason {
    let refusal = store.check("key", key, ip, now).unwrap_err();
    assert_eq!(refusal.scheme, "key");
    refusal.reason
}

/// `key` with the secret's first character changed and the checksum
/// recomputed: well formed, but not the key.
fn other_secret(key: &str) -> String {
    let mut body = key[..key.len() - 6].to_owned().into_bytes();
    body[12] = if body[12] == b'a' { b'b' } else { b'a' };
    format::with_checksum(String::from_utf8(body).unwrap())
}

#[test]
fn a_good_key_yields_its_principal() {
    let (store, issued) = store_with(billing());
    let accepted = store.check("key", issued.key(), client(), NOW + 1).unwrap();
    assert_eq!(accepted.id(), issued.id());
    let principal = accepted.principal();
    assert_eq!(principal.scheme, "key");
    assert_eq!(principal.subject, "billing");
    assert_eq!(principal.scopes, ["pets:read", "pets:write"]);
    assert_eq!(principal.claims[KEY_ID_CLAIM], issued.id());
    let mut reused = gatehouse::Principal::new("other", "someone").with_claim("x", 1.into());
    accepted.fill(&mut reused);
    assert_eq!(reused, principal);
}

#[test]
fn malformed_keys_are_refused_before_the_store() {
    let (store, issued) = store_with(billing());
    let key = issued.key();
    let mut typo = key.to_owned().into_bytes();
    typo[20] = if typo[20] == b'x' { b'y' } else { b'x' };
    let typo = String::from_utf8(typo).unwrap();
    for bad in [
        "",
        "gk_",
        &key[..key.len() - 1],
        &format!("{key}x"),
        &key.replacen("gk_", "ab_", 1),
        &typo,
        &key.to_uppercase(),
    ] {
        assert_eq!(
            refusal(&store, bad, client(), NOW),
            RefusalReason::CredentialMalformed,
            "{bad}"
        );
    }
}

#[test]
fn unknown_ids_and_wrong_secrets_get_the_same_answer() {
    let (store, issued) = store_with(billing());
    let wrong_secret = other_secret(issued.key());
    assert_eq!(
        refusal(&store, &wrong_secret, client(), NOW),
        RefusalReason::KeyUnknown
    );
    // A well-formed key of another store: its id is unknown here.
    let (_, stranger) = store_with(billing());
    assert_eq!(
        refusal(&store, stranger.key(), client(), NOW),
        RefusalReason::KeyUnknown
    );
    // The same key under another server secret does not verify.
    let json = store.keys().to_json().replace(
        ServerSecret::new(SECRET).unwrap().fingerprint(),
        ServerSecret::new(&[9; 32]).unwrap().fingerprint(),
    );
    let other = KeyStore::from_json(&json, ServerSecret::new(&[9; 32]).unwrap()).unwrap();
    assert_eq!(
        refusal(&other, issued.key(), client(), NOW),
        RefusalReason::KeyUnknown
    );
}

#[test]
fn a_digest_is_bound_to_its_id() {
    let mut store = KeyStore::new(DEFAULT_PREFIX, secret()).unwrap();
    let a = store.issue(billing(), NOW).unwrap();
    let b = store.issue(billing(), NOW).unwrap();
    // Give `b` the digest of `a`: `a`'s secret under `b`'s id still fails.
    let a_digest = super::digest::hex(store.keys().get(a.id()).unwrap().digest());
    let b_digest = super::digest::hex(store.keys().get(b.id()).unwrap().digest());
    let json = store.keys().to_json().replace(&b_digest, &a_digest);
    let swapped = KeyStore::from_json(&json, secret()).unwrap();
    let forged = format::with_checksum(format!("gk_{}_{}", b.id(), &a.key()[12..44]));
    assert_ne!(forged, a.key());
    assert_eq!(
        refusal(&swapped, &forged, client(), NOW),
        RefusalReason::KeyUnknown
    );
}

#[test]
fn expiry_is_exclusive() {
    let (store, issued) = store_with(NewKey {
        expires: Some(NOW + DAY),
        ..billing()
    });
    assert!(store
        .check("key", issued.key(), client(), NOW + DAY - 1)
        .is_ok());
    assert_eq!(
        refusal(&store, issued.key(), client(), NOW + DAY),
        RefusalReason::KeyExpired
    );
    let mut past = KeyStore::new(DEFAULT_PREFIX, secret()).unwrap();
    let err = past
        .issue(
            NewKey {
                expires: Some(NOW),
                ..billing()
            },
            NOW,
        )
        .unwrap_err();
    assert_eq!(err, StoreError::ExpiresInThePast);
}

#[test]
fn revocation_is_immediate_and_wins() {
    let (mut store, issued) = store_with(NewKey {
        expires: Some(NOW + DAY),
        ..billing()
    });
    // Recorded as revoked tomorrow (a skewed clock): refused today anyway.
    store.keys_mut().revoke(issued.id(), NOW + DAY).unwrap();
    assert_eq!(
        refusal(&store, issued.key(), client(), NOW),
        RefusalReason::KeyRevoked
    );
    assert_eq!(
        refusal(&store, issued.key(), client(), NOW + 2 * DAY),
        RefusalReason::KeyRevoked
    );
    assert_eq!(
        store.keys_mut().revoke(issued.id(), NOW),
        Err(StoreError::AlreadyRevoked(issued.id().to_owned()))
    );
    assert_eq!(
        store.keys_mut().revoke("nosuchid", NOW),
        Err(StoreError::UnknownId("nosuchid".into()))
    );
}

#[test]
fn rotation_keeps_the_old_key_until_the_grace_deadline() {
    let (mut store, old) = store_with(NewKey {
        expires: Some(NOW + 90 * DAY),
        networks: vec!["10.0.0.0/8".parse().unwrap()],
        ..billing()
    });
    let later = NOW + 10 * DAY;
    let new = store.rotate(old.id(), 7 * DAY, later).unwrap();
    assert_ne!(new.id(), old.id());
    let inside = IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3));
    // Both work during the grace period, as the same owner.
    let a = store.check("key", old.key(), inside, later + 1).unwrap();
    let b = store.check("key", new.key(), inside, later + 1).unwrap();
    assert_eq!(a.principal().subject, b.principal().subject);
    assert_eq!(a.entry().scopes(), b.entry().scopes());
    assert_eq!(b.entry().networks(), a.entry().networks());
    // The new key gets the old key's 90-day lifetime from now.
    assert_eq!(b.entry().expires(), Some(later + 90 * DAY));
    assert_eq!(
        store.keys().get(old.id()).unwrap().status(later),
        KeyStatus::Rotating {
            grace_until: later + 7 * DAY
        }
    );
    // After it, the old one is refused as revoked; the new one works.
    assert_eq!(
        refusal(&store, old.key(), inside, later + 7 * DAY),
        RefusalReason::KeyRevoked
    );
    assert_eq!(
        store.keys().get(old.id()).unwrap().status(later + 7 * DAY),
        KeyStatus::Retired
    );
    assert!(store
        .check("key", new.key(), inside, later + 7 * DAY)
        .is_ok());
    // A key is rotated once.
    assert!(matches!(
        store.rotate(old.id(), DAY, later),
        Err(StoreError::AlreadyRotated { .. })
    ));
}

#[test]
fn networks_are_enforced() {
    let (store, issued) = store_with(NewKey {
        networks: vec![
            "10.0.0.0/8".parse().unwrap(),
            "2001:db8::/32".parse().unwrap(),
        ],
        ..billing()
    });
    let key = issued.key();
    for allowed in [
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
        "2001:db8::1".parse().unwrap(),
        // IPv4 written as IPv6 is the IPv4 address.
        IpAddr::V6(Ipv4Addr::new(10, 9, 9, 9).to_ipv6_mapped()),
    ] {
        assert!(store.check("key", key, allowed, NOW).is_ok(), "{allowed}");
    }
    for refused in [client(), IpAddr::V6(Ipv6Addr::LOCALHOST)] {
        assert_eq!(
            refusal(&store, key, refused, NOW),
            RefusalReason::KeyNetworkNotAllowed
        );
    }
}

#[test]
fn the_store_round_trips_through_json_and_refuses_another_secret() {
    let (mut store, issued) = store_with(NewKey {
        expires: Some(NOW + DAY),
        networks: vec!["10.0.0.0/8".parse().unwrap()],
        ..billing()
    });
    store.rotate(issued.id(), DAY, NOW).unwrap();
    let json = store.keys().to_json();
    let again = KeyStore::from_json(&json, secret()).unwrap();
    assert_eq!(again.keys().to_json(), json);
    assert_eq!(again.keys().len(), 2);
    assert_eq!(
        KeyStore::from_json(&json, ServerSecret::new(&[1; 32]).unwrap()).unwrap_err(),
        StoreError::WrongSecret
    );
    let v2 = json.replace("\"version\": 1", "\"version\": 2");
    assert_eq!(
        KeyStore::from_json(&v2, secret()).unwrap_err(),
        StoreError::Version(2)
    );
    let twice = json.replace(
        store.keys().entries()[1].id(),
        store.keys().entries()[0].id(),
    );
    assert!(matches!(
        KeyStore::from_json(&twice, secret()),
        Err(StoreError::DuplicateId(_))
    ));
    assert!(matches!(
        KeyStore::from_json("{}", secret()),
        Err(StoreError::Syntax { .. })
    ));
}

#[test]
fn prefixes_and_names_are_validated() {
    assert_eq!(
        KeyStore::new("GK", secret()).unwrap_err(),
        StoreError::Prefix("GK".into())
    );
    let mut store = KeyStore::new("acme_live_", secret()).unwrap();
    let issued = store.issue(billing(), NOW).unwrap();
    assert!(issued.key().starts_with("acme_live_"));
    assert!(store.check("key", issued.key(), client(), NOW).is_ok());
    for owner in ["", "a b", "a,b", "a\nb"] {
        let err = store
            .issue(
                NewKey {
                    owner: owner.into(),
                    ..billing()
                },
                NOW,
            )
            .unwrap_err();
        assert!(matches!(err, StoreError::BadName { what: "owner", .. }));
    }
}

#[test]
fn no_secret_in_debug_errors_json_or_principals() {
    let (mut store, issued) = store_with(billing());
    let key = issued.key().to_owned();
    let secret_part = &key[12..44];
    let revoked = store.issue(billing(), NOW).unwrap();
    store.keys_mut().revoke(revoked.id(), NOW).unwrap();
    let accepted = store.check("key", &key, client(), NOW).unwrap();
    let mut texts = vec![
        format!("{store:?}"),
        format!("{issued:?}"),
        format!("{accepted:?}"),
        format!("{:?}", accepted.principal()),
        serde_json::to_string(&accepted.principal()).unwrap(),
        format!("{:?}", store.keys().entries()),
        format!("{:?}", secret()),
        store.keys().to_json(),
    ];
    let truncated = key[..key.len() - 1].to_owned();
    for bad in [truncated, other_secret(&key), revoked.key().to_owned()] {
        let refusal = store.check("key", &bad, client(), NOW).unwrap_err();
        texts.push(format!("{refusal:?}"));
        texts.push(serde_json::to_string(&refusal).unwrap());
        texts.push(refusal.www_authenticate(crate::ChallengeKind::ApiKey));
    }
    let server_secret = std::str::from_utf8(SECRET).unwrap();
    for text in texts {
        assert!(!text.contains(&key), "{text}");
        assert!(!text.contains(secret_part), "{text}");
        assert!(!text.contains(&revoked.key()[12..44]), "{text}");
        assert!(!text.contains(server_secret), "{text}");
    }
}

#[test]
fn save_is_atomic_and_reload_sees_changes() {
    let dir = std::env::temp_dir().join(format!("gatehouse-keys-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("keys.json");
    let (mut store, issued) = store_with(billing());
    store.keys().save(&path).unwrap();
    let loaded = KeyStore::load(&path, secret()).unwrap();
    assert!(loaded.check("key", issued.key(), client(), NOW).is_ok());
    assert!(loaded.reload_if_changed().unwrap().is_none());
    store.keys_mut().revoke(issued.id(), NOW).unwrap();
    store.keys().save(&path).unwrap();
    let reloaded = loaded
        .reload_if_changed()
        .unwrap()
        .expect("the store changed");
    assert_eq!(
        refusal(&reloaded, issued.key(), client(), NOW),
        RefusalReason::KeyRevoked
    );
    assert!(reloaded.reload_if_changed().unwrap().is_none());
    // Nothing is left beside the store.
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["keys.json"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A store that no longer loads is an error; the host keeps the old one.
    std::fs::write(&path, "not json").unwrap();
    assert!(reloaded.reload_if_changed().is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics_and_never_checks(text in ".{0,80}") {
        let (store, _) = store_with(billing());
        prop_assert!(store.check("key", &text, client(), NOW).is_err());
    }

    #[test]
    fn well_shaped_guesses_never_check(body in "[0-9A-Za-z]{8}_[0-9A-Za-z]{32}") {
        let (store, _) = store_with(billing());
        // A guess with a valid checksum: it gets past the format, not the digest.
        let guess = format::with_checksum(format!("gk_{body}"));
        let reason = store.check("key", &guess, client(), NOW).unwrap_err().reason;
        prop_assert_eq!(reason, RefusalReason::KeyUnknown);
    }

    #[test]
    fn extraction_never_panics(
        name in "[A-Za-z-]{0,8}",
        value in ".{0,40}",
        query in ".{0,60}",
    ) {
        let headers = [(name.as_str(), value.as_str())];
        let _ = api_key_from_request("key", &headers, Some(&query), Some("X-API-Key"), Some("api_key"));
        let _ = api_key_from_request("key", &headers, Some(&query), Some("Authorization"), None);
    }
}
