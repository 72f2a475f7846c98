//! Who may do what: the one access policy of OpenIOP.
//!
//! Every API route and every page asks [`decide`] before it touches data. The answer depends
//! on three things only: the caller's [`Role`], the [`Action`] and, for anything inside a
//! patient's record, the caller's [`Relationship`] to that patient. Keeping it one pure
//! function means the whole policy is read (and tested) in one place.
//!
//! Two kinds of "no" exist on purpose: a patient the caller may not see at all is
//! [`Decision::Hidden`] (answered 404, so even the existence of a record in a substance-use
//! program stays private, as 42 CFR Part 2 expects), while a part of a visible patient's
//! record the role may not read is [`Decision::Forbidden`] (403).

use serde::{Deserialize, Serialize};

/// A user's role in the organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Program director: every patient, configuration and users.
    Admin,
    /// Counselors, therapists, prescribers: their care-team patients and group members.
    Clinician,
    /// Case managers: their care-team patients, not notes or results.
    CaseManager,
    /// Front desk and admissions: demographics, schedule, attendance; nothing clinical.
    FrontDesk,
    /// Billing staff: coverage, authorizations, units and coded diagnoses.
    Billing,
    /// A patient, through the portal: only their own record.
    Patient,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Clinician,
        Role::CaseManager,
        Role::FrontDesk,
        Role::Billing,
        Role::Patient,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Clinician => "clinician",
            Role::CaseManager => "case_manager",
            Role::FrontDesk => "front_desk",
            Role::Billing => "billing",
            Role::Patient => "patient",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }

    /// How the role is named to people.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Program director (admin)",
            Role::Clinician => "Clinician",
            Role::CaseManager => "Case manager",
            Role::FrontDesk => "Front desk",
            Role::Billing => "Billing",
            Role::Patient => "Patient",
        }
    }

    pub fn is_staff(self) -> bool {
        self != Role::Patient
    }
}

/// How the caller stands to one patient. Computed by the storage layer from care-team
/// membership, session facilitation and the caller's own patient link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relationship {
    /// The caller is on the patient's care team.
    CareTeam,
    /// The caller facilitates a session the patient is enrolled in.
    Facilitator,
    /// The caller is the patient.
    Myself,
    /// The caller broke the glass: a clinician outside the care team who stated an emergency
    /// and holds time-limited access, audited and queued for review.
    Emergency,
    /// None of the above.
    None,
}

/// A part of a patient's record, in the clinic's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// Name, birth date, preferred name, pronouns.
    Demographics,
    /// Phone, e-mail, when it is safe to call.
    Contacts,
    /// Episodes of care: admissions to a track, discharges.
    Admissions,
    /// Who is on the care team.
    CareTeam,
    /// Sessions the patient is booked into.
    Schedule,
    /// Attendance marks, hours and billable units.
    Attendance,
    /// Treatment plans.
    Plans,
    /// Referrals to jobs, legal aid, housing.
    Referrals,
    /// Progress notes (individual, family and group notes).
    Notes,
    /// SUD counseling notes (42 CFR 2.11): kept apart; beyond this role-level rule, only
    /// their author and the staff the program names read them (`notes::may_read_counseling_note`).
    CounselingNotes,
    /// Screening instruments and assessments.
    Assessments,
    /// Drug and alcohol test results.
    Results,
    /// Medications, including MAT.
    Medications,
    /// Insurance coverage and authorizations.
    Coverage,
    /// Coded diagnoses.
    Diagnoses,
    /// The patient's requests to amend their record (HIPAA 164.526) and their answers.
    Amendments,
}

/// Reading or changing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    Read,
    Write,
}

/// What a request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Something inside one patient's record.
    Record(Part, Access),
    /// Register a new patient.
    RegisterPatient,
    /// Search or list patients (results are filtered to those the caller may see).
    SearchPatients,
    /// Read sites, programs and tracks (needed by every staff form).
    ReadConfiguration,
    /// Create or change sites, tracks and care teams.
    Configure,
    /// Create and list user accounts.
    ManageUsers,
    /// Read the audit trail.
    ReadAudit,
    /// Pure clinical tools: instrument scoring, placement, the schedule solver.
    UseClinicalTools,
    /// Read inquiries from the public "get help" form and work the admissions pipeline.
    ReadInquiries,
    /// Merge two records of the same person.
    MergePatients,
    /// Create sessions and run the schedule (front desk, clinicians, admins).
    ManageSchedule,
}

/// The policy's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    Allow,
    /// The caller may see the patient but not this (HTTP 403).
    Forbidden,
    /// The caller may not know the patient exists (HTTP 404).
    Hidden,
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// The access policy: (role, action, relationship to the patient) -> decision.
///
/// `relationship` is only consulted for [`Action::Record`]; pass [`Relationship::None`]
/// for actions that are not about one patient.
pub fn decide(role: Role, action: Action, relationship: Relationship) -> Decision {
    use Role::*;
    let allow = |yes: bool| {
        if yes {
            Decision::Allow
        } else {
            Decision::Forbidden
        }
    };
    match action {
        Action::Record(part, access) => {
            if !sees_patient(role, relationship) {
                return Decision::Hidden;
            }
            allow(grants(role, part, access))
        }
        Action::RegisterPatient => {
            allow(matches!(role, Admin | Clinician | CaseManager | FrontDesk))
        }
        Action::SearchPatients => Decision::Allow,
        Action::ReadConfiguration | Action::UseClinicalTools => allow(role.is_staff()),
        Action::Configure | Action::ManageUsers | Action::ReadAudit | Action::MergePatients => {
            allow(role == Admin)
        }
        Action::ReadInquiries => allow(matches!(role, Admin | FrontDesk | Clinician | CaseManager)),
        Action::ManageSchedule => allow(matches!(role, Admin | FrontDesk | Clinician)),
    }
}

/// Whether the policy's answer for `role` depends on the caller's care-team, facilitation or
/// emergency relationship to the patient (and so needs the database to find it). Admins, the
/// front desk and billing reach every patient; a patient reaches only themselves, which the
/// caller's own patient link tells without a query.
pub fn needs_relationship(role: Role) -> bool {
    matches!(role, Role::Clinician | Role::CaseManager)
}

/// Whether a role reaches a patient at all, given the relationship.
pub fn sees_patient(role: Role, relationship: Relationship) -> bool {
    use Relationship::*;
    match role {
        Role::Admin | Role::FrontDesk | Role::Billing => true,
        Role::Clinician => matches!(relationship, CareTeam | Facilitator | Emergency),
        Role::CaseManager => relationship == CareTeam,
        Role::Patient => relationship == Myself,
    }
}

/// Which parts of a visible patient's record a role may read or change.
fn grants(role: Role, part: Part, access: Access) -> bool {
    use Access::*;
    use Part::*;
    match (role, access) {
        (Role::Admin, _) => true,
        (Role::Clinician, Read) => true,
        (Role::Clinician, Write) => part != CareTeam,
        (Role::CaseManager, Read) => matches!(
            part,
            Demographics
                | Contacts
                | Admissions
                | CareTeam
                | Schedule
                | Attendance
                | Plans
                | Referrals
                | Amendments
        ),
        (Role::CaseManager, Write) => matches!(part, Contacts | Referrals),
        (Role::FrontDesk, Read) => matches!(
            part,
            Demographics | Contacts | Admissions | CareTeam | Schedule | Attendance | Amendments
        ),
        (Role::FrontDesk, Write) => {
            matches!(
                part,
                Demographics | Contacts | Admissions | Schedule | Attendance | Amendments
            )
        }
        (Role::Billing, Read) => matches!(
            part,
            Demographics | Contacts | Admissions | Attendance | Coverage | Diagnoses
        ),
        (Role::Billing, Write) => part == Coverage,
        (Role::Patient, Read) => matches!(
            part,
            Demographics
                | Contacts
                | Admissions
                | CareTeam
                | Schedule
                | Attendance
                | Plans
                | Amendments
        ),
        (Role::Patient, Write) => matches!(part, Contacts | Amendments),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Access::*;
    use Part::*;

    const PARTS: [Part; 16] = [
        Demographics,
        Contacts,
        Admissions,
        CareTeam,
        Schedule,
        Attendance,
        Plans,
        Referrals,
        Notes,
        CounselingNotes,
        Assessments,
        Results,
        Medications,
        Coverage,
        Diagnoses,
        Amendments,
    ];
    const RELATIONSHIPS: [Relationship; 5] = [
        Relationship::CareTeam,
        Relationship::Facilitator,
        Relationship::Myself,
        Relationship::Emergency,
        Relationship::None,
    ];

    fn read(role: Role, part: Part, rel: Relationship) -> Decision {
        decide(role, Action::Record(part, Read), rel)
    }

    #[test]
    fn unrelated_clinicians_and_case_managers_do_not_see_the_patient() {
        for part in PARTS {
            assert_eq!(
                read(Role::Clinician, part, Relationship::None),
                Decision::Hidden
            );
            assert_eq!(
                read(Role::CaseManager, part, Relationship::None),
                Decision::Hidden
            );
            assert_eq!(
                read(Role::CaseManager, part, Relationship::Facilitator),
                Decision::Hidden
            );
        }
    }

    #[test]
    fn broken_glass_opens_the_chart_to_that_clinician_only() {
        assert_eq!(
            read(Role::Clinician, Notes, Relationship::Emergency),
            Decision::Allow
        );
        for role in [Role::CaseManager, Role::Patient] {
            assert_eq!(
                read(role, Demographics, Relationship::Emergency),
                Decision::Hidden
            );
        }
    }

    #[test]
    fn facilitators_see_the_clinical_record() {
        assert_eq!(
            read(Role::Clinician, Notes, Relationship::Facilitator),
            Decision::Allow
        );
    }

    #[test]
    fn front_desk_sees_demographics_but_nothing_clinical() {
        let rel = Relationship::None;
        assert_eq!(read(Role::FrontDesk, Demographics, rel), Decision::Allow);
        assert_eq!(read(Role::FrontDesk, Attendance, rel), Decision::Allow);
        for part in [
            Notes,
            CounselingNotes,
            Assessments,
            Results,
            Medications,
            Plans,
            Diagnoses,
            Referrals,
        ] {
            assert_eq!(
                read(Role::FrontDesk, part, rel),
                Decision::Forbidden,
                "{part:?}"
            );
        }
    }

    #[test]
    fn case_managers_do_not_read_notes_or_results() {
        let rel = Relationship::CareTeam;
        assert_eq!(read(Role::CaseManager, Notes, rel), Decision::Forbidden);
        assert_eq!(read(Role::CaseManager, Results, rel), Decision::Forbidden);
        assert_eq!(
            read(Role::CaseManager, CounselingNotes, rel),
            Decision::Forbidden
        );
        assert_eq!(read(Role::CaseManager, Referrals, rel), Decision::Allow);
    }

    #[test]
    fn billing_reads_coverage_and_diagnoses_not_notes() {
        let rel = Relationship::None;
        assert_eq!(read(Role::Billing, Coverage, rel), Decision::Allow);
        assert_eq!(read(Role::Billing, Diagnoses, rel), Decision::Allow);
        assert_eq!(read(Role::Billing, Notes, rel), Decision::Forbidden);
        assert_eq!(read(Role::Billing, Results, rel), Decision::Forbidden);
    }

    #[test]
    fn patients_see_only_themselves() {
        for rel in RELATIONSHIPS {
            let expected = if rel == Relationship::Myself {
                Decision::Allow
            } else {
                Decision::Hidden
            };
            assert_eq!(read(Role::Patient, Demographics, rel), expected);
        }
        assert_eq!(
            read(Role::Patient, Notes, Relationship::Myself),
            Decision::Forbidden
        );
    }

    #[test]
    fn patients_ask_for_amendments_and_billing_never_sees_them() {
        let me = Relationship::Myself;
        assert!(decide(Role::Patient, Action::Record(Amendments, Write), me).is_allowed());
        assert!(
            decide(
                Role::Patient,
                Action::Record(Amendments, Write),
                Relationship::None
            ) == Decision::Hidden
        );
        assert_eq!(
            read(Role::Billing, Amendments, Relationship::None),
            Decision::Forbidden
        );
        assert_eq!(
            decide(
                Role::CaseManager,
                Action::Record(Amendments, Write),
                Relationship::CareTeam
            ),
            Decision::Forbidden
        );
    }

    #[test]
    fn only_clinicians_and_case_managers_need_the_relationship() {
        for role in Role::ALL {
            for part in PARTS {
                for access in [Read, Write] {
                    let answers: Vec<Decision> = RELATIONSHIPS
                        .iter()
                        .filter(|r| role != Role::Patient || **r != Relationship::Myself)
                        .map(|r| decide(role, Action::Record(part, access), *r))
                        .collect();
                    let uniform = answers.windows(2).all(|w| w[0] == w[1]);
                    assert!(
                        needs_relationship(role) || uniform,
                        "{role:?} {part:?} depends on the relationship"
                    );
                }
            }
        }
    }

    #[test]
    fn admins_reach_everything() {
        for part in PARTS {
            for rel in RELATIONSHIPS {
                assert_eq!(
                    decide(Role::Admin, Action::Record(part, Write), rel),
                    Decision::Allow
                );
            }
        }
        assert!(decide(Role::Admin, Action::Configure, Relationship::None).is_allowed());
    }

    #[test]
    fn only_admins_configure_or_read_the_audit_trail() {
        for role in Role::ALL {
            let expected = role == Role::Admin;
            for action in [Action::Configure, Action::ManageUsers, Action::ReadAudit] {
                assert_eq!(
                    decide(role, action, Relationship::None).is_allowed(),
                    expected
                );
            }
        }
    }

    #[test]
    fn patients_use_no_staff_tools() {
        for action in [
            Action::UseClinicalTools,
            Action::ReadConfiguration,
            Action::RegisterPatient,
        ] {
            assert_eq!(
                decide(Role::Patient, action, Relationship::None),
                Decision::Forbidden
            );
        }
    }

    #[test]
    fn every_role_that_writes_a_part_may_also_read_it() {
        for role in Role::ALL {
            for part in PARTS {
                for rel in RELATIONSHIPS {
                    if decide(role, Action::Record(part, Write), rel).is_allowed() {
                        assert!(read(role, part, rel).is_allowed(), "{role:?} {part:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
