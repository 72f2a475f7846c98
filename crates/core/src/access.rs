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

    /// The caller is a patient (their own record, their own words: a check-in they enter
    /// is self-reported, a plan they sign is signed as the patient).
    pub fn is_patient(self) -> bool {
        self == Role::Patient
    }

    /// The sessions list shows a clinician only the sessions they facilitate; everyone else
    /// who may see the schedule sees the program's.
    pub fn lists_own_sessions_only(self) -> bool {
        self == Role::Clinician
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
    /// The caller wrote this note (for notes shared by a session, such as a group note).
    Author,
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
    /// Take one session's attendance (the roster, all present, walk-ins): the front desk and
    /// admins for any session, a clinician for the sessions they facilitate
    /// ([`Relationship::Facilitator`]).
    RunSession,
    /// Write one session's group note: admins, or the clinician who facilitates it.
    WriteGroupNote,
    /// Change a group note already written: admins, or its author ([`Relationship::Author`]).
    ReviseGroupNote,
    /// Sign clinical documents as a clinician (treatment plans, notes), co-sign, and be named
    /// as a reader of counseling notes: clinicians and admins.
    SignAsClinician,
    /// Hold appointments with patients (the clinicians a booking may name).
    HoldAppointments,
    /// Work the clinical queues: open crisis reviews, overdue measures, unsigned notes.
    WorkClinicalQueues,
    /// Break the glass: a clinician outside the care team opens a chart in an emergency
    /// (admins reach every chart already).
    BreakGlass,
    /// Export a whole record (the right of access): admins, and the patient for themselves
    /// ([`Relationship::Myself`]).
    ExportRecord,
    /// Revoke another person's calendar feed or sign-ins (user administration).
    ManageOthersAccess,
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
/// `relationship` is consulted for [`Action::Record`] (to the patient) and for the actions on
/// one session or note (facilitator, author, myself); pass [`Relationship::None`] for
/// actions that are about neither.
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
        Action::RunSession => allow(
            matches!(role, Admin | FrontDesk)
                || (role == Clinician && relationship == Relationship::Facilitator),
        ),
        Action::WriteGroupNote => {
            allow(role == Admin || (role == Clinician && relationship == Relationship::Facilitator))
        }
        Action::ReviseGroupNote => allow(role == Admin || relationship == Relationship::Author),
        Action::SignAsClinician | Action::WorkClinicalQueues => {
            allow(matches!(role, Admin | Clinician))
        }
        Action::HoldAppointments | Action::BreakGlass => allow(role == Clinician),
        Action::ExportRecord => {
            allow(role == Admin || (role == Patient && relationship == Relationship::Myself))
        }
        Action::ManageOthersAccess => allow(role == Admin),
    }
}

/// Whether `role` may take `action` (not about one patient): a shorthand for the policy's
/// answer with no relationship.
pub fn may(role: Role, action: Action) -> bool {
    decide(role, action, Relationship::None).is_allowed()
}

/// Whether the policy's answer for `role` depends on the caller's care-team, facilitation or
/// emergency relationship to the patient (and so needs the database to find it). Admins, the
/// front desk and billing reach every patient; a patient reaches only themselves, which the
/// caller's own patient link tells without a query.
pub fn needs_relationship(role: Role) -> bool {
    matches!(role, Role::Clinician | Role::CaseManager)
}

/// Which patients a list or search may return (the store turns it into a query filter): everyone in the organization, the caller's own
/// relationships (care team or facilitated sessions), or one patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Organization,
    /// Patients on this user's care team or in sessions they facilitate (clinicians).
    RelatedTo(uuid::Uuid),
    /// Patients on this user's care team only (case managers).
    CareTeamOf(uuid::Uuid),
    /// Only this patient (a patient's own portal).
    Only(uuid::Uuid),
}

impl Reach {
    /// The reach of a role, for a user (and their linked patient record, if any).
    pub fn of(role: Role, user_id: uuid::Uuid, patient_id: Option<uuid::Uuid>) -> Reach {
        match role {
            Role::Admin | Role::FrontDesk | Role::Billing => Reach::Organization,
            Role::Clinician => Reach::RelatedTo(user_id),
            Role::CaseManager => Reach::CareTeamOf(user_id),
            // A patient account not linked to a record reaches nobody (nil id matches nothing).
            Role::Patient => Reach::Only(patient_id.unwrap_or(uuid::Uuid::nil())),
        }
    }
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
    const RELATIONSHIPS: [Relationship; 6] = [
        Relationship::CareTeam,
        Relationship::Facilitator,
        Relationship::Myself,
        Relationship::Author,
        Relationship::Emergency,
        Relationship::None,
    ];
    const ROLES: [Role; 6] = [
        Role::Admin,
        Role::Clinician,
        Role::CaseManager,
        Role::FrontDesk,
        Role::Billing,
        Role::Patient,
    ];

    #[test]
    fn a_sessions_attendance_and_group_note_follow_its_facilitator() {
        use Relationship::{Facilitator, None};
        let run = |role, rel| decide(role, Action::RunSession, rel).is_allowed();
        let note = |role, rel| decide(role, Action::WriteGroupNote, rel).is_allowed();
        assert!(run(Role::FrontDesk, None) && run(Role::Admin, None));
        assert!(run(Role::Clinician, Facilitator) && !run(Role::Clinician, None));
        assert!(!run(Role::CaseManager, Facilitator) && !run(Role::Patient, Facilitator));
        assert!(note(Role::Admin, None) && note(Role::Clinician, Facilitator));
        assert!(!note(Role::Clinician, None) && !note(Role::FrontDesk, Facilitator));
        // A written group note changes only by its author or an admin.
        let revise = |role, rel| decide(role, Action::ReviseGroupNote, rel).is_allowed();
        assert!(revise(Role::Clinician, Relationship::Author) && revise(Role::Admin, None));
        assert!(!revise(Role::Clinician, Facilitator));
    }

    #[test]
    fn export_break_glass_and_signing_have_their_own_roles() {
        for role in ROLES {
            assert_eq!(
                decide(role, Action::ExportRecord, Relationship::Myself).is_allowed(),
                matches!(role, Role::Admin | Role::Patient),
                "{role:?}"
            );
            assert_eq!(
                decide(role, Action::ExportRecord, Relationship::None).is_allowed(),
                role == Role::Admin
            );
            assert_eq!(may(role, Action::BreakGlass), role == Role::Clinician);
            assert_eq!(may(role, Action::HoldAppointments), role == Role::Clinician);
            assert_eq!(
                may(role, Action::SignAsClinician),
                matches!(role, Role::Admin | Role::Clinician)
            );
            assert_eq!(
                may(role, Action::WorkClinicalQueues),
                may(role, Action::SignAsClinician)
            );
            assert_eq!(may(role, Action::ManageOthersAccess), role == Role::Admin);
        }
    }

    /// The store's query filter (`Reach`) and the policy (`sees_patient`) agree: a role the
    /// filter gives the whole organization sees any patient; the others see a patient only
    /// through the relationship their filter names.
    #[test]
    fn reach_agrees_with_the_policy() {
        let user = uuid::Uuid::from_u128(7);
        let me = uuid::Uuid::from_u128(9);
        for role in ROLES {
            let reach = Reach::of(role, user, Some(me));
            for rel in RELATIONSHIPS {
                let seen = sees_patient(role, rel);
                let by_filter = match reach {
                    Reach::Organization => true,
                    Reach::RelatedTo(_) => matches!(
                        rel,
                        Relationship::CareTeam
                            | Relationship::Facilitator
                            | Relationship::Emergency
                    ),
                    Reach::CareTeamOf(_) => rel == Relationship::CareTeam,
                    Reach::Only(id) => id == me && rel == Relationship::Myself,
                };
                assert_eq!(seen, by_filter, "{role:?} {rel:?}");
            }
            assert_eq!(
                reach == Reach::Organization,
                !needs_relationship(role) && !role.is_patient()
            );
        }
        assert_eq!(
            Reach::of(Role::Patient, user, None),
            Reach::Only(uuid::Uuid::nil())
        );
    }

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
