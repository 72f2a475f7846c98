//! Public identifiers.
//!
//! Every row that leaves the system is named by a UUIDv7: time-ordered (so indexes stay
//! append-friendly and lists sort by creation), safe to merge across sites and shards, and
//! not guessable the way a sequence is.
//!
//! Each kind of record has its own id type, so a patient's id cannot be handed to a function
//! that wants a program session's: the compiler refuses it. Ids enter as text only at the
//! edge (a path, a body, a form), through [`std::str::FromStr`]; anything that is not a UUID
//! names nothing.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A fresh UUIDv7 for a new row.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// Parses an identifier from a path or a body. Anything that is not a UUID names nothing.
pub fn parse_id(text: &str) -> Option<Uuid> {
    Uuid::try_parse(text).ok()
}

/// Text that is not an id of the expected kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not an id")]
pub struct NotAnId;

macro_rules! typed_ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh id for a new record.
            pub fn new() -> Self {
                Self(new_id())
            }

            /// The id a stored row carries.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID the store binds.
            pub const fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }

        impl PartialEq<Uuid> for $name {
            fn eq(&self, other: &Uuid) -> bool {
                self.0 == *other
            }
        }

        impl FromStr for $name {
            type Err = NotAnId;
            fn from_str(text: &str) -> Result<Self, NotAnId> {
                parse_id(text).map(Self).ok_or(NotAnId)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    )*};
}

typed_ids! {
    /// A patient (a person in care, or who was).
    PatientId;
    /// One episode of care: admission to discharge.
    EpisodeId;
    /// A program session on the calendar (a group, an appointment); not a login.
    SessionId;
    /// A recurring session template of a track's week.
    SessionTemplateId;
    /// A staff member's or a patient's account.
    UserId;
    /// An inquiry: a person asking about care, before admission.
    InquiryId;
    /// A file attached to an inquiry.
    AttachmentId;
    /// A clinical note (individual or group).
    NoteId;
    /// A Part 2 consent to disclose.
    ConsentId;
    /// A disclosure made under a consent.
    DisclosureId;
    /// A patient's contact (family, emergency, provider).
    ContactId;
    /// A crisis event.
    CrisisEventId;
    /// A medication on a patient's list.
    MedicationId;
    /// A drug test (specimen and results).
    DrugTestId;
    /// A request to amend a record.
    AmendmentRequestId;
    /// A suspected or confirmed breach.
    BreachId;
    /// A clinical alert (a score over its threshold).
    AlertId;
    /// A staff member's notification.
    NotificationId;
    /// A calendar feed (a private subscription link).
    CalendarFeedId;
    /// A break-glass emergency access.
    EmergencyAccessId;
    /// A disclosure made in a medical emergency.
    EmergencyDisclosureId;
    /// A program track (for example adult evening IOP).
    TrackId;
    /// A site (a clinic's address and time zone).
    SiteId;
    /// A program: the clinic's IOP with its settings (instrument cut-offs, placement policy).
    ProgramId;
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

    #[test]
    fn typed_ids_round_trip_through_text_and_json() {
        let id = PatientId::new();
        assert_eq!(id.to_string().parse::<PatientId>(), Ok(id));
        assert_eq!("nope".parse::<PatientId>(), Err(NotAnId));
        assert_eq!(" ".parse::<SessionId>(), Err(NotAnId));
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{}\"", id.uuid()));
        assert_eq!(serde_json::from_str::<PatientId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<PatientId>("\"x\"").is_err());
        assert_eq!(format!("{id:?}"), format!("PatientId({})", id.uuid()));
    }
}
