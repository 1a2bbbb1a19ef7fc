//! `gatehouse keys`, end to end in a directory of its own: new → list →
//! check (by the library, then by `eval` with the principal it yields) →
//! rotate → revoke, with snapshots of what users read, and the promise
//! that a key is printed once and never stored or listed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gatehouse_credentials::keys::{KeyStore, ServerSecret};
use gatehouse_credentials::RefusalReason;

const SECRET: &str = "a server secret for the keys CLI tests, 32+ bytes";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A fresh directory with `secret.txt` in it.
fn workdir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("gatehouse-keys-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("secret.txt"), format!("{SECRET}\n")).unwrap();
    dir
}

/// Runs `gatehouse` in `dir`, with `env` set and the secret variable unset
/// unless given.
fn gatehouse(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("GATEHOUSE_KEY_SECRET")
        .env("COLUMNS", "100");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

/// Runs `gatehouse keys ARGS --store keys.json` in `dir`.
fn keys(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    gatehouse(
        dir,
        &[&["keys"], args, &["--store", "keys.json"]].concat(),
        env,
    )
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Runs a command that must succeed and prints a key: the key.
fn issued(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
    let key = stdout(output).trim_end().to_owned();
    assert!(key.starts_with("gk_") && key.len() == 50, "{key}");
    assert!(
        gatehouse_credentials::keys::is_well_formed(&key, "gk_"),
        "{key}"
    );
    key
}

/// The id in a key: the 8 characters after `gk_`.
fn id(key: &str) -> &str {
    &key[3..11]
}

/// `text` with the ids named and every `YYYY-MM-DD HH:MM` time replaced,
/// so snapshots do not change with the clock or the random ids.
fn redact(text: &str, ids: &[&str]) -> String {
    let mut text = text.to_owned();
    for (n, id) in ids.iter().enumerate() {
        text = text.replace(id, &format!("[ID-{}..]", n + 1));
    }
    let shape = |c: u8, p: u8| match p {
        b'd' => c.is_ascii_digit(),
        other => c == other,
    };
    let pattern = b"dddd-dd-dd dd:dd";
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut at = 0;
    while at < bytes.len() {
        let window = bytes.get(at..at + pattern.len());
        if window.is_some_and(|w| w.iter().zip(pattern).all(|(&c, &p)| shape(c, p))) {
            out.push_str("[TIME..........]");
            at += pattern.len();
        } else {
            let c = text[at..].chars().next().unwrap();
            out.push(c);
            at += c.len_utf8();
        }
    }
    out
}

fn secret() -> ServerSecret {
    ServerSecret::new(SECRET.as_bytes()).unwrap()
}

fn client() -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3))
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

const SECRET_FILE: &str = "secret.txt";

#[test]
fn new_list_check_rotate_revoke() {
    let dir = workdir("lifecycle");
    let store_path = dir.join("keys.json");

    // new: the store is created; the key is printed once, alone.
    let first = keys(
        &dir,
        &[
            "new",
            "--secret-file",
            SECRET_FILE,
            "--owner",
            "billing",
            "--scopes",
            "pets:read,pets:write",
            "--expires",
            "90d",
        ],
        &[],
    );
    let billing = issued(&first);
    insta::assert_snapshot!("keys_new_stderr", redact(&stderr(&first), &[id(&billing)]));
    // The secret from the environment, and allowed networks.
    let second = keys(
        &dir,
        &[
            "new",
            "--owner",
            "ci",
            "--networks",
            "10.0.0.0/8,2001:db8::/32",
        ],
        &[("GATEHOUSE_KEY_SECRET", SECRET)],
    );
    let ci = issued(&second);

    let list = keys(&dir, &["list"], &[]);
    assert_eq!(list.status.code(), Some(0), "{}", stderr(&list));
    insta::assert_snapshot!(
        "keys_list_new",
        redact(&stdout(&list), &[id(&billing), id(&ci)])
    );

    // Check by the library, as a host would.
    let store = KeyStore::load(&store_path, secret()).unwrap();
    let accepted = store.check("key", &billing, client(), now()).unwrap();
    let principal = accepted.principal();
    assert_eq!(principal.subject, "billing");
    assert_eq!(principal.scopes, ["pets:read", "pets:write"]);
    assert_eq!(principal.claims["key_id"], id(&billing));
    let outside = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    assert_eq!(
        store.check("key", &ci, outside, now()).unwrap_err().reason,
        RefusalReason::KeyNetworkNotAllowed
    );
    assert!(store.check("key", &ci, client(), now()).is_ok());

    // Check by `eval`: the principal the key yields is allowed by the pet
    // store's `authenticate user | key`, and the audit record names the
    // key's owner, never the key.
    let request = serde_json::json!({
        "method": "GET",
        "path": "/v1/pets/7",
        "client_ip": "203.0.113.5",
        "principal": principal,
    });
    std::fs::write(dir.join("request.json"), request.to_string()).unwrap();
    let policy = root().join("policies/petstore.gate");
    let eval = gatehouse(
        &dir,
        &[
            "eval",
            policy.to_str().unwrap(),
            "--request",
            "request.json",
            "--json",
            "--audit",
        ],
        &[],
    );
    assert_eq!(eval.status.code(), Some(0), "{}", stderr(&eval));
    let decision: serde_json::Value = serde_json::from_str(&stdout(&eval)).unwrap();
    assert_eq!(decision["decision"], "allow", "{decision}");
    assert_eq!(decision["audit"]["principal"]["subject"], "billing");
    assert_eq!(decision["audit"]["principal"]["scheme"], "key");
    assert!(!stdout(&eval).contains(&billing[12..44]));

    // rotate: a new key; the old one works until the grace deadline.
    let rotate = keys(
        &dir,
        &[
            "rotate",
            id(&billing),
            "--grace",
            "7d",
            "--secret-file",
            SECRET_FILE,
        ],
        &[],
    );
    let replacement = issued(&rotate);
    assert_ne!(replacement, billing);
    insta::assert_snapshot!(
        "keys_rotate_stderr",
        redact(&stderr(&rotate), &[id(&billing), id(&replacement)])
    );
    let store = store
        .reload_if_changed()
        .unwrap()
        .expect("the store changed");
    let now = now();
    let old = store.check("key", &billing, client(), now).unwrap();
    let new = store.check("key", &replacement, client(), now).unwrap();
    assert_eq!(old.principal().subject, new.principal().subject);
    assert_eq!(new.principal().scopes, ["pets:read", "pets:write"]);
    assert_eq!(
        store
            .check("key", &billing, client(), now + 7 * 86_400 + 60)
            .unwrap_err()
            .reason,
        RefusalReason::KeyRevoked
    );

    // revoke: refused from the next reload.
    let revoke = keys(&dir, &["revoke", id(&ci)], &[]);
    assert_eq!(revoke.status.code(), Some(0), "{}", stderr(&revoke));
    insta::assert_snapshot!("keys_revoke", redact(&stdout(&revoke), &[id(&ci)]));
    let store = store
        .reload_if_changed()
        .unwrap()
        .expect("the store changed");
    assert_eq!(
        store.check("key", &ci, client(), now).unwrap_err().reason,
        RefusalReason::KeyRevoked
    );

    let list = keys(&dir, &["list"], &[]);
    let ids = [id(&billing), id(&ci), id(&replacement)];
    insta::assert_snapshot!("keys_list_after", redact(&stdout(&list), &ids));
    let json = keys(&dir, &["list", "--format", "json"], &[]);
    let listing: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    let statuses: Vec<_> = listing["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["rotating", "revoked", "active"]);

    // No key, no secret of a key and no server secret in the store or in
    // any listing.
    let stored = std::fs::read_to_string(&store_path).unwrap();
    let listings = [
        stored,
        stdout(&list),
        stderr(&list),
        stdout(&json),
        stdout(&revoke),
        stderr(&rotate),
        stderr(&first),
        stderr(&second),
    ];
    for key in [&billing, &ci, &replacement] {
        for text in &listings {
            assert!(!text.contains(key.as_str()), "{text}");
            assert!(!text.contains(&key[12..44]), "{text}");
            assert!(!text.contains(SECRET), "{text}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn refusals_say_what_to_do() {
    let dir = workdir("refusals");
    let no_secret = keys(&dir, &["new", "--owner", "a"], &[]);
    assert_eq!(no_secret.status.code(), Some(2));
    std::fs::write(dir.join("short.txt"), "short\n").unwrap();
    let short = keys(
        &dir,
        &["new", "--owner", "a", "--secret-file", "short.txt"],
        &[],
    );
    assert_eq!(short.status.code(), Some(2));
    let bad_duration = keys(
        &dir,
        &[
            "new",
            "--owner",
            "a",
            "--expires",
            "90",
            "--secret-file",
            SECRET_FILE,
        ],
        &[],
    );
    assert_eq!(bad_duration.status.code(), Some(2));
    // A store made with one secret refuses another.
    let made = keys(
        &dir,
        &["new", "--owner", "a", "--secret-file", SECRET_FILE],
        &[],
    );
    let key = issued(&made);
    let other_secret = (
        "GATEHOUSE_KEY_SECRET",
        "another secret of at least 32 bytes...",
    );
    let other = keys(&dir, &["new", "--owner", "b"], &[other_secret]);
    assert_eq!(other.status.code(), Some(2));
    let unknown = keys(&dir, &["revoke", "nosuchid"], &[]);
    assert_eq!(unknown.status.code(), Some(2));
    let missing = gatehouse(&dir, &["keys", "list", "--store", "missing.json"], &[]);
    assert_eq!(missing.status.code(), Some(2));
    let text = [
        stderr(&no_secret),
        stderr(&short),
        stderr(&bad_duration),
        stderr(&other),
        stderr(&unknown),
        stderr(&missing),
    ]
    .join("---\n");
    insta::assert_snapshot!("keys_refusals", redact(&text, &[id(&key)]));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn keys_help_has_examples() {
    let dir = workdir("help");
    for command in ["new", "list", "revoke", "rotate"] {
        let output = gatehouse(&dir, &["keys", command, "--help"], &[]);
        let text = stdout(&output);
        assert!(
            text.contains("Examples:"),
            "keys {command} --help has no examples"
        );
        insta::assert_snapshot!(format!("help_keys_{command}"), text);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
