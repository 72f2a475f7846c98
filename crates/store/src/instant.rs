//! Instants as both databases can sort and compare them.
//!
//! SQLite has no timestamp type, and sqlx's default text encoding of `OffsetDateTime` varies
//! in its fractional digits, so text instants would not sort. [`Instant`] is stored as
//! INTEGER microseconds since the Unix epoch in SQLite and as `timestamptz` in PostgreSQL; it
//! is always truncated to whole microseconds (PostgreSQL's precision) so that a value reads
//! back exactly as written on both, which the audit chain's hashes rely on.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(OffsetDateTime);

impl Instant {
    /// Truncates to whole microseconds, in UTC.
    pub fn new(at: OffsetDateTime) -> Instant {
        let micros = unix_micros(at);
        Instant::from_micros(micros).unwrap_or(Instant(OffsetDateTime::UNIX_EPOCH))
    }

    pub fn from_micros(micros: i64) -> Option<Instant> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
            .ok()
            .map(Instant)
    }

    pub fn micros(self) -> i64 {
        unix_micros(self.0)
    }

    pub fn get(self) -> OffsetDateTime {
        self.0
    }
}

fn unix_micros(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos().div_euclid(1000)).unwrap_or(i64::MAX)
}

/// In JSON an instant is RFC 3339 text in UTC (`2026-11-30T23:00:00Z`), as the API writes
/// every instant; one outside the years RFC 3339 can write is an error, not empty text.
impl serde::Serialize for Instant {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = self
            .0
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&text)
    }
}

impl From<OffsetDateTime> for Instant {
    fn from(at: OffsetDateTime) -> Self {
        Instant::new(at)
    }
}

impl Type<Sqlite> for Instant {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for Instant {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<Sqlite>>::encode_by_ref(&self.micros(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Instant {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let micros = <i64 as Decode<Sqlite>>::decode(value)?;
        Instant::from_micros(micros).ok_or_else(|| "instant out of range".into())
    }
}

impl Type<Postgres> for Instant {
    fn type_info() -> PgTypeInfo {
        <OffsetDateTime as Type<Postgres>>::type_info()
    }
    fn compatible(ty: &PgTypeInfo) -> bool {
        <OffsetDateTime as Type<Postgres>>::compatible(ty)
    }
}

impl Encode<'_, Postgres> for Instant {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <OffsetDateTime as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Instant {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Instant::new(<OffsetDateTime as Decode<Postgres>>::decode(
            value,
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn truncates_to_microseconds_and_round_trips() {
        let at = datetime!(2026-11-25 09:00:00.123456789 UTC);
        let i = Instant::new(at);
        assert_eq!(i.micros() % 1_000_000, 123_456);
        assert_eq!(Instant::from_micros(i.micros()), Some(i));
        let before = Instant::new(datetime!(1969-12-31 23:59:59.5 UTC));
        assert_eq!(before.micros(), -500_000);
    }
}
