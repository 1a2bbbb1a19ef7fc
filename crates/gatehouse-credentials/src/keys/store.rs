//! The key store: a JSON file of entries, each with the digest of its
//! key's secret, loaded into a table indexed by key id.
//!
//! ```json
//! {
//!   "version": 1,
//!   "prefix": "gk_",
//!   "fingerprint": "5f0c2a9e41d7b3c8",
//!   "keys": [
//!     {
//!       "id": "2Hq8ZtLm",
//!       "owner": "billing-service",
//!       "scopes": ["pets:read"],
//!       "created": 1767225600,
//!       "expires": 1774998000,
//!       "networks": ["10.0.0.0/8"],
//!       "digest": "<64 hex digits>"
//!     }
//!   ]
//! }
//! ```
//!
//! Times are Unix seconds. `revoked` (when), `rotated_to` (the id of the
//! key that replaced this one) and `grace_until` (when this one stops
//! working) are added by `revoke` and `rotate`. `fingerprint` identifies the
//! server secret the digests were made with (see
//! [`ServerSecret::fingerprint`]); the secret itself is never in the file.
//! Version 1 means digests of the key after its prefix (`id_secret` and
//! the checksum), keyed as `digest.rs` says.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::digest::{self, ServerSecret, DIGEST_LEN};
use super::format;

/// The version of the store file this code reads and writes.
const VERSION: u32 = 1;

/// How many times `issue` draws a new id when the one drawn is taken
/// (with 47-bit ids, a second draw is already very unlikely).
const ID_DRAWS: usize = 8;

/// One key's entry: everything about it but its secret.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    id: String,
    /// The id as a number: the index key (not stored, derived from `id`).
    #[serde(skip)]
    id_number: u64,
    owner: String,
    #[serde(default)]
    scopes: Vec<String>,
    created: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    revoked: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rotated_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    grace_until: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    networks: Vec<IpNet>,
    #[serde(with = "hex_digest")]
    digest: [u8; DIGEST_LEN],
}

// Written by hand so that the digest stays out of debug output and logs.
impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEntry")
            .field("id", &self.id)
            .field("owner", &self.owner)
            .field("scopes", &self.scopes)
            .field("created", &self.created)
            .field("expires", &self.expires)
            .field("revoked", &self.revoked)
            .field("rotated_to", &self.rotated_to)
            .field("grace_until", &self.grace_until)
            .field("networks", &self.networks)
            .finish_non_exhaustive()
    }
}

/// Where a key stands at a given time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyStatus {
    /// It works.
    Active,
    /// It was rotated and still works until `grace_until`.
    Rotating {
        /// When it stops working (Unix seconds).
        grace_until: u64,
    },
    /// It was rotated and its grace period is over: refused as
    /// `key_revoked`.
    Retired,
    /// Past its expiry: refused as `key_expired`.
    Expired,
    /// Revoked: refused as `key_revoked`.
    Revoked,
}

impl KeyStatus {
    /// A word for listings: `active`, `rotating`, `retired`, `expired`,
    /// `revoked`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "active",
            KeyStatus::Rotating { .. } => "rotating",
            KeyStatus::Retired => "retired",
            KeyStatus::Expired => "expired",
            KeyStatus::Revoked => "revoked",
        }
    }
}

impl KeyEntry {
    /// The key's public id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Who the key belongs to: the principal's subject.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The scopes the key grants.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// When the key was made (Unix seconds).
    pub fn created(&self) -> u64 {
        self.created
    }

    /// When the key stops working, if ever (Unix seconds).
    pub fn expires(&self) -> Option<u64> {
        self.expires
    }

    /// When the key was revoked, if it was.
    pub fn revoked(&self) -> Option<u64> {
        self.revoked
    }

    /// The id of the key that replaced this one, if it was rotated.
    pub fn rotated_to(&self) -> Option<&str> {
        self.rotated_to.as_deref()
    }

    /// The networks the key may be used from; empty means any.
    pub fn networks(&self) -> &[IpNet] {
        &self.networks
    }

    /// Where the key stands at `now` (Unix seconds). A revocation takes
    /// effect whatever its recorded time, so that no clock can delay it;
    /// revoked wins over retired, which wins over expired.
    pub fn status(&self, now: u64) -> KeyStatus {
        if self.revoked.is_some() {
            return KeyStatus::Revoked;
        }
        match self.grace_until {
            Some(until) if now >= until => return KeyStatus::Retired,
            _ => {}
        }
        if self.expires.is_some_and(|expires| now >= expires) {
            return KeyStatus::Expired;
        }
        match self.grace_until {
            Some(grace_until) => KeyStatus::Rotating { grace_until },
            None => KeyStatus::Active,
        }
    }

    /// Whether the key may be used from `client_ip`. An IPv4 address
    /// written as IPv6 (`::ffff:10.0.0.1`) counts as the IPv4 address.
    pub fn allows(&self, client_ip: IpAddr) -> bool {
        let ip = client_ip.to_canonical();
        self.networks.is_empty() || self.networks.iter().any(|net| net.contains(&ip))
    }

    pub(super) fn digest(&self) -> &[u8; DIGEST_LEN] {
        &self.digest
    }
}

/// What a new key is for: `KeyStore::issue` adds the id, times and digest.
#[derive(Clone, Debug, Default)]
pub struct NewKey {
    /// Who it belongs to.
    pub owner: String,
    /// The scopes it grants.
    pub scopes: Vec<String>,
    /// When it stops working (Unix seconds), if ever.
    pub expires: Option<u64>,
    /// The networks it may be used from; empty means any.
    pub networks: Vec<IpNet>,
}

/// A key just made: the only time its full text exists outside the client.
/// Show it once; its `Debug` shows only the id.
pub struct IssuedKey {
    id: String,
    key: String,
}

impl std::fmt::Debug for IssuedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl IssuedKey {
    /// The key's public id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The whole key, to hand to its owner once.
    pub fn key(&self) -> &str {
        &self.key
    }
}

/// The file as stored.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreFile {
    version: u32,
    prefix: String,
    fingerprint: String,
    keys: Vec<KeyEntry>,
}

/// What identifies a version of the store file on disk: enough to notice
/// a rewrite (an atomic rename gives a new inode even within the same
/// second of modification time).
#[derive(Clone, Debug, PartialEq, Eq)]
struct FileStamp {
    modified: Option<std::time::SystemTime>,
    len: u64,
    inode: u64,
}

impl FileStamp {
    fn of(path: &Path) -> Result<FileStamp, StoreError> {
        let metadata = std::fs::metadata(path).map_err(|error| io_error(path, &error))?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&metadata);
        #[cfg(not(unix))]
        let inode = 0;
        Ok(FileStamp {
            modified: metadata.modified().ok(),
            len: metadata.len(),
            inode,
        })
    }
}

fn io_error(path: &Path, error: &std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_path_buf(),
        message: error.to_string(),
    }
}

/// The entries of a key store, read without the server secret: enough to
/// list keys and revoke them, not to check or make one (that is
/// [`KeyStore`]). Its `Debug` holds no digest.
#[derive(Clone, Debug)]
pub struct KeyFile {
    prefix: String,
    /// The server secret's fingerprint (see [`ServerSecret::fingerprint`]).
    fingerprint: String,
    entries: Vec<KeyEntry>,
    /// Key id number → position in `entries`.
    index: FxHashMap<u64, usize>,
}

impl KeyFile {
    /// Reads the store file at `path`.
    pub fn read(path: &Path) -> Result<KeyFile, StoreError> {
        let text = std::fs::read_to_string(path).map_err(|error| io_error(path, &error))?;
        KeyFile::from_json(&text).map_err(|error| match error {
            StoreError::Syntax { message, .. } => StoreError::Syntax {
                path: Some(path.to_path_buf()),
                message,
            },
            other => other,
        })
    }

    /// Reads a store from its JSON text.
    pub fn from_json(text: &str) -> Result<KeyFile, StoreError> {
        let file: StoreFile = serde_json::from_str(text).map_err(|error| StoreError::Syntax {
            path: None,
            message: error.to_string(),
        })?;
        if file.version != VERSION {
            return Err(StoreError::Version(file.version));
        }
        let mut keys = KeyFile::empty(&file.prefix, file.fingerprint)?;
        for mut entry in file.keys {
            entry.id_number =
                format::parse_id(&entry.id).ok_or_else(|| StoreError::BadId(entry.id.clone()))?;
            keys.insert(entry)?;
        }
        Ok(keys)
    }

    fn empty(prefix: &str, fingerprint: String) -> Result<KeyFile, StoreError> {
        if !format::valid_prefix(prefix) {
            return Err(StoreError::Prefix(prefix.to_owned()));
        }
        Ok(KeyFile {
            prefix: prefix.to_owned(),
            fingerprint,
            entries: Vec::new(),
            index: FxHashMap::default(),
        })
    }

    /// The store as JSON text, as `save` writes it.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct View<'a> {
            version: u32,
            prefix: &'a str,
            fingerprint: &'a str,
            keys: &'a [KeyEntry],
        }
        let view = View {
            version: VERSION,
            prefix: &self.prefix,
            fingerprint: &self.fingerprint,
            keys: &self.entries,
        };
        // Serialising plain strings, numbers and lists cannot fail.
        let mut text = serde_json::to_string_pretty(&view).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Writes the store to `path` atomically: to a new file beside it, made
    /// durable, then renamed over it, so a reader (or a crash) sees the old
    /// store or the new one, never half of one. On Unix the file is
    /// readable by its owner only.
    pub fn save(&self, path: &Path) -> Result<(), StoreError> {
        let name = path.file_name().ok_or_else(|| StoreError::Io {
            path: path.to_path_buf(),
            message: "not a file name".into(),
        })?;
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".{}.tmp", std::process::id()));
        let temp = path.with_file_name(temp_name);
        let written =
            write_new(&temp, self.to_json().as_bytes()).and_then(|()| std::fs::rename(&temp, path));
        if let Err(error) = written {
            // Best effort: the temporary file is useless once the rename failed.
            let _ = std::fs::remove_file(&temp);
            return Err(io_error(path, &error));
        }
        // Make the rename itself durable; not every platform can open a
        // directory, and the data is already safe, so failure is ignored.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }

    /// The prefix of this store's keys.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The entries, in the order they were added.
    pub fn entries(&self) -> &[KeyEntry] {
        &self.entries
    }

    /// The entry of key `id`.
    pub fn get(&self, id: &str) -> Option<&KeyEntry> {
        self.entry(format::parse_id(id)?)
    }

    pub(super) fn entry(&self, id_number: u64) -> Option<&KeyEntry> {
        self.index
            .get(&id_number)
            .and_then(|&at| self.entries.get(at))
    }

    /// How many keys the store holds (revoked ones included).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the store holds no key.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Revokes key `id` at `now`: it is refused from then on.
    pub fn revoke(&mut self, id: &str, now: u64) -> Result<(), StoreError> {
        let entry = self.entry_mut(id)?;
        if entry.revoked.is_some() {
            return Err(StoreError::AlreadyRevoked(id.to_owned()));
        }
        entry.revoked = Some(now);
        Ok(())
    }

    fn entry_mut(&mut self, id: &str) -> Result<&mut KeyEntry, StoreError> {
        let unknown = || StoreError::UnknownId(id.to_owned());
        let number = format::parse_id(id).ok_or_else(unknown)?;
        let at = *self.index.get(&number).ok_or_else(unknown)?;
        self.entries.get_mut(at).ok_or_else(unknown)
    }

    fn insert(&mut self, entry: KeyEntry) -> Result<(), StoreError> {
        if self.index.contains_key(&entry.id_number) {
            return Err(StoreError::DuplicateId(entry.id));
        }
        self.index.insert(entry.id_number, self.entries.len());
        self.entries.push(entry);
        Ok(())
    }
}

/// API keys by id, each with the digest of its secret, and the server
/// secret that keys the digests: a [`KeyFile`] that can check keys
/// ([`KeyStore::check`]) and make them.
///
/// Its `Debug` shows the prefix and the number of keys only.
#[derive(Clone)]
pub struct KeyStore {
    keys: KeyFile,
    secret: ServerSecret,
    /// The file it was loaded from, and that file's stamp then.
    source: Option<(PathBuf, FileStamp)>,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore")
            .field("prefix", &self.keys.prefix)
            .field("keys", &self.keys.len())
            .finish_non_exhaustive()
    }
}

impl KeyStore {
    /// An empty store whose keys start with `prefix` (see
    /// [`DEFAULT_PREFIX`](super::DEFAULT_PREFIX)).
    pub fn new(prefix: &str, secret: ServerSecret) -> Result<KeyStore, StoreError> {
        let keys = KeyFile::empty(prefix, secret.fingerprint().to_owned())?;
        KeyStore::open(keys, secret)
    }

    /// The store of `keys`, whose digests were made with `secret` (refused
    /// if its fingerprint is not the one they were made with).
    pub fn open(keys: KeyFile, secret: ServerSecret) -> Result<KeyStore, StoreError> {
        if keys.fingerprint != secret.fingerprint() {
            return Err(StoreError::WrongSecret);
        }
        Ok(KeyStore {
            keys,
            secret,
            source: None,
        })
    }

    /// Reads the store at `path`, whose digests were made with `secret`.
    pub fn load(path: &Path, secret: ServerSecret) -> Result<KeyStore, StoreError> {
        let stamp = FileStamp::of(path)?;
        let mut store = KeyStore::open(KeyFile::read(path)?, secret)?;
        store.source = Some((path.to_path_buf(), stamp));
        Ok(store)
    }

    /// Reads a store from its JSON text.
    pub fn from_json(text: &str, secret: ServerSecret) -> Result<KeyStore, StoreError> {
        KeyStore::open(KeyFile::from_json(text)?, secret)
    }

    /// The store at `path` if it has changed since this one was loaded
    /// from it (modification time, size or inode), or `None` if it has
    /// not. A host checks this now and then and swaps the new store in
    /// (an `ArcSwap<KeyStore>`, or an `RwLock<Arc<KeyStore>>`), so keys
    /// issued or revoked take effect without a restart; a store that fails
    /// to load is an error and the host keeps the old one.
    pub fn reload_if_changed(&self) -> Result<Option<KeyStore>, StoreError> {
        let Some((path, stamp)) = &self.source else {
            return Ok(None);
        };
        if FileStamp::of(path)? == *stamp {
            return Ok(None);
        }
        KeyStore::load(path, self.secret.clone()).map(Some)
    }

    /// The entries, without the secret.
    pub fn keys(&self) -> &KeyFile {
        &self.keys
    }

    /// The entries, to revoke one.
    pub fn keys_mut(&mut self) -> &mut KeyFile {
        &mut self.keys
    }

    /// The entries, without the secret.
    pub fn into_keys(self) -> KeyFile {
        self.keys
    }

    pub(super) fn secret(&self) -> &ServerSecret {
        &self.secret
    }

    /// Makes a key for `new` at `now` (Unix seconds), stores its digest and
    /// returns it: its text exists nowhere else.
    pub fn issue(&mut self, new: NewKey, now: u64) -> Result<IssuedKey, StoreError> {
        validate_name("owner", &new.owner)?;
        for scope in &new.scopes {
            validate_name("scope", scope)?;
        }
        if new.expires.is_some_and(|expires| expires <= now) {
            return Err(StoreError::ExpiresInThePast);
        }
        for _ in 0..ID_DRAWS {
            let (id_number, key) = format::generate(&self.keys.prefix)
                .map_err(|error| StoreError::Random(error.to_string()))?;
            if self.keys.index.contains_key(&id_number) {
                continue;
            }
            let Some(parsed) = format::parse(&key, &self.keys.prefix) else {
                continue;
            };
            let entry = KeyEntry {
                id: format::id_text(id_number),
                id_number,
                owner: new.owner,
                scopes: new.scopes,
                created: now,
                expires: new.expires,
                revoked: None,
                rotated_to: None,
                grace_until: None,
                networks: new.networks,
                digest: self.secret.digest(parsed.digest_input),
            };
            let id = entry.id.clone();
            self.keys.insert(entry)?;
            return Ok(IssuedKey { id, key });
        }
        Err(StoreError::Random("no unused key id was drawn".into()))
    }

    /// Replaces key `id` with a new key for the same owner, scopes and
    /// networks, which keeps the old key's lifetime (the time from its
    /// creation to its expiry) from `now`. The old key keeps working for
    /// `grace_seconds`, so that clients can move to the new one.
    pub fn rotate(
        &mut self,
        id: &str,
        grace_seconds: u64,
        now: u64,
    ) -> Result<IssuedKey, StoreError> {
        let old = self.keys.entry_mut(id)?;
        match old.status(now) {
            KeyStatus::Active => {}
            KeyStatus::Rotating { .. } | KeyStatus::Retired => {
                return Err(StoreError::AlreadyRotated {
                    id: id.to_owned(),
                    to: old.rotated_to.clone().unwrap_or_default(),
                })
            }
            KeyStatus::Revoked => return Err(StoreError::AlreadyRevoked(id.to_owned())),
            KeyStatus::Expired => return Err(StoreError::Expired(id.to_owned())),
        }
        let new = NewKey {
            owner: old.owner.clone(),
            scopes: old.scopes.clone(),
            expires: old
                .expires
                .map(|expires| now.saturating_add(expires.saturating_sub(old.created))),
            networks: old.networks.clone(),
        };
        let issued = self.issue(new, now)?;
        let old = self.keys.entry_mut(id)?;
        old.rotated_to = Some(issued.id.clone());
        old.grace_until = Some(now.saturating_add(grace_seconds));
        Ok(issued)
    }
}

/// Creates `path` (which must not exist) with `bytes`, synced to disk.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Owners and scopes: not empty, and no spaces, commas or control
/// characters, so listings and `--scopes a,b` stay unambiguous.
fn validate_name(what: &'static str, name: &str) -> Result<(), StoreError> {
    if name.is_empty()
        || name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',')
    {
        return Err(StoreError::BadName {
            what,
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// Why a store could not be read, written or changed. Messages never hold
/// a key or a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// The file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's message.
        message: String,
    },
    /// The file is not a store: bad JSON or a missing field.
    Syntax {
        /// The file, if read from one.
        path: Option<PathBuf>,
        /// What the JSON parser said.
        message: String,
    },
    /// A store version this code does not know.
    Version(u32),
    /// The store's digests were made with another server secret.
    WrongSecret,
    /// A prefix that keys cannot have.
    Prefix(String),
    /// An entry whose id is not 8 base62 characters.
    BadId(String),
    /// Two entries with the same id.
    DuplicateId(String),
    /// No key has this id.
    UnknownId(String),
    /// The key was already revoked.
    AlreadyRevoked(String),
    /// The key was already rotated.
    AlreadyRotated {
        /// The key.
        id: String,
        /// Its replacement.
        to: String,
    },
    /// The key has expired.
    Expired(String),
    /// An expiry at or before the time of issue.
    ExpiresInThePast,
    /// An owner or scope that is empty or has spaces, commas or control
    /// characters.
    BadName {
        /// `owner` or `scope`.
        what: &'static str,
        /// The name.
        name: String,
    },
    /// The operating system's random number generator failed.
    Random(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Io { path, message } => write!(f, "`{}`: {message}", path.display()),
            StoreError::Syntax {
                path: Some(path),
                message,
            } => write!(f, "`{}` is not a key store: {message}", path.display()),
            StoreError::Syntax {
                path: None,
                message,
            } => write!(f, "not a key store: {message}"),
            StoreError::Version(v) => write!(
                f,
                "key store version {v} is not supported (this version reads {VERSION})"
            ),
            StoreError::WrongSecret => f.write_str(
                "the key store was made with another server secret (its fingerprint does not match)",
            ),
            StoreError::Prefix(p) => write!(
                f,
                "`{p}` cannot prefix keys: use 2 to {} characters of a-z, 0-9 and `_`, starting with a letter and ending with `_`",
                format::MAX_PREFIX_LEN
            ),
            StoreError::BadId(id) => write!(f, "`{id}` is not a key id (8 base62 characters)"),
            StoreError::DuplicateId(id) => write!(f, "key id `{id}` appears twice"),
            StoreError::UnknownId(id) => write!(f, "no key has the id `{id}`"),
            StoreError::AlreadyRevoked(id) => write!(f, "key `{id}` is already revoked"),
            StoreError::AlreadyRotated { id, to } => {
                write!(f, "key `{id}` was already rotated to `{to}`")
            }
            StoreError::Expired(id) => write!(f, "key `{id}` has expired"),
            StoreError::ExpiresInThePast => f.write_str("the expiry must be in the future"),
            StoreError::BadName { what, name } => write!(
                f,
                "`{name}` is not a valid {what}: it must be non-empty, without spaces, commas or control characters"
            ),
            StoreError::Random(message) => {
                write!(f, "no random numbers from the operating system: {message}")
            }
        }
    }
}

impl std::error::Error for StoreError {}

/// Digests as 64 hex digits in the file.
mod hex_digest {
    use super::{digest, DIGEST_LEN};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8; DIGEST_LEN], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&digest::hex(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; DIGEST_LEN], D::Error> {
        let text = String::deserialize(d)?;
        digest::from_hex(&text)
            .ok_or_else(|| serde::de::Error::custom("a digest is 64 hexadecimal digits"))
    }
}
