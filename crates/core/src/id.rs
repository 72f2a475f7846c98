//! Public identifiers.
//!
//! Every row that leaves the system is named by a UUIDv7: time-ordered (so indexes stay
//! append-friendly and lists sort by creation), safe to merge across sites and shards, and
//! not guessable the way a sequence is.

use uuid::Uuid;

/// A fresh UUIDv7 for a new row.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// Parses an identifier from a path or a body. Anything that is not a UUID names nothing.
pub fn parse_id(text: &str) -> Option<Uuid> {
    Uuid::try_parse(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_version_7_and_ordered() {
        let a = new_id();
        let b = new_id();
        assert_eq!(a.get_version_num(), 7);
        assert!(a < b);
    }

    #[test]
    fn parse_rejects_garbage() {
        assert!(parse_id("not-an-id").is_none());
        assert!(parse_id("").is_none());
        let id = new_id();
        assert_eq!(parse_id(&id.to_string()), Some(id));
    }
}
