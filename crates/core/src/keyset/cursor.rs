//! Page cursors for keyset pagination: the sort key of the last row shown, bound to the
//! search it came from, with a checksum. An edited cursor, or one from another search, is
//! refused rather than silently showing the wrong page.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// One value of a sort key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyValue {
    Null,
    Int(i64),
    Text(String),
    Time(NaiveDateTime),
}

#[derive(Serialize, Deserialize)]
struct Payload {
    /// Fingerprint of the search (query, filters, sort) the cursor belongs to.
    s: String,
    k: Vec<KeyValue>,
}

/// Domain separation: a checksum made for something else never validates here.
const DOMAIN: &[u8] = b"mindpal-admin page cursor v1";

fn digest(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(DOMAIN);
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    let out = hasher.finalize();
    out[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// A short, stable fingerprint of a search's description (its JSON).
pub fn fingerprint(search: &impl Serialize) -> String {
    let json = serde_json::to_vec(search).expect("searches serialise");
    digest(&[&json])
}

/// The cursor after a row whose sort key is `key`, for the search `search_fingerprint`.
pub fn encode(search_fingerprint: &str, key: Vec<KeyValue>) -> String {
    let payload = serde_json::to_vec(&Payload {
        s: search_fingerprint.to_owned(),
        k: key,
    })
    .expect("cursors serialise");
    let check = digest(&[&payload]);
    format!("{}.{check}", URL_SAFE_NO_PAD.encode(payload))
}

pub(crate) fn refused() -> Error {
    Error::InvalidInput(
        "the page cursor is not valid: it was edited or belongs to another search; start again from the first page".into(),
    )
}

/// The sort key of a cursor made by [`encode`] for the same search, with `arity` values.
pub fn decode(cursor: &str, search_fingerprint: &str, arity: usize) -> Result<Vec<KeyValue>> {
    if cursor.len() > 4096 {
        return Err(refused());
    }
    let (body, check) = cursor.split_once('.').ok_or_else(refused)?;
    let payload = URL_SAFE_NO_PAD.decode(body).map_err(|_| refused())?;
    if digest(&[&payload]) != check {
        return Err(refused());
    }
    let payload: Payload = serde_json::from_slice(&payload).map_err(|_| refused())?;
    if payload.s != search_fingerprint || payload.k.len() != arity {
        return Err(refused());
    }
    Ok(payload.k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_for_its_own_search() {
        let key = vec![KeyValue::Text("138%_\\'".into()), KeyValue::Int(42)];
        let c = encode("abc", key.clone());
        assert_eq!(decode(&c, "abc", 2).unwrap(), key);
    }

    #[test]
    fn an_edited_cursor_is_refused() {
        let c = encode("abc", vec![KeyValue::Int(42)]);
        let (body, check) = c.split_once('.').unwrap();
        // Change one character of the body, keep the checksum.
        let mut chars: Vec<char> = body.chars().collect();
        chars[3] = if chars[3] == 'A' { 'B' } else { 'A' };
        let edited = format!("{}.{check}", chars.into_iter().collect::<String>());
        assert_eq!(
            decode(&edited, "abc", 1).unwrap_err().kind(),
            crate::ErrorKind::InvalidInput
        );
        // A well-formed payload with a forged id but the old checksum.
        let forged = encode("abc", vec![KeyValue::Int(1)]);
        let forged = format!("{}.{check}", forged.split_once('.').unwrap().0);
        assert!(decode(&forged, "abc", 1).is_err());
        assert!(decode("not a cursor", "abc", 1).is_err());
        assert!(decode("", "abc", 1).is_err());
    }

    #[test]
    fn a_cursor_from_another_search_or_shape_is_refused() {
        let c = encode("abc", vec![KeyValue::Int(42)]);
        assert!(decode(&c, "other", 1).is_err());
        assert!(decode(&c, "abc", 2).is_err());
    }
}
