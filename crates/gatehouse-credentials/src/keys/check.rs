//! Checking a presented key: the hot path, in the order the reasons are
//! documented in.

use std::net::IpAddr;

use gatehouse::Principal;

use super::digest::DIGEST_LEN;
use super::format;
use super::store::{KeyEntry, KeyStatus, KeyStore};
use crate::{Refusal, RefusalReason};

/// The claim that names the key (its id) in the principal.
pub const KEY_ID_CLAIM: &str = "key_id";

/// What an unknown id's presented secret is compared with, so that an
/// unknown id costs the same digest and comparison as a known one.
const NO_DIGEST: [u8; DIGEST_LEN] = [0; DIGEST_LEN];

/// A key that passed [`KeyStore::check`]: its entry, and the scheme that
/// accepted it. Borrowed from the store, so checking allocates nothing;
/// [`KeyMatch::principal`] builds the principal the evaluator reads.
#[derive(Clone, Copy, Debug)]
pub struct KeyMatch<'s> {
    scheme: &'s str,
    entry: &'s KeyEntry,
}

impl<'s> KeyMatch<'s> {
    /// The key's entry: id, owner, scopes, times.
    pub fn entry(&self) -> &'s KeyEntry {
        self.entry
    }

    /// The key's public id.
    pub fn id(&self) -> &'s str {
        self.entry.id()
    }

    /// The principal: the scheme, the key's owner as subject (so that two
    /// keys of one owner, such as a key and its rotated replacement, are
    /// one caller to `principal` conditions and `by key` quotas), the
    /// key's scopes, and its id as the claim `key_id` (for audit records
    /// and `by claim.key_id` quotas). Never the key.
    pub fn principal(&self) -> Principal {
        Principal::new(self.scheme, self.entry.owner())
            .with_scopes(self.entry.scopes().iter().cloned())
            .with_claim(KEY_ID_CLAIM, self.entry.id().into())
    }

    /// The same principal, written into `principal` reusing its buffers
    /// (see [`Principal::rebuild`]).
    pub fn fill(&self, principal: &mut Principal) {
        principal.rebuild(
            self.scheme,
            self.entry.owner(),
            self.entry.scopes().iter().map(String::as_str),
        );
        principal
            .claims
            .insert(KEY_ID_CLAIM.to_owned(), self.entry.id().into());
    }
}

impl KeyStore {
    /// Checks the key `presented` to scheme `scheme` (its name in the
    /// policy, for the refusal) by a client at `client_ip`, at `now` (Unix
    /// seconds; the library reads no clock). Refuses, in this order:
    ///
    /// - `credential_malformed`: not a key of this store's format (length,
    ///   prefix, characters, checksum);
    /// - `key_unknown`: no entry has its id, or the entry's digest is not
    ///   the key's. One answer for both, and the same work for both (a
    ///   digest is computed and compared in constant time either way), so
    ///   a caller cannot tell a valid id from an invalid one;
    /// - `key_revoked`: revoked, or rotated with its grace period over;
    /// - `key_expired`: past its expiry;
    /// - `key_network_not_allowed`: `client_ip` is outside the entry's
    ///   networks.
    ///
    /// Only a caller holding the right secret learns anything past
    /// `key_unknown`.
    pub fn check<'s>(
        &'s self,
        scheme: &'s str,
        presented: &str,
        client_ip: IpAddr,
        now: u64,
    ) -> Result<KeyMatch<'s>, Refusal> {
        let refuse = |reason| Err(Refusal::new(scheme, reason));
        let Some(parsed) = format::parse(presented, self.keys().prefix()) else {
            return refuse(RefusalReason::CredentialMalformed);
        };
        let entry = self.keys().entry(parsed.id);
        let expected = entry.map_or(&NO_DIGEST, KeyEntry::digest);
        let verified = self.secret().verify(parsed.digest_input, expected);
        // The checksum is in the digested text, so a key that matches its
        // digest has a good one: it is computed only for a key that does
        // not, to tell a typo from an unknown key. The answer is the one a
        // checksum-first order gives, and a good key skips the CRC.
        let entry = match entry {
            Some(entry) if verified => entry,
            _ if !parsed.checksum_ok() => return refuse(RefusalReason::CredentialMalformed),
            _ => return refuse(RefusalReason::KeyUnknown),
        };
        match entry.status(now) {
            KeyStatus::Active | KeyStatus::Rotating { .. } => {}
            KeyStatus::Revoked | KeyStatus::Retired => return refuse(RefusalReason::KeyRevoked),
            KeyStatus::Expired => return refuse(RefusalReason::KeyExpired),
        }
        if !entry.allows(client_ip) {
            return refuse(RefusalReason::KeyNetworkNotAllowed);
        }
        Ok(KeyMatch { scheme, entry })
    }
}
