//! The signature algorithms a scheme may accept: the policy language's own
//! [`JwtAlgorithm`](gatehouse::schemes::JwtAlgorithm), so that a policy's
//! `algorithms` and a verifier's allow-list are one type. `none` is not one
//! of them: it cannot be named, so no configuration can allow it. This
//! module adds what verifying needs: the kind of key each algorithm takes
//! and its name in `jsonwebtoken`.

pub use gatehouse::schemes::{JwtAlgorithm as Algorithm, UnknownAlgorithm};

/// What kind of key verifies an algorithm's signatures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Rsa,
    P256,
    P384,
    Ed25519,
    /// The scheme's HMAC secret, never a key from a JWKS.
    Hmac,
}

/// What verifying with an [`Algorithm`] needs to know of it.
pub(crate) trait Verifying {
    fn key_kind(self) -> KeyKind;
    fn to_jsonwebtoken(self) -> jsonwebtoken::Algorithm;
}

impl Verifying for Algorithm {
    fn key_kind(self) -> KeyKind {
        match self {
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => KeyKind::Rsa,
            Algorithm::ES256 => KeyKind::P256,
            Algorithm::ES384 => KeyKind::P384,
            Algorithm::EdDSA => KeyKind::Ed25519,
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => KeyKind::Hmac,
        }
    }

    fn to_jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        match self {
            Algorithm::RS256 => jsonwebtoken::Algorithm::RS256,
            Algorithm::RS384 => jsonwebtoken::Algorithm::RS384,
            Algorithm::RS512 => jsonwebtoken::Algorithm::RS512,
            Algorithm::PS256 => jsonwebtoken::Algorithm::PS256,
            Algorithm::PS384 => jsonwebtoken::Algorithm::PS384,
            Algorithm::PS512 => jsonwebtoken::Algorithm::PS512,
            Algorithm::ES256 => jsonwebtoken::Algorithm::ES256,
            Algorithm::ES384 => jsonwebtoken::Algorithm::ES384,
            Algorithm::EdDSA => jsonwebtoken::Algorithm::EdDSA,
            Algorithm::HS256 => jsonwebtoken::Algorithm::HS256,
            Algorithm::HS384 => jsonwebtoken::Algorithm::HS384,
            Algorithm::HS512 => jsonwebtoken::Algorithm::HS512,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_none_is_not_one() {
        for alg in Algorithm::ALL {
            assert_eq!(alg.as_str().parse::<Algorithm>(), Ok(alg));
            assert_eq!(alg.key_kind() == KeyKind::Hmac, alg.is_hmac());
            assert_eq!(
                Ok(alg.to_jsonwebtoken()),
                alg.as_str().parse::<jsonwebtoken::Algorithm>()
            );
        }
        for name in ["none", "None", "NONE", "rs256", "", "HS1"] {
            assert_eq!(name.parse::<Algorithm>(), Err(UnknownAlgorithm));
        }
    }
}
