//! Secrets kept in the database, protected by keys that are not: each is derived from the
//! audit key (a file outside the database, `OPENIOP_AUDIT_KEY_FILE`) for one purpose, so a
//! copy of the database alone opens nothing.
//!
//! - TOTP secrets are sealed with AES-256-GCM (`v1:` + hex of nonce, ciphertext and tag),
//!   bound to their user's id, so a sealed secret copied to another account does not open.
//! - Recovery codes are stored as HMAC-SHA256 with a derived key (a pepper), and carry 80
//!   random bits: offline guessing needs the key file, and would not finish with it.

use hmac::{Hmac, KeyInit, Mac};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use sha2::Sha256;
use uuid::Uuid;

use crate::AppState;
use crate::error::ApiError;

const SEALED_PREFIX: &str = "v1:";

/// A key for one purpose, derived from the audit key.
pub struct SecretKey([u8; 32]);

impl SecretKey {
    fn derive(audit_key: &[u8], purpose: &str) -> Result<SecretKey, ApiError> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(audit_key)
            .map_err(|e| ApiError::internal(format!("key derivation: {e}")))?;
        mac.update(b"openiop secret key v1\0");
        mac.update(purpose.as_bytes());
        Ok(SecretKey(mac.finalize().into_bytes().into()))
    }

    /// The key of `purpose` for this server.
    pub fn of(state: &AppState, purpose: &str) -> Result<SecretKey, ApiError> {
        SecretKey::of_store(&state.store, purpose)
    }

    /// The key of `purpose` for a store opened with its audit key.
    pub fn of_store(store: &openiop_store::Store, purpose: &str) -> Result<SecretKey, ApiError> {
        let audit_key = store
            .audit_key()
            .ok_or_else(|| ApiError::internal("no audit key: secrets cannot be kept"))?;
        SecretKey::derive(audit_key, purpose)
    }

    fn aead(&self) -> Result<LessSafeKey, ApiError> {
        UnboundKey::new(&AES_256_GCM, &self.0)
            .map(LessSafeKey::new)
            .map_err(|_| ApiError::internal("AEAD key"))
    }

    /// Seals `plain` for `owner` (a fresh random nonce each time).
    pub fn seal(&self, owner: Uuid, plain: &[u8]) -> Result<String, ApiError> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| ApiError::caused("random bytes", e))?;
        let mut data = plain.to_vec();
        self.aead()?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(owner.as_bytes()),
                &mut data,
            )
            .map_err(|_| ApiError::internal("sealing a secret failed"))?;
        Ok(format!(
            "{SEALED_PREFIX}{}{}",
            hex::encode(nonce),
            hex::encode(data)
        ))
    }

    /// Opens what [`seal`](Self::seal) made for `owner`; anything else is an error (a stored
    /// value that does not decode is never taken for a default).
    pub fn open(&self, owner: Uuid, sealed: &str) -> Result<Vec<u8>, ApiError> {
        let corrupt = |why: &str| ApiError::internal(format!("a sealed secret {why}"));
        let bytes = sealed
            .strip_prefix(SEALED_PREFIX)
            .and_then(|h| hex::decode(h).ok())
            .ok_or_else(|| corrupt("is not in the sealed format"))?;
        if bytes.len() < 12 + 16 {
            return Err(corrupt("is too short"));
        }
        let (nonce, data) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| corrupt("has no nonce"))?;
        let mut data = data.to_vec();
        let plain = self
            .aead()?
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(owner.as_bytes()),
                &mut data,
            )
            .map_err(|_| corrupt("does not open with this key and owner"))?;
        Ok(plain.to_vec())
    }

    /// A keyed hash of a secret (recovery codes), as hex.
    pub fn tag(&self, secret: &str) -> Result<String, ApiError> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .map_err(|e| ApiError::internal(format!("tag: {e}")))?;
        mac.update(secret.as_bytes());
        Ok(hex::encode(mac.finalize().into_bytes()))
    }
}

/// Whether a stored value is in the sealed form.
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(SEALED_PREFIX)
}

/// Seals the TOTP secrets stored in plain hex before secrets were sealed (run at start, once
/// the audit key is loaded; a value that is neither sealed nor hex is an error). Returns how
/// many were sealed.
pub async fn seal_stored_secrets(store: &openiop_store::Store) -> Result<usize, ApiError> {
    let mut conn = store.read().await?;
    let plain = openiop_store::auth::list_unsealed_totp_secrets(&mut conn.db()).await?;
    drop(conn);
    if plain.is_empty() {
        return Ok(0);
    }
    let key = SecretKey::of_store(store, crate::api::account::TOTP_KEY)?;
    let mut tx = store.begin().await?;
    for (user, organization, stored) in &plain {
        let secret = hex::decode(stored).map_err(|_| {
            ApiError::internal(format!(
                "user {user}: the stored TOTP secret does not decode"
            ))
        })?;
        openiop_store::auth::reseal_totp_secret(
            &mut tx.db(),
            *organization,
            *user,
            &key.seal(*user, &secret)?,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(plain.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_for_their_owner_and_key() {
        let key = SecretKey::derive(b"an audit key", "totp").unwrap();
        let owner = Uuid::now_v7();
        let sealed = key.seal(owner, b"12345678901234567890").unwrap();
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains(&hex::encode(b"12345678901234567890")));
        assert_eq!(key.open(owner, &sealed).unwrap(), b"12345678901234567890");
        assert_ne!(
            sealed,
            key.seal(owner, b"12345678901234567890").unwrap(),
            "fresh nonce"
        );
        assert!(key.open(Uuid::now_v7(), &sealed).is_err(), "another user");
        let other = SecretKey::derive(b"another audit key", "totp").unwrap();
        assert!(other.open(owner, &sealed).is_err(), "another key");
        let purpose = SecretKey::derive(b"an audit key", "recovery").unwrap();
        assert!(purpose.open(owner, &sealed).is_err(), "another purpose");
        assert!(
            key.open(owner, "3132333435").is_err(),
            "plain hex is not sealed"
        );
        let mut flipped = sealed.clone().into_bytes();
        let last = flipped.len() - 1;
        flipped[last] = if flipped[last] == b'0' { b'1' } else { b'0' };
        assert!(
            key.open(owner, &String::from_utf8(flipped).unwrap())
                .is_err()
        );
    }

    #[test]
    fn tags_depend_on_the_key() {
        let a = SecretKey::derive(b"k1", "recovery").unwrap();
        let b = SecretKey::derive(b"k2", "recovery").unwrap();
        assert_eq!(a.tag("abcd").unwrap(), a.tag("abcd").unwrap());
        assert_ne!(a.tag("abcd").unwrap(), b.tag("abcd").unwrap());
    }
}
