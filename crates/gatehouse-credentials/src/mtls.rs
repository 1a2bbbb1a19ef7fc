//! mTLS: the client certificate as a principal.
//!
//! The certificate comes from one of two places:
//! - the host's own TLS stack, which verified it against its trust anchors
//!   and hands over the leaf certificate's DER (this module only reads
//!   names from it; it never verifies a chain);
//! - a proxy that terminated TLS and passes the certificate in the header
//!   the scheme names (`mtls(header: "X-Forwarded-Client-Cert")`): Envoy's
//!   `X-Forwarded-Client-Cert` (XFCC), or any other header holding a
//!   subject DN (`CN=api.internal.example.com,O=Example`, as nginx's
//!   `$ssl_client_s_dn`). Such a header is accepted only from one of the
//!   API's `trusted_proxies`; from anyone else it is refused
//!   (`client_certificate_untrusted`), since anyone can send a header.
//!
//! The principal's subject is the first of the certificate's DNS names
//! (subject alternative names, then the subject's common name) that the
//! scheme's `subject` pattern accepts, or the first of them if none is
//! accepted (the evaluator then denies with `subject_mismatch`). All the
//! names are kept as claims: `dns_names` and `uris` (arrays) and
//! `subject_dn` (a string), for `when` conditions.

use std::net::IpAddr;

use gatehouse::schemes::{AuthSchemeKind, AuthSchemeRef};
use gatehouse::Principal;
use serde_json::Value;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::{Refusal, RefusalReason};

/// The names a client certificate carries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificateNames {
    /// The subject DN, as the certificate or proxy gave it.
    pub subject_dn: Option<String>,
    /// The subject's common name (`CN`).
    pub common_name: Option<String>,
    /// DNS subject alternative names.
    pub dns_names: Vec<String>,
    /// URI subject alternative names (a SPIFFE id, say).
    pub uris: Vec<String>,
}

/// The names of a DER-encoded X.509 certificate. A certificate that does
/// not parse, or with trailing bytes, is malformed.
pub fn names_from_der(der: &[u8]) -> Result<CertificateNames, RefusalReason> {
    let (rest, certificate) =
        X509Certificate::from_der(der).map_err(|_| RefusalReason::CredentialMalformed)?;
    if !rest.is_empty() {
        return Err(RefusalReason::CredentialMalformed);
    }
    let subject = certificate.subject();
    let mut names = CertificateNames {
        subject_dn: Some(subject.to_string()),
        common_name: subject
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(str::to_string),
        ..CertificateNames::default()
    };
    let alternatives = certificate
        .subject_alternative_name()
        .map_err(|_| RefusalReason::CredentialMalformed)?;
    for name in alternatives
        .iter()
        .flat_map(|extension| extension.value.general_names.iter())
    {
        match name {
            GeneralName::DNSName(dns) => names.dns_names.push((*dns).to_string()),
            GeneralName::URI(uri) => names.uris.push((*uri).to_string()),
            _ => {}
        }
    }
    Ok(names)
}

/// The names in an Envoy `X-Forwarded-Client-Cert` value: the last element
/// (the one the proxy next to us appended), its `Subject`, `DNS` and `URI`
/// keys. Values may be quoted, with `\"` inside.
pub fn names_from_xfcc(value: &str) -> Result<CertificateNames, RefusalReason> {
    let elements = split_unquoted(value, ',');
    let last = elements
        .last()
        .filter(|e| !e.trim().is_empty())
        .ok_or(RefusalReason::CredentialMalformed)?;
    let mut names = CertificateNames::default();
    for pair in split_unquoted(last, ';') {
        let (key, raw) = pair
            .split_once('=')
            .ok_or(RefusalReason::CredentialMalformed)?;
        let text = unquote(raw.trim())?;
        match key.trim().to_ascii_lowercase().as_str() {
            "subject" => {
                names.common_name = common_name(&text);
                names.subject_dn = Some(text);
            }
            "dns" => names.dns_names.push(text),
            "uri" => names.uris.push(text),
            _ => {}
        }
    }
    if names.subject_dn.is_none() && names.dns_names.is_empty() && names.uris.is_empty() {
        return Err(RefusalReason::CredentialMalformed);
    }
    Ok(names)
}

/// The names in a subject DN passed as a header (`CN=a.example.com,O=Example`).
pub fn names_from_dn(value: &str) -> Result<CertificateNames, RefusalReason> {
    let dn = value.trim();
    if dn.is_empty() || dn.chars().any(char::is_control) {
        return Err(RefusalReason::CredentialMalformed);
    }
    Ok(CertificateNames {
        common_name: common_name(dn),
        subject_dn: Some(dn.to_string()),
        ..CertificateNames::default()
    })
}

/// The `CN` of a DN, in RFC 4514 (`CN=a,O=b`) or OpenSSL's slash form
/// (`/O=b/CN=a`).
fn common_name(dn: &str) -> Option<String> {
    split_unquoted(dn, ',')
        .into_iter()
        .flat_map(|part| part.split('/').map(str::to_string).collect::<Vec<_>>())
        .find_map(|attribute| {
            let (key, value) = attribute.split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case("cn")
                .then(|| value.trim().trim_matches('"').to_string())
        })
}

/// `text` split at `separator`s outside double quotes (a `\` escapes the
/// next character inside quotes).
fn split_unquoted(text: &str, separator: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in text.chars() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == separator && !quoted {
            parts.push(std::mem::take(&mut current));
            continue;
        }
        current.push(c);
    }
    parts.push(current);
    parts
}

/// A value without its quotes and escapes; an unterminated quote is
/// malformed.
fn unquote(raw: &str) -> Result<String, RefusalReason> {
    let Some(inner) = raw.strip_prefix('"') else {
        return Ok(raw.to_string());
    };
    let inner = inner
        .strip_suffix('"')
        .ok_or(RefusalReason::CredentialMalformed)?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.push(chars.next().ok_or(RefusalReason::CredentialMalformed)?);
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// Where a request's client certificate may come from.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientCertificate<'a> {
    /// The DER of the leaf certificate the host's TLS verified, if any.
    pub verified_der: Option<&'a [u8]>,
    /// The address of the peer that sent the request (a proxy, when one
    /// passes the certificate in a header).
    pub peer: Option<IpAddr>,
}

/// The principal of an `mtls` scheme for a request: `Ok(None)` when the
/// request carries no certificate for it, a refusal when it carries one
/// that cannot be read or a header from a peer that is not a trusted
/// proxy. A certificate from the host's TLS comes first; the scheme's
/// header is read only without one.
pub fn authenticate(
    scheme: &AuthSchemeRef<'_>,
    certificate: ClientCertificate<'_>,
    headers: &[(&str, &str)],
) -> Result<Option<Principal>, Refusal> {
    let AuthSchemeKind::Mtls { header, .. } = scheme.kind() else {
        return Ok(None);
    };
    let refuse = |reason| Refusal::new(scheme.name(), reason);
    let names = if let Some(der) = certificate.verified_der {
        names_from_der(der).map_err(refuse)?
    } else {
        let Some(header) = header else {
            return Ok(None);
        };
        let mut values = headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case(header))
            .map(|(_, value)| *value);
        let Some(value) = values.next() else {
            return Ok(None);
        };
        if values.next().is_some() {
            return Err(refuse(RefusalReason::CredentialAmbiguous));
        }
        if !certificate
            .peer
            .is_some_and(|peer| scheme.trusts_proxy(peer))
        {
            return Err(refuse(RefusalReason::ClientCertificateUntrusted));
        }
        if header.eq_ignore_ascii_case("x-forwarded-client-cert") {
            names_from_xfcc(value).map_err(refuse)?
        } else {
            names_from_dn(value).map_err(refuse)?
        }
    };
    Ok(Some(principal(scheme, names)))
}

/// The principal for a certificate's names (see the module docs for the
/// subject chosen).
fn principal(scheme: &AuthSchemeRef<'_>, names: CertificateNames) -> Principal {
    let candidates: Vec<&String> = names
        .dns_names
        .iter()
        .chain(names.common_name.iter())
        .collect();
    let subject = candidates
        .iter()
        .find(|name| scheme.accepts_subject(name))
        .or_else(|| candidates.first())
        .map_or_else(
            || names.uris.first().cloned().unwrap_or_default(),
            |name| (*name).clone(),
        );
    let strings = |list: &[String]| Value::Array(list.iter().cloned().map(Value::String).collect());
    let mut principal = Principal::new(scheme.name(), subject)
        .with_claim("dns_names", strings(&names.dns_names))
        .with_claim("uris", strings(&names.uris));
    if let Some(dn) = names.subject_dn {
        principal = principal.with_claim("subject_dn", Value::String(dn));
    }
    principal
}
