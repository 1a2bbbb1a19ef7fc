//! `gatehouse keys`: issue, list, revoke and rotate the API keys of a key
//! store ([`gatehouse_credentials::keys`]). The library reads no clock:
//! the times come from here.
//!
//! A new key is printed alone on standard output (a script captures it
//! with `$(...)`), what was done on standard error. Nothing here prints a
//! digest or the server secret, and a key only when it is made.

use std::path::Path;

use gatehouse_credentials::keys::{
    KeyEntry, KeyFile, KeyStatus, KeyStore, NewKey, ServerSecret, StoreError, DEFAULT_PREFIX,
};
use serde::Serialize;

use crate::args::{
    KeysArgs, KeysCommand, KeysListArgs, KeysNewArgs, KeysRevokeArgs, KeysRotateArgs, ReportFormat,
    ServerSecretArg,
};
use crate::exit::Exit;
use crate::load::display_name;
use crate::output::outln;

/// The environment variable that holds the server secret when no
/// `--secret-file` is given.
const SECRET_ENV: &str = "GATEHOUSE_KEY_SECRET";

pub fn run(args: &KeysArgs) -> Exit {
    let done = match &args.command {
        KeysCommand::New(a) => new(a),
        KeysCommand::List(a) => list(a),
        KeysCommand::Revoke(a) => revoke(a),
        KeysCommand::Rotate(a) => rotate(a),
    };
    match done {
        Ok(()) => Exit::Ok,
        Err(message) => {
            eprintln!("error: {message}");
            Exit::Usage
        }
    }
}

fn new(args: &KeysNewArgs) -> Result<(), String> {
    let secret = server_secret(&args.secret)?;
    let path = &args.store.store;
    let mut store = if path.exists() {
        let store = KeyStore::open(read(path)?, secret).map_err(|e| in_store(path, &e))?;
        match &args.prefix {
            Some(prefix) if prefix != store.keys().prefix() => {
                return Err(format!(
                    "--prefix `{prefix}`: the keys of `{}` start with `{}`; a prefix is chosen when the store is made",
                    display_name(path),
                    store.keys().prefix()
                ))
            }
            _ => store,
        }
    } else {
        let prefix = args.prefix.as_deref().unwrap_or(DEFAULT_PREFIX);
        KeyStore::new(prefix, secret).map_err(|e| e.to_string())?
    };
    let now = now();
    let new = NewKey {
        owner: args.owner.clone(),
        scopes: args.scopes.clone(),
        expires: args.expires.map(|lifetime| now.saturating_add(lifetime)),
        networks: args.networks.clone(),
    };
    let issued = store.issue(new, now).map_err(|e| e.to_string())?;
    store.keys().save(path).map_err(|e| e.to_string())?;
    outln!("{}", issued.key());
    let expiry = match args.expires {
        Some(lifetime) => format!("expires {} UTC", utc(now.saturating_add(lifetime))),
        None => "does not expire".to_owned(),
    };
    eprintln!(
        "created key `{}` for `{}` in `{}`; it {expiry}",
        issued.id(),
        args.owner,
        display_name(path)
    );
    eprintln!("the key is shown only this once: the store keeps only its digest");
    Ok(())
}

fn rotate(args: &KeysRotateArgs) -> Result<(), String> {
    let secret = server_secret(&args.secret)?;
    let path = &args.store.store;
    let mut store = KeyStore::open(read(path)?, secret).map_err(|e| in_store(path, &e))?;
    let now = now();
    let issued = store
        .rotate(&args.id, args.grace, now)
        .map_err(|e| in_store(path, &e))?;
    store.keys().save(path).map_err(|e| e.to_string())?;
    outln!("{}", issued.key());
    eprintln!(
        "rotated key `{}` to `{}` in `{}`; `{}` works until {} UTC",
        args.id,
        issued.id(),
        display_name(path),
        args.id,
        utc(now.saturating_add(args.grace))
    );
    eprintln!("the new key is shown only this once: the store keeps only its digest");
    Ok(())
}

fn revoke(args: &KeysRevokeArgs) -> Result<(), String> {
    let path = &args.store.store;
    let mut keys = read(path)?;
    keys.revoke(&args.id, now())
        .map_err(|e| in_store(path, &e))?;
    keys.save(path).map_err(|e| e.to_string())?;
    let owner = keys.get(&args.id).map_or("", KeyEntry::owner);
    outln!(
        "revoked key `{}` of `{owner}` in `{}`: refused once the store is reloaded",
        args.id,
        display_name(path)
    );
    Ok(())
}

fn list(args: &KeysListArgs) -> Result<(), String> {
    let keys = read(&args.store.store)?;
    let now = now();
    let text = match args.format {
        ReportFormat::Human => table(&keys, now),
        ReportFormat::Json => json(&keys, now),
    };
    super::emit(&text);
    Ok(())
}

/// `keys list`: one row per key, then a count.
pub fn table(keys: &KeyFile, now: u64) -> String {
    if keys.is_empty() {
        return "no keys\n".to_owned();
    }
    let mut rows = vec![[
        "ID", "OWNER", "SCOPES", "NETWORKS", "CREATED", "EXPIRES", "STATUS",
    ]
    .map(String::from)
    .to_vec()];
    for entry in keys.entries() {
        rows.push(vec![
            entry.id().to_owned(),
            entry.owner().to_owned(),
            or_dash(entry.scopes().join(",")),
            match entry.networks() {
                [] => "any".to_owned(),
                networks => join(networks),
            },
            utc(entry.created()),
            entry.expires().map_or_else(|| "never".to_owned(), utc),
            status(entry, now),
        ]);
    }
    let mut out = crate::render::columns(&rows);
    let active = keys
        .entries()
        .iter()
        .filter(|e| {
            matches!(
                e.status(now),
                KeyStatus::Active | KeyStatus::Rotating { .. }
            )
        })
        .count();
    let plural = if keys.len() == 1 { "" } else { "s" };
    out.push_str(&format!(
        "\n{} key{plural}, {active} usable; times in UTC\n",
        keys.len()
    ));
    out
}

/// The status column: the status, and for a rotated or revoked key what
/// and when.
fn status(entry: &KeyEntry, now: u64) -> String {
    let to = entry.rotated_to().unwrap_or_default();
    match entry.status(now) {
        KeyStatus::Rotating { grace_until } => {
            format!("rotating to {to} until {}", utc(grace_until))
        }
        KeyStatus::Retired => format!("retired, rotated to {to}"),
        KeyStatus::Revoked => match entry.revoked() {
            Some(at) => format!("revoked {}", utc(at)),
            None => "revoked".to_owned(),
        },
        other => other.as_str().to_owned(),
    }
}

/// `keys list --format json`: the entries without their digests, times
/// in Unix seconds.
fn json(keys: &KeyFile, now: u64) -> String {
    #[derive(Serialize)]
    struct Listing<'a> {
        version: u32,
        prefix: &'a str,
        keys: Vec<Row<'a>>,
    }
    #[derive(Serialize)]
    struct Row<'a> {
        id: &'a str,
        owner: &'a str,
        scopes: &'a [String],
        networks: Vec<String>,
        created: u64,
        expires: Option<u64>,
        revoked: Option<u64>,
        rotated_to: Option<&'a str>,
        grace_until: Option<u64>,
        status: &'static str,
    }
    let listing = Listing {
        version: 1,
        prefix: keys.prefix(),
        keys: keys
            .entries()
            .iter()
            .map(|e| {
                let status = e.status(now);
                Row {
                    id: e.id(),
                    owner: e.owner(),
                    scopes: e.scopes(),
                    networks: e.networks().iter().map(ToString::to_string).collect(),
                    created: e.created(),
                    expires: e.expires(),
                    revoked: e.revoked(),
                    rotated_to: e.rotated_to(),
                    grace_until: match status {
                        KeyStatus::Rotating { grace_until } => Some(grace_until),
                        _ => None,
                    },
                    status: status.as_str(),
                }
            })
            .collect(),
    };
    format!(
        "{}\n",
        serde_json::to_string_pretty(&listing).unwrap_or_default()
    )
}

fn read(path: &Path) -> Result<KeyFile, String> {
    KeyFile::read(path).map_err(|e| e.to_string())
}

/// A store error, with the store named when the error does not.
fn in_store(path: &Path, error: &StoreError) -> String {
    match error {
        StoreError::Io { .. } | StoreError::Syntax { .. } => error.to_string(),
        _ => format!("`{}`: {error}", display_name(path)),
    }
}

/// The server secret from `--secret-file` or the environment, without a
/// final newline (files written by `echo` or an editor end with one).
pub(crate) fn server_secret(arg: &ServerSecretArg) -> Result<ServerSecret, String> {
    let (bytes, from) = match &arg.secret_file {
        Some(path) => (
            std::fs::read(path)
                .map_err(|e| format!("--secret-file `{}`: {e}", display_name(path)))?,
            format!("`{}`", display_name(path)),
        ),
        None => match std::env::var_os(SECRET_ENV) {
            Some(value) if !value.is_empty() => (value.into_encoded_bytes(), SECRET_ENV.to_owned()),
            _ => {
                return Err(format!(
                    "no server secret: give --secret-file FILE or set {SECRET_ENV}"
                ))
            }
        },
    };
    let bytes = bytes
        .strip_suffix(b"\n")
        .map(|b| b.strip_suffix(b"\r").unwrap_or(b))
        .unwrap_or(&bytes);
    ServerSecret::new(bytes).map_err(|e| {
        format!("{from}: {e} (make one with `head -c 32 /dev/urandom | base64 > secret.txt`)")
    })
}

/// Seconds since the Unix epoch, from the system clock.
fn now() -> u64 {
    crate::load::now_ms() / 1000
}

fn or_dash(text: String) -> String {
    if text.is_empty() {
        "-".to_owned()
    } else {
        text
    }
}

fn join<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// `seconds` since the Unix epoch as a UTC date and time to the minute:
/// `2026-01-01 00:00` (the days-to-civil algorithm of Howard Hinnant's
/// `chrono`-compatible date library, rather than a date dependency).
pub fn utc(seconds: u64) -> String {
    // Days fit in i64 for any u64 of seconds.
    let days = (seconds / 86_400) as i64 + 719_468;
    let rest = seconds % 86_400;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        rest / 3_600,
        rest % 3_600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::utc;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00");
        assert_eq!(utc(1_767_225_600), "2026-01-01 00:00");
        assert_eq!(utc(1_709_164_800 + 3_600 + 120), "2024-02-29 01:02");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00");
        assert_eq!(utc(4_102_444_799), "2099-12-31 23:59");
    }
}
