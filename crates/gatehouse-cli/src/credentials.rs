//! The credential verifier that `eval` and `test` build from their key
//! material (a JWKS file per `jwt` scheme, an API-key store and its
//! secret), and the credential part of a request as they read it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use gatehouse::{PolicySet, RequestData};
use gatehouse_credentials::jwt::KeySet;
use gatehouse_credentials::keys::KeyStore;
use gatehouse_credentials::{Authenticator, CredentialRequest};

use crate::args::ServerSecretArg;
use crate::load::display_name;

/// An authenticator for `policy`: the keys of each `(scheme, JWKS file)`
/// and, if given, the key store with the secret `secret` names. Errors
/// name the file, never key material.
pub fn authenticator<'f>(
    policy: &PolicySet,
    jwks: impl IntoIterator<Item = (&'f str, PathBuf)>,
    key_store: Option<&Path>,
    secret: &ServerSecretArg,
) -> Result<Authenticator, String> {
    let mut builder = Authenticator::builder(policy);
    for (scheme, path) in jwks {
        let keys = KeySet::from_jwks_file(&path)
            .map_err(|e| format!("the keys of `{scheme}`, `{}`: {e:?}", display_name(&path)))?;
        builder = builder.jwks(scheme, keys);
    }
    if let Some(path) = key_store {
        let secret = crate::command::keys::server_secret(secret)?;
        let store = KeyStore::load(path, secret)
            .map_err(|e| format!("the key store `{}`: {e}", display_name(path)))?;
        builder = builder.key_store(Arc::new(store));
    }
    builder.build().map_err(|e| e.to_string())
}

/// What of a request JSON carries credentials: its headers, its query and
/// the peer (`client_ip`) a certificate header must come from.
pub fn request<'a>(
    data: &'a RequestData,
    headers: &'a [(&'a str, &'a str)],
) -> CredentialRequest<'a> {
    CredentialRequest {
        headers,
        query: data.path.split_once('?').map(|(_, query)| query),
        peer: Some(data.client_ip),
        client_ip: None,
        client_certificate: None,
    }
}
