//! Progress notes: formats (DAP, SOAP, BIRP), the group note shared by a session's attendees,
//! the lifecycle (draft, signed, addendum, co-signature), late entries, documentation latency,
//! and who may read a SUD counseling note.
//!
//! Progress and group notes are ordinary Part 2 records. A *SUD counseling note* (42 CFR 2.11,
//! 2024 rule: a clinician's own process notes, kept apart like psychotherapy notes) is read
//! only by its author and the staff the program names; its disclosure needs its own consent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::validate::{FieldError, Invalid};

/// A note must be signed within this long after the session ends; later signatures are late
/// entries, and unsigned notes past it show on the dashboard.
pub const SIGN_WITHIN: Duration = Duration::hours(24);

/// Longest text of one section, observation or addendum.
pub const MAX_SECTION: usize = 20_000;

/// What a note documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// An individual session (appointment).
    Individual,
    /// A family session (appointment).
    Family,
    /// One attendee's copy of a signed group note.
    Group,
    /// A clinician's separate SUD counseling (process) note.
    SudCounseling,
}

impl NoteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoteKind::Individual => "individual",
            NoteKind::Family => "family",
            NoteKind::Group => "group",
            NoteKind::SudCounseling => "sud_counseling",
        }
    }

    pub fn parse(text: &str) -> Option<NoteKind> {
        [
            NoteKind::Individual,
            NoteKind::Family,
            NoteKind::Group,
            NoteKind::SudCounseling,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            NoteKind::Individual => "Individual session",
            NoteKind::Family => "Family session",
            NoteKind::Group => "Group session",
            NoteKind::SudCounseling => "SUD counseling note",
        }
    }
}

/// How a note's sections are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteFormat {
    Dap,
    Soap,
    Birp,
    /// A group note's attendee copy: the shared narrative plus the attendee's lines.
    Group,
    /// A SUD counseling note: one free text.
    Process,
}

impl NoteFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            NoteFormat::Dap => "dap",
            NoteFormat::Soap => "soap",
            NoteFormat::Birp => "birp",
            NoteFormat::Group => "group",
            NoteFormat::Process => "process",
        }
    }

    pub fn parse(text: &str) -> Option<NoteFormat> {
        [
            NoteFormat::Dap,
            NoteFormat::Soap,
            NoteFormat::Birp,
            NoteFormat::Group,
            NoteFormat::Process,
        ]
        .into_iter()
        .find(|f| f.as_str() == text)
    }

    /// The formats a clinician chooses for an individual or family session note.
    pub const CHOSEN: [NoteFormat; 3] = [NoteFormat::Dap, NoteFormat::Soap, NoteFormat::Birp];

    /// The sections, in order: key and label.
    pub fn sections(self) -> &'static [(&'static str, &'static str)] {
        match self {
            NoteFormat::Dap => &[
                ("data", "Data"),
                ("assessment", "Assessment"),
                ("plan", "Plan"),
            ],
            NoteFormat::Soap => &[
                ("subjective", "Subjective"),
                ("objective", "Objective"),
                ("assessment", "Assessment"),
                ("plan", "Plan"),
            ],
            NoteFormat::Birp => &[
                ("behavior", "Behavior"),
                ("intervention", "Intervention"),
                ("response", "Response"),
                ("plan", "Plan"),
            ],
            NoteFormat::Group => &[
                ("topic", "Topic"),
                ("modality", "Modality"),
                ("interventions", "Interventions"),
                ("narrative", "Session narrative"),
                ("observation", "Observation"),
                ("participation", "Participation"),
                ("plan", "Plan"),
            ],
            NoteFormat::Process => &[("text", "Note")],
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NoteFormat::Dap => "DAP (data, assessment, plan)",
            NoteFormat::Soap => "SOAP (subjective, objective, assessment, plan)",
            NoteFormat::Birp => "BIRP (behavior, intervention, response, plan)",
            NoteFormat::Group => "Group note",
            NoteFormat::Process => "Counseling note",
        }
    }
}

/// A note's sections: key -> text.
pub type Sections = BTreeMap<String, String>;

/// Checks a note's sections against its format. A draft may leave sections empty; a note to
/// be signed must fill every one. Unknown sections and over-long text are refused.
pub fn check_sections(
    format: NoteFormat,
    sections: &Sections,
    complete: bool,
) -> Result<Sections, Invalid> {
    let mut errors = Vec::new();
    let known = format.sections();
    for key in sections.keys() {
        if !known.iter().any(|(k, _)| k == key) {
            errors.push(FieldError {
                field: format!("sections.{key}"),
                message: format!(
                    "is not a section of a {} note (expected {})",
                    format.as_str().to_uppercase(),
                    known.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
                ),
            });
        }
    }
    let mut clean = Sections::new();
    for (key, _) in known {
        let text = sections.get(*key).map(|t| t.trim()).unwrap_or("");
        if text.chars().count() > MAX_SECTION {
            errors.push(FieldError {
                field: format!("sections.{key}"),
                message: format!("must be at most {MAX_SECTION} characters"),
            });
        } else if text.is_empty() && complete {
            errors.push(FieldError {
                field: format!("sections.{key}"),
                message: "must be filled in before signing".into(),
            });
        }
        if !text.is_empty() {
            clean.insert((*key).to_owned(), text.to_owned());
        }
    }
    if errors.is_empty() {
        Ok(clean)
    } else {
        Err(Invalid(errors))
    }
}

/// How much an attendee took part in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Participation {
    Active,
    Moderate,
    Minimal,
    /// Present but did not take part.
    None,
}

impl Participation {
    pub const ALL: [Participation; 4] = [
        Participation::Active,
        Participation::Moderate,
        Participation::Minimal,
        Participation::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Participation::Active => "active",
            Participation::Moderate => "moderate",
            Participation::Minimal => "minimal",
            Participation::None => "none",
        }
    }

    pub fn parse(text: &str) -> Option<Participation> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Participation::Active => "Active",
            Participation::Moderate => "Moderate",
            Participation::Minimal => "Minimal",
            Participation::None => "Did not participate",
        }
    }
}

/// One attendee's lines of a group note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupEntry {
    pub patient_id: Uuid,
    #[serde(default)]
    pub observation: String,
    #[serde(default)]
    pub participation: Option<Participation>,
    #[serde(default)]
    pub plan: String,
}

/// A group session's note: one shared narrative, then a short entry per attendee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupNote {
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub modality: String,
    #[serde(default)]
    pub interventions: String,
    #[serde(default)]
    pub narrative: String,
    #[serde(default)]
    pub entries: Vec<GroupEntry>,
}

impl GroupNote {
    /// An empty note prefilled from the session: its topic and modality, and one empty entry
    /// per attendee (those absent get none).
    pub fn prefilled(topic: &str, modality: &str, attendees: &[Uuid]) -> GroupNote {
        GroupNote {
            topic: topic.to_owned(),
            modality: modality.to_owned(),
            interventions: String::new(),
            narrative: String::new(),
            entries: attendees
                .iter()
                .map(|&patient_id| GroupEntry {
                    patient_id,
                    observation: String::new(),
                    participation: None,
                    plan: String::new(),
                })
                .collect(),
        }
    }

    /// Checks the note against the session's attendees: entries only for attendees, at most
    /// one each, texts within bounds; to sign, every field filled and every attendee covered.
    pub fn checked(&self, attendees: &[Uuid], complete: bool) -> Result<GroupNote, Invalid> {
        let mut errors = Vec::new();
        let mut text = |field: String, value: &str| {
            let value = value.trim();
            if value.chars().count() > MAX_SECTION {
                errors.push(FieldError {
                    field,
                    message: format!("must be at most {MAX_SECTION} characters"),
                });
            } else if complete && value.is_empty() {
                errors.push(FieldError {
                    field,
                    message: "must be filled in before signing".into(),
                });
            }
            value.to_owned()
        };
        let topic = text("topic".into(), &self.topic);
        let modality = text("modality".into(), &self.modality);
        let interventions = text("interventions".into(), &self.interventions);
        let narrative = text("narrative".into(), &self.narrative);
        let mut entries = Vec::new();
        for (i, e) in self.entries.iter().enumerate() {
            let observation = text(format!("entries[{i}].observation"), &e.observation);
            let plan = text(format!("entries[{i}].plan"), &e.plan);
            entries.push(GroupEntry {
                patient_id: e.patient_id,
                observation,
                participation: e.participation,
                plan,
            });
        }
        for (i, e) in self.entries.iter().enumerate() {
            if !attendees.contains(&e.patient_id) {
                errors.push(FieldError {
                    field: format!("entries[{i}].patient_id"),
                    message: "did not attend this session (absent members get no note)".into(),
                });
            } else if self.entries[..i]
                .iter()
                .any(|other| other.patient_id == e.patient_id)
            {
                errors.push(FieldError {
                    field: format!("entries[{i}].patient_id"),
                    message: "has more than one entry".into(),
                });
            }
            if complete && e.participation.is_none() {
                errors.push(FieldError {
                    field: format!("entries[{i}].participation"),
                    message: "must be chosen before signing".into(),
                });
            }
        }
        if complete {
            for patient in attendees {
                if !self.entries.iter().any(|e| e.patient_id == *patient) {
                    errors.push(FieldError {
                        field: "entries".into(),
                        message: format!("needs an entry for every attendee (missing {patient})"),
                    });
                }
            }
        }
        if errors.is_empty() {
            Ok(GroupNote {
                topic,
                modality,
                interventions,
                narrative,
                entries,
            })
        } else {
            Err(Invalid(errors))
        }
    }

    /// The sections of one attendee's signed copy: the shared part and their own lines only
    /// (never another attendee's).
    pub fn copy_for(&self, patient_id: Uuid) -> Option<Sections> {
        let entry = self.entries.iter().find(|e| e.patient_id == patient_id)?;
        let mut s = Sections::new();
        s.insert("topic".into(), self.topic.clone());
        s.insert("modality".into(), self.modality.clone());
        s.insert("interventions".into(), self.interventions.clone());
        s.insert("narrative".into(), self.narrative.clone());
        s.insert("observation".into(), entry.observation.clone());
        s.insert(
            "participation".into(),
            entry
                .participation
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
        );
        s.insert("plan".into(), entry.plan.clone());
        Some(s)
    }
}

/// Where a note stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteStatus {
    /// Being written; only its author changes it.
    Draft,
    /// Signed by its author, waiting for the supervisor's co-signature.
    AwaitingCosignature,
    /// Signed (and co-signed where required): locked; changes are addenda.
    Signed,
}

impl NoteStatus {
    pub fn of(signed: bool, cosigner_required: bool, cosigned: bool) -> NoteStatus {
        match (signed, cosigner_required && !cosigned) {
            (false, _) => NoteStatus::Draft,
            (true, true) => NoteStatus::AwaitingCosignature,
            (true, false) => NoteStatus::Signed,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NoteStatus::Draft => "draft",
            NoteStatus::AwaitingCosignature => "awaiting_cosignature",
            NoteStatus::Signed => "signed",
        }
    }
}

/// Who must co-sign a note its author signs: the author's supervisor, when the program
/// requires co-signatures and the author has one.
pub fn cosigner(program_requires: bool, author_supervisor: Option<Uuid>) -> Option<Uuid> {
    author_supervisor.filter(|_| program_requires)
}

/// Whether a signature at `signed_at` makes a late entry for a session that ended at
/// `service_end`.
pub fn is_late_entry(service_end: OffsetDateTime, signed_at: OffsetDateTime) -> bool {
    signed_at - service_end > SIGN_WITHIN
}

/// Whether a session that ended at `service_end` is now overdue for a signed note.
pub fn is_overdue(service_end: OffsetDateTime, now: OffsetDateTime) -> bool {
    now - service_end > SIGN_WITHIN
}

/// Who may read a SUD counseling note: its author and the staff the program names.
pub fn may_read_counseling_note(reader: Uuid, author: Uuid, named: &[Uuid]) -> bool {
    reader == author || named.contains(&reader)
}

/// Checks an addendum's text.
pub fn check_addendum(text: &str) -> Result<String, Invalid> {
    let text = text.trim();
    if text.is_empty() {
        Err(Invalid::one("text", "must not be empty"))
    } else if text.chars().count() > MAX_SECTION {
        Err(Invalid::one(
            "text",
            format!("must be at most {MAX_SECTION} characters"),
        ))
    } else {
        Ok(text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sections(pairs: &[(&str, &str)]) -> Sections {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn fields(err: Invalid) -> Vec<String> {
        err.0.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn each_format_has_its_sections() {
        let keys = |f: NoteFormat| f.sections().iter().map(|(k, _)| *k).collect::<Vec<_>>();
        assert_eq!(keys(NoteFormat::Dap), ["data", "assessment", "plan"]);
        assert_eq!(
            keys(NoteFormat::Soap),
            ["subjective", "objective", "assessment", "plan"]
        );
        assert_eq!(
            keys(NoteFormat::Birp),
            ["behavior", "intervention", "response", "plan"]
        );
        for f in NoteFormat::CHOSEN {
            assert_eq!(NoteFormat::parse(f.as_str()), Some(f));
        }
    }

    #[test]
    fn drafts_may_be_partial_signed_notes_may_not() {
        let partial = sections(&[("data", "  Reports 3 days without use. "), ("plan", "")]);
        let clean = check_sections(NoteFormat::Dap, &partial, false).unwrap();
        assert_eq!(clean.get("data").unwrap(), "Reports 3 days without use.");
        assert!(!clean.contains_key("plan"), "empty sections are dropped");
        assert_eq!(
            fields(check_sections(NoteFormat::Dap, &partial, true).unwrap_err()),
            ["sections.assessment", "sections.plan"]
        );
        let wrong = sections(&[("subjective", "x")]);
        assert_eq!(
            fields(check_sections(NoteFormat::Dap, &wrong, false).unwrap_err()),
            ["sections.subjective"]
        );
        let long = sections(&[("data", &"x".repeat(MAX_SECTION + 1))]);
        assert!(check_sections(NoteFormat::Dap, &long, false).is_err());
    }

    fn ids(n: u128) -> Vec<Uuid> {
        (1..=n).map(Uuid::from_u128).collect()
    }

    fn filled(attendees: &[Uuid]) -> GroupNote {
        let mut note = GroupNote::prefilled("Coping with cravings", "CBT", attendees);
        note.interventions = "Urge surfing; thought records".into();
        note.narrative = "Members practised urge surfing.".into();
        for e in &mut note.entries {
            e.observation = "Engaged".into();
            e.participation = Some(Participation::Active);
            e.plan = "Continue".into();
        }
        note
    }

    #[test]
    fn a_group_note_covers_exactly_the_attendees() {
        let attendees = ids(3);
        let note = filled(&attendees);
        assert!(note.checked(&attendees, true).is_ok());
        // A draft may leave an attendee out; a signed note may not.
        let mut short = note.clone();
        short.entries.pop();
        assert!(short.checked(&attendees, false).is_ok());
        assert_eq!(
            fields(short.checked(&attendees, true).unwrap_err()),
            ["entries"]
        );
        // Someone who did not attend gets no entry, and nobody gets two.
        let mut extra = note.clone();
        extra.entries.push(GroupEntry {
            patient_id: Uuid::from_u128(99),
            observation: String::new(),
            participation: None,
            plan: String::new(),
        });
        extra.entries.push(note.entries[0].clone());
        assert_eq!(
            fields(extra.checked(&attendees, false).unwrap_err()),
            ["entries[3].patient_id", "entries[4].patient_id"]
        );
        let mut unrated = note;
        unrated.entries[1].participation = None;
        unrated.narrative = " ".into();
        assert_eq!(
            fields(unrated.checked(&attendees, true).unwrap_err()),
            ["narrative", "entries[1].participation"]
        );
    }

    #[test]
    fn an_attendee_copy_holds_only_their_own_lines() {
        let attendees = ids(3);
        let mut note = filled(&attendees);
        note.entries[0].observation = "Shared a relapse story".into();
        let copy = note.copy_for(attendees[1]).unwrap();
        assert_eq!(copy.get("observation").unwrap(), "Engaged");
        assert_eq!(copy.get("participation").unwrap(), "active");
        assert!(!copy.values().any(|v| v.contains("relapse story")));
        assert!(check_sections(NoteFormat::Group, &copy, true).is_ok());
        assert!(note.copy_for(Uuid::from_u128(42)).is_none());
    }

    #[test]
    fn lifecycle_co_signature_and_late_entries() {
        assert_eq!(NoteStatus::of(false, true, false), NoteStatus::Draft);
        assert_eq!(
            NoteStatus::of(true, true, false),
            NoteStatus::AwaitingCosignature
        );
        assert_eq!(NoteStatus::of(true, true, true), NoteStatus::Signed);
        assert_eq!(NoteStatus::of(true, false, false), NoteStatus::Signed);
        let supervisor = Uuid::from_u128(7);
        assert_eq!(cosigner(true, Some(supervisor)), Some(supervisor));
        assert_eq!(cosigner(false, Some(supervisor)), None);
        assert_eq!(cosigner(true, None), None);
        let end = OffsetDateTime::UNIX_EPOCH;
        assert!(!is_late_entry(end, end + Duration::hours(24)));
        assert!(is_late_entry(
            end,
            end + Duration::hours(24) + Duration::SECOND
        ));
        assert!(!is_overdue(end, end + Duration::hours(23)));
        assert!(is_overdue(end, end + Duration::hours(25)));
    }

    #[test]
    fn counseling_notes_are_for_their_author_and_the_named() {
        let (author, named, other) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        assert!(may_read_counseling_note(author, author, &[]));
        assert!(may_read_counseling_note(named, author, &[named]));
        assert!(!may_read_counseling_note(other, author, &[named]));
    }

    #[test]
    fn addenda_need_text() {
        assert!(check_addendum("  ").is_err());
        assert_eq!(
            check_addendum(" Corrected dose. ").unwrap(),
            "Corrected dose."
        );
    }
}
