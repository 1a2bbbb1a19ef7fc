//! Checking an API key against a store of 10,000 keys.
//!
//! - `keys/check`: a good key: its shape, the id lookup, the keyed digest
//!   and its constant-time comparison, status and network checks (a good
//!   key's checksum is vouched for by its digest). Allocates nothing.
//! - `keys/check_unknown_id`: a well-formed key whose id is not in the
//!   store: the same digest and comparison are done (the answer must not
//!   be faster), plus building the refusal.
//! - `keys/check_malformed`: a bad checksum: the digest fails, then the
//!   CRC tells a typo from an unknown key.
//! - `keys/check_and_fill_principal`: `check`, then the principal written
//!   into a reused one (as a host that keeps one per worker does).
//! - `keys/digest`, `keys/digest_full_hmac`: the keyed digest alone, and
//!   the full HMAC-SHA256 it was chosen over.
//!
//! The target: `keys/check` at most 150 ns median.
//!
//! `cargo bench -p gatehouse-credentials --bench keys -- --warm-up-time 2 --measurement-time 5`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use criterion::{criterion_group, criterion_main, Criterion};
use gatehouse::Principal;
use gatehouse_credentials::keys::{KeyStore, NewKey, ServerSecret, DEFAULT_PREFIX};

const NOW: u64 = 1_767_225_600;
const KEYS: usize = 10_000;
const SERVER_SECRET: &[u8] = b"a benchmark server secret of at least 32 bytes";

fn bench(c: &mut Criterion) {
    let mut store =
        KeyStore::new(DEFAULT_PREFIX, ServerSecret::new(SERVER_SECRET).unwrap()).unwrap();
    let mut issued = Vec::with_capacity(KEYS);
    for n in 0..KEYS {
        let new = NewKey {
            owner: format!("owner-{n}"),
            scopes: vec!["pets:read".into(), "pets:write".into()],
            expires: Some(NOW + 90 * 86_400),
            networks: if n % 2 == 0 {
                vec!["203.0.113.0/24".parse().unwrap()]
            } else {
                Vec::new()
            },
        };
        issued.push(store.issue(new, NOW).unwrap().key().to_owned());
    }
    let key = issued[KEYS / 2].clone();
    let client = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 5));
    assert!(store.check("key", &key, client, NOW).is_ok());

    let mut other = KeyStore::new(DEFAULT_PREFIX, ServerSecret::new(&[7; 32]).unwrap()).unwrap();
    let unknown = other
        .issue(
            NewKey {
                owner: "stranger".into(),
                ..NewKey::default()
            },
            NOW,
        )
        .unwrap()
        .key()
        .to_owned();
    assert!(store.check("key", &unknown, client, NOW).is_err());
    let mut malformed = key.clone();
    malformed.pop();
    malformed.push(if key.ends_with('0') { '1' } else { '0' });

    let mut group = c.benchmark_group("keys");
    group.bench_function("check", |b| {
        b.iter(|| {
            store
                .check("key", black_box(&key), black_box(client), black_box(NOW))
                .is_ok()
        })
    });
    group.bench_function("check_unknown_id", |b| {
        b.iter(|| {
            store
                .check(
                    "key",
                    black_box(&unknown),
                    black_box(client),
                    black_box(NOW),
                )
                .is_ok()
        })
    });
    group.bench_function("check_malformed", |b| {
        b.iter(|| {
            store
                .check(
                    "key",
                    black_box(&malformed),
                    black_box(client),
                    black_box(NOW),
                )
                .is_ok()
        })
    });
    let mut principal = Principal::default();
    group.bench_function("check_and_fill_principal", |b| {
        b.iter(|| {
            if let Ok(accepted) = store.check("key", black_box(&key), client, NOW) {
                accepted.fill(&mut principal);
            }
            principal.scopes.len()
        })
    });
    // The digest alone, and the full HMAC-SHA256 it was chosen over (with
    // its keyed states precomputed and cloned the same way): see `digest.rs`.
    let secret = ServerSecret::new(SERVER_SECRET).unwrap();
    let input = &key.as_bytes()[DEFAULT_PREFIX.len()..];
    group.bench_function("digest", |b| b.iter(|| secret.digest(black_box(input))));
    let hmac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(SERVER_SECRET).unwrap();
    group.bench_function("digest_full_hmac", |b| {
        b.iter(|| {
            let mut mac = hmac.clone();
            hmac::Mac::update(&mut mac, black_box(input));
            hmac::Mac::finalize(mac).into_bytes()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
