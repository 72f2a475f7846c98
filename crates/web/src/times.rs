//! How the API writes instants: RFC 3339 in UTC, to the microsecond the store keeps. (What a
//! person reads on a page is local time in the site's zone, from `core::attendance`.)

use openiop_store::Instant;
use time::format_description::well_known::Rfc3339;

/// The error when the calendar cannot place a date's week in a site's zone (a zone that
/// no longer resolves): our failure, never the client's.
pub(crate) fn unplaced_week() -> crate::error::ApiError {
    crate::error::ApiError::internal("the week of a date in the site's zone")
}

/// An instant as the API writes it (`2026-11-30T23:00:00Z`). Every stored instant is within
/// the years RFC 3339 can write; one that is not comes out empty rather than panicking.
pub(crate) fn rfc3339(at: Instant) -> String {
    at.get().format(&Rfc3339).unwrap_or_default()
}
