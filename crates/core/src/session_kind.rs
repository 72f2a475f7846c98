//! The kinds of program session, and what each kind means to the clinic: whether one group
//! note documents it, whether it is booked as an appointment on a clinician's calendar, what
//! note documents it, how a calendar names it.

use serde::{Deserialize, Serialize};

use crate::notes::NoteKind;

/// A kind of program session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    /// Group therapy (CBT, DBT and other process groups).
    GroupTherapy,
    /// An individual session with a clinician.
    Individual,
    /// A family session.
    Family,
    /// Psychoeducation (the curriculum's topics).
    Psychoeducation,
    /// Skills groups.
    Skills,
    /// Wellness (movement, sleep, nutrition).
    Wellness,
    /// Medication management (MAT and psychiatric medication).
    MedicationManagement,
    /// Peer support led by a peer specialist.
    PeerSupport,
    /// A mutual-help meeting (AA, NA, SMART) the program counts but does not run.
    MutualHelp,
}

impl SessionKind {
    /// Every kind, in the order forms list them.
    pub const ALL: [SessionKind; 9] = [
        SessionKind::GroupTherapy,
        SessionKind::Individual,
        SessionKind::Family,
        SessionKind::Psychoeducation,
        SessionKind::Skills,
        SessionKind::Wellness,
        SessionKind::MedicationManagement,
        SessionKind::PeerSupport,
        SessionKind::MutualHelp,
    ];

    /// The kinds booked one-to-one on a clinician's calendar.
    pub const APPOINTMENTS: [SessionKind; 3] = [
        SessionKind::Individual,
        SessionKind::Family,
        SessionKind::MedicationManagement,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::GroupTherapy => "group_therapy",
            SessionKind::Individual => "individual",
            SessionKind::Family => "family",
            SessionKind::Psychoeducation => "psychoeducation",
            SessionKind::Skills => "skills",
            SessionKind::Wellness => "wellness",
            SessionKind::MedicationManagement => "medication_management",
            SessionKind::PeerSupport => "peer_support",
            SessionKind::MutualHelp => "mutual_help",
        }
    }

    pub fn parse(text: &str) -> Option<SessionKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// How staff name the kind.
    pub fn label(self) -> &'static str {
        match self {
            SessionKind::GroupTherapy => "Group therapy",
            SessionKind::Individual => "Individual session",
            SessionKind::Family => "Family session",
            SessionKind::Psychoeducation => "Psychoeducation",
            SessionKind::Skills => "Skills group",
            SessionKind::Wellness => "Wellness",
            SessionKind::MedicationManagement => "Medication management",
            SessionKind::PeerSupport => "Peer support",
            SessionKind::MutualHelp => "Mutual-help meeting",
        }
    }

    /// Booked one-to-one on a clinician's calendar (an appointment), not a group.
    pub fn is_appointment(self) -> bool {
        Self::APPOINTMENTS.contains(&self)
    }

    /// Documented by one group note with a copy per attendee. Mutual-help meetings are not
    /// the program's to document.
    pub fn is_group(self) -> bool {
        !self.is_appointment() && self != SessionKind::MutualHelp
    }

    /// The note that documents a session of this kind for one patient, for appointments.
    pub fn appointment_note(self) -> Option<NoteKind> {
        match self {
            SessionKind::Individual | SessionKind::MedicationManagement => {
                Some(NoteKind::Individual)
            }
            SessionKind::Family => Some(NoteKind::Family),
            _ => None,
        }
    }

    /// What a calendar says of the session when its owner keeps titles private.
    pub fn private_summary(self) -> &'static str {
        if self.is_appointment() {
            "Appointment"
        } else {
            "Group session"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_and_is_one_of_group_appointment_or_outside_help() {
        for kind in SessionKind::ALL {
            assert_eq!(SessionKind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            let roles = [
                kind.is_group(),
                kind.is_appointment(),
                kind == SessionKind::MutualHelp,
            ];
            assert_eq!(roles.iter().filter(|r| **r).count(), 1, "{kind:?}");
            assert_eq!(kind.appointment_note().is_some(), kind.is_appointment());
        }
        assert_eq!(SessionKind::parse("Group_Therapy"), None);
        assert_eq!(SessionKind::Family.private_summary(), "Appointment");
        assert_eq!(SessionKind::Skills.private_summary(), "Group session");
        assert_eq!(SessionKind::MutualHelp.private_summary(), "Group session");
    }
}
