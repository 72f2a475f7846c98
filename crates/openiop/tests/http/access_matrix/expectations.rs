//! Who may do what: the expected answer of every route for every role.

use super::*;

pub(super) fn staff(who: Who) -> Expect {
    if who == Who::Patient {
        Forbidden
    } else {
        Allowed
    }
}

pub(super) fn admin_only(who: Who) -> Expect {
    if who == Who::Admin {
        Allowed
    } else {
        Forbidden
    }
}

pub(super) fn register(who: Who) -> Expect {
    if matches!(who, Who::Billing | Who::Patient) {
        Forbidden
    } else {
        Allowed
    }
}

pub(super) fn read_patient(who: Who) -> Expect {
    if who == Who::Outsider {
        Hidden
    } else {
        Allowed
    }
}

pub(super) fn admit(who: Who) -> Expect {
    match who {
        Who::Outsider => Hidden,
        Who::Admin | Who::Clinician | Who::FrontDesk => Allowed,
        _ => Forbidden,
    }
}

pub(super) fn read_team(who: Who) -> Expect {
    match who {
        Who::Outsider => Hidden,
        Who::Billing => Forbidden,
        _ => Allowed,
    }
}

pub(super) fn edit_team(who: Who) -> Expect {
    match who {
        Who::Outsider => Hidden,
        Who::Admin => Allowed,
        _ => Forbidden,
    }
}

/// Creating sessions: admins, clinicians and the front desk.
pub(super) fn schedule_staff(who: Who) -> Expect {
    if matches!(who, Who::CaseManager | Who::Billing | Who::Patient) {
        Forbidden
    } else {
        Allowed
    }
}

/// A session's roster: admins, the front desk and its facilitator (the world's session has
/// none).
pub(super) fn roster(who: Who) -> Expect {
    if matches!(who, Who::Admin | Who::FrontDesk) {
        Allowed
    } else {
        Forbidden
    }
}

/// A patient's calendar feed: those who schedule them, and the patient.
pub(super) fn calendar_feed(who: Who) -> Expect {
    match who {
        Who::Outsider => Hidden,
        Who::CaseManager | Who::Billing => Forbidden,
        _ => Allowed,
    }
}

/// Plans (intensity, treatment): the care team, case managers and the patient.
pub(super) fn read_plans(who: Who) -> Expect {
    match who {
        Who::Outsider => Hidden,
        Who::FrontDesk | Who::Billing => Forbidden,
        _ => Allowed,
    }
}

/// Coded diagnoses: the clinical team, and billing.
pub(super) fn read_diagnoses(who: Who) -> Expect {
    match who {
        Who::Outsider => Hidden,
        Who::Admin | Who::Clinician | Who::Billing => Allowed,
        _ => Forbidden,
    }
}

/// Inquiries: the staff who answer them.
pub(super) fn read_inquiries(who: Who) -> Expect {
    if matches!(who, Who::Billing | Who::Patient) {
        Forbidden
    } else {
        Allowed
    }
}

/// The clinical record (assessments, placements, alerts): admins and related clinicians.
pub(super) fn clinical(who: Who) -> Expect {
    match who {
        Who::Outsider => Hidden,
        Who::Admin | Who::Clinician => Allowed,
        _ => Forbidden,
    }
}

/// Changing a note: its author only (the world's note is the care-team clinician's).
pub(super) fn note_author(who: Who) -> Expect {
    match who {
        Who::Outsider => Hidden,
        Who::Clinician => Allowed,
        _ => Forbidden,
    }
}

/// Signing a treatment plan: staff who write plans, and the patient (as themselves).
pub(super) fn sign_plan(who: Who) -> Expect {
    match who {
        Who::Outsider => Hidden,
        Who::Admin | Who::Clinician | Who::Patient => Allowed,
        _ => Forbidden,
    }
}

/// Lists of the caller's own clinical work: admins and clinicians.
pub(super) fn clinicians(who: Who) -> Expect {
    if matches!(who, Who::Admin | Who::Clinician | Who::Outsider) {
        Allowed
    } else {
        Forbidden
    }
}

/// The review of an emergency item (admin only; the matrix names none that exists, so the
/// admin gets 404).
pub(super) fn review_queue(who: Who) -> Expect {
    if who == Who::Admin { Hidden } else { Forbidden }
}

/// The whole record: the patient themselves, or an admin; to anyone else it does not exist.
pub(super) fn own_record(who: Who) -> Expect {
    if matches!(who, Who::Admin | Who::Patient) {
        Allowed
    } else {
        Hidden
    }
}

/// A packet the matrix names but that does not exist: 404 for those who may read packets.
pub(super) fn no_such_packet(who: Who) -> Expect {
    match who {
        Who::Admin | Who::Clinician | Who::Outsider => Hidden,
        _ => Forbidden,
    }
}

/// Revoking a consent the matrix names but that does not exist: 404 for those who may revoke
/// (the front desk records the written revocation), as for an id under another patient.
pub(super) fn no_such_consent(who: Who) -> Expect {
    match who {
        Who::Admin | Who::Clinician | Who::FrontDesk | Who::Outsider => Hidden,
        _ => Forbidden,
    }
}

/// Amendment requests: everyone who reaches the patient but billing, the patient included.
pub(super) fn read_amendments(who: Who) -> Expect {
    match who {
        Who::Outsider => Hidden,
        Who::Billing => Forbidden,
        _ => Allowed,
    }
}

/// Asking for an amendment: the patient, or staff writing the request down (not case
/// managers or billing).
pub(super) fn request_amendment(who: Who) -> Expect {
    match who {
        Who::Outsider => Hidden,
        Who::CaseManager | Who::Billing => Forbidden,
        _ => Allowed,
    }
}

/// A statement of disagreement on a request the matrix names but that does not exist: 404
/// for those who may file one.
pub(super) fn no_such_request(who: Who) -> Expect {
    match who {
        Who::CaseManager | Who::Billing => Forbidden,
        _ => Hidden,
    }
}

/// Adding a contact: everyone who writes contacts (billing does not).
pub(super) fn edit_contacts(who: Who) -> Expect {
    match who {
        Who::Outsider => Hidden,
        Who::Billing => Forbidden,
        _ => Allowed,
    }
}

/// Removing a contact the matrix names but that does not exist.
pub(super) fn no_such_contact(who: Who) -> Expect {
    if who == Who::Billing {
        Forbidden
    } else {
        Hidden
    }
}

/// Someone else's notification (the matrix names one that is nobody's): 404 for all.
pub(super) fn nobody_elses(_: Who) -> Expect {
    Hidden
}

pub(super) fn everyone(_: Who) -> Expect {
    Allowed
}

pub(super) fn public(_: Who) -> Expect {
    Public
}

/// What each route must answer each caller.
/// A route's rule: what each caller must get.
type Rule = fn(Who) -> Expect;

pub(super) fn expectations() -> Vec<(Method, &'static str, Rule)> {
    use Method as M;
    vec![
        (M::GET, "/healthz", public),
        (M::GET, "/readyz", public),
        (M::GET, "/api/v1/openapi.json", public),
        (M::POST, "/api/v1/auth/login", public),
        (M::POST, "/api/v1/auth/logout", everyone),
        (M::GET, "/api/v1/auth/me", everyone),
        (M::POST, "/api/v1/auth/mfa/setup", everyone),
        (M::POST, "/api/v1/auth/password", everyone),
        (M::GET, "/account/password", everyone),
        (M::POST, "/account/password", everyone),
        (M::POST, "/api/v1/auth/mfa/confirm", everyone),
        (M::GET, "/api/v1/organization/security", admin_only),
        (M::PUT, "/api/v1/organization/security", admin_only),
        (M::POST, "/config/security", admin_only),
        (M::GET, "/account/security", everyone),
        (M::POST, "/account/security/setup", everyone),
        (M::POST, "/account/security/confirm", everyone),
        (M::GET, "/api/v1/sites", staff),
        (M::POST, "/api/v1/sites", admin_only),
        (M::GET, "/api/v1/tracks", staff),
        (M::POST, "/api/v1/tracks", admin_only),
        (M::GET, "/api/v1/programs", staff),
        (M::PUT, "/api/v1/programs/{id}/settings", admin_only),
        (M::GET, "/api/v1/users", admin_only),
        (M::POST, "/api/v1/users", admin_only),
        (M::GET, "/api/v1/patients", everyone),
        (M::POST, "/api/v1/patients", register),
        (M::GET, "/api/v1/patients/{id}", read_patient),
        (M::GET, "/api/v1/patients/{id}/episodes", read_patient),
        (M::POST, "/api/v1/patients/{id}/episodes", admit),
        (M::GET, "/api/v1/patients/{id}/care-team", read_team),
        (M::PUT, "/api/v1/patients/{id}/care-team", edit_team),
        (M::POST, "/api/v1/inquiries", public),
        (M::GET, "/api/v1/inquiries", read_inquiries),
        (M::GET, "/api/v1/inquiries/{id}", read_inquiries),
        (
            M::GET,
            "/api/v1/inquiries/{id}/attachments/{attachment_id}",
            read_inquiries,
        ),
        (M::GET, "/api/v1/inquiries/{id}/moves", read_inquiries),
        (M::POST, "/api/v1/inquiries/{id}/moves", read_inquiries),
        (M::PUT, "/api/v1/inquiries/{id}/assignment", read_inquiries),
        (M::PUT, "/api/v1/inquiries/{id}/evaluation", read_inquiries),
        (M::POST, "/api/v1/inquiries/{id}/admission", read_inquiries),
        (M::GET, "/api/v1/patients/duplicates", everyone),
        (M::POST, "/api/v1/patients/{id}/merge", admin_only),
        (M::GET, "/api/v1/patients/{id}/consents", read_patient),
        (M::POST, "/api/v1/patients/{id}/consents", admit),
        (
            M::GET,
            "/api/v1/patients/{id}/medical-evaluations",
            clinical,
        ),
        (
            M::POST,
            "/api/v1/patients/{id}/medical-evaluations",
            clinical,
        ),
        (
            M::GET,
            "/api/v1/patients/{id}/episodes/{episode_id}/diagnoses",
            read_diagnoses,
        ),
        (
            M::POST,
            "/api/v1/patients/{id}/episodes/{episode_id}/diagnoses",
            clinical,
        ),
        (M::POST, "/api/v1/sud-severity", staff),
        (M::POST, "/api/v1/schedule/solve", staff),
        (M::POST, "/api/v1/sessions", schedule_staff),
        (
            M::POST,
            "/api/v1/schedule/weeks/{week}/preview",
            schedule_staff,
        ),
        (
            M::POST,
            "/api/v1/schedule/weeks/{week}/apply",
            schedule_staff,
        ),
        (M::POST, "/api/v1/session-templates", schedule_staff),
        (
            M::POST,
            "/api/v1/session-templates/{id}/expand",
            schedule_staff,
        ),
        (M::POST, "/api/v1/sessions/{id}/enrollments", admit),
        (M::POST, "/api/v1/sessions/{id}/attendance", admit),
        (M::GET, "/api/v1/patients/{id}/intensity", read_patient),
        (M::GET, "/api/v1/patients/{id}/week", read_patient),
        (M::GET, "/api/v1/sessions", staff),
        // The world's patient is enrolled in the world's session.
        (M::GET, "/api/v1/sessions/{id}", everyone),
        (M::POST, "/api/v1/appointments", admit),
        (M::GET, "/api/v1/sessions/{id}/roster", roster),
        (
            M::POST,
            "/api/v1/sessions/{id}/attendance/all-present",
            roster,
        ),
        (M::POST, "/api/v1/check-in", schedule_staff),
        (M::GET, "/api/v1/program/attendance", staff),
        (
            M::POST,
            "/api/v1/patients/{id}/calendar-feeds",
            calendar_feed,
        ),
        (M::POST, "/api/v1/me/calendar-feeds", staff),
        (M::DELETE, "/api/v1/calendar-feeds/{id}", calendar_feed),
        (M::GET, "/calendar/{secret}", public),
        (M::GET, "/api/v1/patients/{id}/medications", clinical),
        (M::POST, "/api/v1/patients/{id}/medications", clinical),
        (
            M::POST,
            "/api/v1/patients/{id}/medications/{medication_id}/stop",
            clinical,
        ),
        (M::GET, "/api/v1/drug-panels", staff),
        (M::POST, "/api/v1/drug-panels", admin_only),
        (M::GET, "/api/v1/patients/{id}/drug-tests", clinical),
        (M::POST, "/api/v1/patients/{id}/drug-tests", clinical),
        (
            M::POST,
            "/api/v1/patients/{id}/drug-tests/{test_id}/results/{analyte}/review",
            clinical,
        ),
        (M::POST, "/api/v1/patients/{id}/testing-draws", clinical),
        (M::GET, "/api/v1/patients/{id}/safety-plan", read_plans),
        (M::PUT, "/api/v1/patients/{id}/safety-plan", clinical),
        (
            M::GET,
            "/api/v1/patients/{id}/relapse-prevention-plan",
            read_plans,
        ),
        (
            M::PUT,
            "/api/v1/patients/{id}/relapse-prevention-plan",
            clinical,
        ),
        (
            M::GET,
            "/api/v1/patients/{id}/episodes/{episode_id}/treatment-plan",
            read_plans,
        ),
        (
            M::PUT,
            "/api/v1/patients/{id}/episodes/{episode_id}/treatment-plan",
            clinical,
        ),
        (
            M::GET,
            "/api/v1/patients/{id}/episodes/{episode_id}/treatment-plan/versions",
            read_plans,
        ),
        (
            M::POST,
            "/api/v1/patients/{id}/episodes/{episode_id}/treatment-plan/versions/{version}/sign",
            sign_plan,
        ),
        (
            M::POST,
            "/api/v1/patients/{id}/episodes/{episode_id}/treatment-plan/versions/{version}/cosign",
            clinical,
        ),
        (M::GET, "/api/v1/patients/{id}/check-ins", clinical),
        (M::POST, "/api/v1/patients/{id}/check-ins", clinical),
        (M::POST, "/patients/{id}/check-ins", clinical),
        (M::GET, "/api/v1/patients/{id}/notes", clinical),
        (M::POST, "/api/v1/patients/{id}/notes", clinical),
        (M::GET, "/api/v1/patients/{id}/notes/{note_id}", clinical),
        (M::PUT, "/api/v1/patients/{id}/notes/{note_id}", note_author),
        (
            M::POST,
            "/api/v1/patients/{id}/notes/{note_id}/sign",
            note_author,
        ),
        (
            M::POST,
            "/api/v1/patients/{id}/notes/{note_id}/cosign",
            clinical,
        ),
        (
            M::POST,
            "/api/v1/patients/{id}/notes/{note_id}/addenda",
            clinical,
        ),
        (M::GET, "/api/v1/patients/{id}/counseling-notes", clinical),
        (M::POST, "/api/v1/patients/{id}/counseling-notes", clinical),
        (M::GET, "/api/v1/sessions/{id}/group-note", admin_only),
        (M::PUT, "/api/v1/sessions/{id}/group-note", admin_only),
        (M::POST, "/api/v1/sessions/{id}/group-note/sign", admin_only),
        (M::GET, "/api/v1/notes/unsigned", clinicians),
        (M::GET, "/api/v1/measures/overdue", staff),
        (M::GET, "/api/v1/patients/{id}/part2-consents", read_patient),
        (M::GET, "/api/v1/patients/{id}/record-export", own_record),
        (
            M::GET,
            "/api/v1/patients/{id}/amendment-requests",
            read_amendments,
        ),
        (M::GET, "/api/v1/patients/{id}/contacts", read_patient),
        (M::POST, "/api/v1/patients/{id}/contacts", edit_contacts),
        (
            M::DELETE,
            "/api/v1/patients/{id}/contacts/{contact_id}",
            no_such_contact,
        ),
        (M::GET, "/api/v1/reports/census", staff),
        (M::GET, "/api/v1/reports/intensity", staff),
        (M::GET, "/api/v1/retention", admin_only),
        (M::POST, "/api/v1/retention/disposals", admin_only),
        (M::GET, "/api/v1/retention/disposals", admin_only),
        (M::GET, "/api/v1/breaches", admin_only),
        (M::POST, "/api/v1/breaches", admin_only),
        (M::GET, "/api/v1/breaches/{id}", review_queue),
        (M::POST, "/api/v1/breaches/{id}/assessment", review_queue),
        (M::GET, "/api/v1/breaches/{id}/letters", review_queue),
        (M::POST, "/api/v1/breaches/{id}/letters-sent", review_queue),
        (
            M::POST,
            "/api/v1/patients/{id}/amendment-requests",
            request_amendment,
        ),
        (
            M::POST,
            "/api/v1/patients/{id}/amendment-requests/{request_id}/decision",
            no_such_packet,
        ),
        (
            M::POST,
            "/api/v1/patients/{id}/amendment-requests/{request_id}/disagreement",
            no_such_request,
        ),
        (M::POST, "/api/v1/patients/{id}/disclosures", clinical),
        (
            M::GET,
            "/api/v1/patients/{id}/disclosures/{disclosure_id}/packet",
            no_such_packet,
        ),
        (
            M::GET,
            "/api/v1/patients/{id}/disclosures/{disclosure_id}/bundle",
            no_such_packet,
        ),
        (
            M::GET,
            "/api/v1/patients/{id}/accounting-of-disclosures",
            read_patient,
        ),
        (M::POST, "/api/v1/patients/{id}/part2-consents", admit),
        (
            M::POST,
            "/api/v1/patients/{id}/part2-consents/{consent_id}/revoke",
            no_such_consent,
        ),
        (
            M::POST,
            "/api/v1/patients/{id}/emergency-access",
            clinicians,
        ),
        (M::GET, "/api/v1/emergency-access", admin_only),
        (
            M::POST,
            "/api/v1/emergency-access/{id}/review",
            review_queue,
        ),
        (
            M::GET,
            "/api/v1/patients/{id}/emergency-disclosures",
            clinical,
        ),
        (
            M::POST,
            "/api/v1/patients/{id}/emergency-disclosures",
            clinical,
        ),
        (M::GET, "/api/v1/emergency-disclosures", admin_only),
        (
            M::POST,
            "/api/v1/emergency-disclosures/{id}/review",
            review_queue,
        ),
        (M::GET, "/emergency", clinicians),
        (M::POST, "/emergency-access", clinicians),
        (M::POST, "/emergency-access/{id}/review", review_queue),
        (M::POST, "/emergency-disclosures/{id}/review", review_queue),
        (M::POST, "/patients/{id}/emergency-disclosures", clinical),
        (M::GET, "/patients/{id}/privacy", read_patient),
        (M::POST, "/patients/{id}/part2-consents", admit),
        (
            M::POST,
            "/patients/{id}/part2-consents/{consent_id}/revoke",
            no_such_consent,
        ),
        (M::POST, "/patients/{id}/disclosures", clinical),
        (M::POST, "/patients/{id}/contacts", edit_contacts),
        (
            M::POST,
            "/patients/{id}/contacts/{contact_id}/remove",
            no_such_contact,
        ),
        (
            M::POST,
            "/patients/{id}/amendment-requests",
            request_amendment,
        ),
        (
            M::POST,
            "/patients/{id}/amendment-requests/{request_id}/decision",
            no_such_packet,
        ),
        (
            M::POST,
            "/patients/{id}/amendment-requests/{request_id}/disagreement",
            no_such_request,
        ),
        (M::GET, "/privacy", admin_only),
        (M::POST, "/breaches", admin_only),
        (M::POST, "/breaches/{id}/assessment", review_queue),
        (M::POST, "/breaches/{id}/letters-sent", review_queue),
        (M::POST, "/retention/disposals", admin_only),
        (M::GET, "/api/v1/patients/{id}/crisis-events", clinical),
        (M::POST, "/api/v1/patients/{id}/crisis-events", clinical),
        (
            M::POST,
            "/api/v1/patients/{id}/crisis-events/{event_id}/resolve",
            no_such_packet,
        ),
        (M::GET, "/api/v1/notifications", everyone),
        (M::POST, "/api/v1/notifications/{id}/read", nobody_elses),
        (M::GET, "/api/v1/placement-reviews", staff),
        (M::GET, "/patients/{id}/crisis", clinical),
        (M::POST, "/patients/{id}/crisis-events", clinical),
        (
            M::POST,
            "/patients/{id}/crisis-events/{event_id}/resolve",
            no_such_packet,
        ),
        (M::POST, "/notifications/{id}/read", nobody_elses),
        (M::PUT, "/api/v1/users/{user_id}/supervisor", admin_only),
        (
            M::POST,
            "/api/v1/users/{user_id}/sessions/revoke",
            admin_only,
        ),
        (M::POST, "/config/users/{user_id}/revoke", admin_only),
        (M::GET, "/api/v1/counseling-note-readers", admin_only),
        (M::PUT, "/api/v1/counseling-note-readers", admin_only),
        (M::GET, "/api/v1/rooms", staff),
        (M::GET, "/sessions", schedule_staff),
        (M::POST, "/sessions", schedule_staff),
        (M::POST, "/session-templates", schedule_staff),
        (M::POST, "/config/rooms", admin_only),
        (M::POST, "/config/curriculum", admin_only),
        (M::GET, "/sessions/{id}", roster),
        (M::POST, "/sessions/{id}/all-present", roster),
        (M::POST, "/sessions/{id}/marks", roster),
        (M::GET, "/patients/{id}/schedule", read_team),
        (M::POST, "/patients/{id}/availability", admit),
        (
            M::POST,
            "/patients/{id}/episodes/{episode_id}/intensity-plan",
            clinical,
        ),
        (M::POST, "/patients/{id}/appointments", admit),
        (M::POST, "/patients/{id}/calendar-feeds", calendar_feed),
        (M::POST, "/calendar-feeds/{id}/revoke", calendar_feed),
        (M::GET, "/patients/{id}/care-plans", read_plans),
        (M::POST, "/patients/{id}/safety-plan", clinical),
        (M::POST, "/patients/{id}/relapse-prevention-plan", clinical),
        (M::GET, "/patients/{id}/monitoring", clinical),
        (M::POST, "/patients/{id}/medications", clinical),
        (
            M::POST,
            "/patients/{id}/medications/{medication_id}/stop",
            clinical,
        ),
        (M::POST, "/patients/{id}/drug-tests", clinical),
        (
            M::POST,
            "/patients/{id}/drug-tests/{test_id}/review",
            clinical,
        ),
        (M::POST, "/patients/{id}/testing-draws", clinical),
        (M::GET, "/schedule/build", schedule_staff),
        (M::POST, "/schedule/build", schedule_staff),
        (M::POST, "/schedule/build/apply", schedule_staff),
        (M::GET, "/check-in", schedule_staff),
        (M::POST, "/check-in", schedule_staff),
        (M::GET, "/program", staff),
        (M::POST, "/api/v1/rooms", admin_only),
        (M::GET, "/api/v1/patients/{id}/availability", read_team),
        (M::PUT, "/api/v1/patients/{id}/availability", admit),
        (
            M::GET,
            "/api/v1/patients/{id}/episodes/{episode_id}/intensity-plan",
            read_plans,
        ),
        (
            M::PUT,
            "/api/v1/patients/{id}/episodes/{episode_id}/intensity-plan",
            clinical,
        ),
        (M::GET, "/api/v1/curriculum", staff),
        (M::PUT, "/api/v1/curriculum/{phase}", admin_only),
        (M::GET, "/api/v1/patients/{id}/curriculum", read_team),
        (M::GET, "/api/v1/instruments", staff),
        (M::GET, "/api/v1/instruments/{code}", staff),
        (M::POST, "/api/v1/instruments/{code}/score", staff),
        (M::GET, "/api/v1/patients/{id}/assessments", clinical),
        (M::POST, "/api/v1/patients/{id}/assessments", clinical),
        (M::GET, "/api/v1/alerts", staff),
        (M::POST, "/api/v1/alerts/{id}/acknowledge", clinical),
        (M::POST, "/api/v1/placement", staff),
        (
            M::GET,
            "/api/v1/patients/{id}/episodes/{episode_id}/placements",
            clinical,
        ),
        (
            M::POST,
            "/api/v1/patients/{id}/episodes/{episode_id}/placements",
            clinical,
        ),
        (M::GET, "/static/{file}", public),
        (M::GET, "/login", public),
        (M::GET, "/get-help", public),
        (M::POST, "/get-help", public),
        (M::GET, "/self-check", public),
        (M::POST, "/self-check", public),
        (M::POST, "/login", public),
        (M::POST, "/logout", everyone),
        (M::GET, "/setup", public),
        (M::POST, "/setup", public),
        (M::GET, "/", everyone),
        (M::GET, "/patients", everyone),
        (M::GET, "/patients/new", register),
        (M::POST, "/patients", register),
        (M::GET, "/patients/{id}", read_patient),
        (M::POST, "/patients/{id}/episodes", admit),
        (M::POST, "/patients/{id}/care-team", edit_team),
        (M::GET, "/patients/{id}/assessments/new", clinical),
        (M::POST, "/patients/{id}/assessments", clinical),
        (M::POST, "/patients/{id}/assessments/preview", staff),
        (M::POST, "/alerts/{id}/acknowledge", clinical),
        (M::GET, "/patients/{id}/medical-evaluation", clinical),
        (M::POST, "/patients/{id}/medical-evaluation", clinical),
        (
            M::GET,
            "/patients/{id}/episodes/{episode_id}/diagnoses",
            read_diagnoses,
        ),
        (
            M::POST,
            "/patients/{id}/episodes/{episode_id}/diagnoses",
            clinical,
        ),
        (M::POST, "/sud-severity", staff),
        (M::GET, "/patients/{id}/merge", admin_only),
        (M::POST, "/patients/{id}/merge", admin_only),
        (
            M::GET,
            "/patients/{id}/episodes/{episode_id}/placement",
            clinical,
        ),
        (
            M::POST,
            "/patients/{id}/episodes/{episode_id}/placement",
            clinical,
        ),
        (
            M::POST,
            "/patients/{id}/episodes/{episode_id}/placement/preview",
            clinical,
        ),
        (M::GET, "/admissions", read_inquiries),
        (M::GET, "/admissions/{id}", read_inquiries),
        (M::POST, "/admissions/{id}/move", read_inquiries),
        (M::POST, "/admissions/{id}/assign", read_inquiries),
        (M::POST, "/admissions/{id}/evaluation", read_inquiries),
        (M::POST, "/admissions/{id}/admit", read_inquiries),
        (M::GET, "/config", staff),
        (M::POST, "/config/sites", admin_only),
        (M::POST, "/config/tracks", admin_only),
        (M::GET, "/config/users", admin_only),
        (M::POST, "/config/users", admin_only),
        (M::GET, "/audit", admin_only),
        (
            M::GET,
            "/patients/{id}/episodes/{episode_id}/treatment-plan",
            read_plans,
        ),
        (
            M::POST,
            "/patients/{id}/episodes/{episode_id}/treatment-plan",
            clinical,
        ),
        (
            M::POST,
            "/patients/{id}/episodes/{episode_id}/treatment-plan/sign",
            sign_plan,
        ),
        (M::GET, "/patients/{id}/notes", clinical),
        (M::POST, "/patients/{id}/notes", clinical),
        (M::GET, "/patients/{id}/notes/{note_id}", clinical),
        (M::POST, "/patients/{id}/notes/{note_id}", note_author),
        (M::POST, "/patients/{id}/notes/{note_id}/cosign", clinical),
        (M::POST, "/patients/{id}/notes/{note_id}/addenda", clinical),
        (M::POST, "/patients/{id}/counseling-notes", clinical),
        (M::GET, "/sessions/{id}/group-note", admin_only),
        (M::POST, "/sessions/{id}/group-note", admin_only),
        (M::POST, "/config/users/supervisor", admin_only),
        (M::POST, "/config/counseling-readers", admin_only),
    ]
}
