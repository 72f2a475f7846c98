//! The authorization matrix: every route of the router x every role.
//!
//! The expectation table is checked against `openiop_web::routes::table()`, the list the
//! router is built from: a new route without an entry here fails the test.

use std::collections::BTreeSet;

use openiop_web::Config;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Backend, PASSWORD, TestApp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Admin,
    Clinician,
    /// A clinician with no relationship to the patient.
    Outsider,
    CaseManager,
    FrontDesk,
    Billing,
    /// The patient themselves.
    Patient,
}

const EVERYONE: [Who; 7] = [
    Who::Admin,
    Who::Clinician,
    Who::Outsider,
    Who::CaseManager,
    Who::FrontDesk,
    Who::Billing,
    Who::Patient,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Passes the policy: anything but 401, 403 and 404.
    Allowed,
    Forbidden,
    Hidden,
    /// A public route: reachable without credentials.
    Public,
}

use Expect::*;

fn staff(who: Who) -> Expect {
    if who == Who::Patient {
        Forbidden
    } else {
        Allowed
    }
}

fn admin_only(who: Who) -> Expect {
    if who == Who::Admin {
        Allowed
    } else {
        Forbidden
    }
}

fn register(who: Who) -> Expect {
    if matches!(who, Who::Billing | Who::Patient) {
        Forbidden
    } else {
        Allowed
    }
}

fn read_patient(who: Who) -> Expect {
    if who == Who::Outsider {
        Hidden
    } else {
        Allowed
    }
}

fn admit(who: Who) -> Expect {
    match who {
        Who::Outsider => Hidden,
        Who::Admin | Who::Clinician | Who::FrontDesk => Allowed,
        _ => Forbidden,
    }
}

fn read_team(who: Who) -> Expect {
    match who {
        Who::Outsider => Hidden,
        Who::Billing => Forbidden,
        _ => Allowed,
    }
}

fn edit_team(who: Who) -> Expect {
    match who {
        Who::Outsider => Hidden,
        Who::Admin => Allowed,
        _ => Forbidden,
    }
}

/// Creating sessions: admins, clinicians and the front desk.
fn schedule_staff(who: Who) -> Expect {
    if matches!(who, Who::CaseManager | Who::Billing | Who::Patient) {
        Forbidden
    } else {
        Allowed
    }
}

/// A session's roster: admins, the front desk and its facilitator (the world's session has
/// none).
fn roster(who: Who) -> Expect {
    if matches!(who, Who::Admin | Who::FrontDesk) {
        Allowed
    } else {
        Forbidden
    }
}

/// A patient's calendar feed: those who schedule them, and the patient.
fn calendar_feed(who: Who) -> Expect {
    match who {
        Who::Outsider => Hidden,
        Who::CaseManager | Who::Billing => Forbidden,
        _ => Allowed,
    }
}

/// Plans (intensity, treatment): the care team, case managers and the patient.
fn read_plans(who: Who) -> Expect {
    match who {
        Who::Outsider => Hidden,
        Who::FrontDesk | Who::Billing => Forbidden,
        _ => Allowed,
    }
}

/// Coded diagnoses: the clinical team, and billing.
fn read_diagnoses(who: Who) -> Expect {
    match who {
        Who::Outsider => Hidden,
        Who::Admin | Who::Clinician | Who::Billing => Allowed,
        _ => Forbidden,
    }
}

/// Inquiries: the staff who answer them.
fn read_inquiries(who: Who) -> Expect {
    if matches!(who, Who::Billing | Who::Patient) {
        Forbidden
    } else {
        Allowed
    }
}

/// The clinical record (assessments, placements, alerts): admins and related clinicians.
fn clinical(who: Who) -> Expect {
    match who {
        Who::Outsider => Hidden,
        Who::Admin | Who::Clinician => Allowed,
        _ => Forbidden,
    }
}

/// Changing a note: its author only (the world's note is the care-team clinician's).
fn note_author(who: Who) -> Expect {
    match who {
        Who::Outsider => Hidden,
        Who::Clinician => Allowed,
        _ => Forbidden,
    }
}

/// Signing a treatment plan: staff who write plans, and the patient (as themselves).
fn sign_plan(who: Who) -> Expect {
    match who {
        Who::Outsider => Hidden,
        Who::Admin | Who::Clinician | Who::Patient => Allowed,
        _ => Forbidden,
    }
}

/// Lists of the caller's own clinical work: admins and clinicians.
fn clinicians(who: Who) -> Expect {
    if matches!(who, Who::Admin | Who::Clinician | Who::Outsider) {
        Allowed
    } else {
        Forbidden
    }
}

/// The review of an emergency item (admin only; the matrix names none that exists, so the
/// admin gets 404).
fn review_queue(who: Who) -> Expect {
    if who == Who::Admin { Hidden } else { Forbidden }
}

/// The whole record: the patient themselves, or an admin; to anyone else it does not exist.
fn own_record(who: Who) -> Expect {
    if matches!(who, Who::Admin | Who::Patient) {
        Allowed
    } else {
        Hidden
    }
}

/// A packet the matrix names but that does not exist: 404 for those who may read packets.
fn no_such_packet(who: Who) -> Expect {
    match who {
        Who::Admin | Who::Clinician | Who::Outsider => Hidden,
        _ => Forbidden,
    }
}

/// Revoking a consent the matrix names but that does not exist: 404 for those who may revoke
/// (the front desk records the written revocation), as for an id under another patient.
fn no_such_consent(who: Who) -> Expect {
    match who {
        Who::Admin | Who::Clinician | Who::FrontDesk | Who::Outsider => Hidden,
        _ => Forbidden,
    }
}

/// Amendment requests: everyone who reaches the patient but billing, the patient included.
fn read_amendments(who: Who) -> Expect {
    match who {
        Who::Outsider => Hidden,
        Who::Billing => Forbidden,
        _ => Allowed,
    }
}

/// Asking for an amendment: the patient, or staff writing the request down (not case
/// managers or billing).
fn request_amendment(who: Who) -> Expect {
    match who {
        Who::Outsider => Hidden,
        Who::CaseManager | Who::Billing => Forbidden,
        _ => Allowed,
    }
}

/// A statement of disagreement on a request the matrix names but that does not exist: 404
/// for those who may file one.
fn no_such_request(who: Who) -> Expect {
    match who {
        Who::CaseManager | Who::Billing => Forbidden,
        _ => Hidden,
    }
}

/// Adding a contact: everyone who writes contacts (billing does not).
fn edit_contacts(who: Who) -> Expect {
    match who {
        Who::Outsider => Hidden,
        Who::Billing => Forbidden,
        _ => Allowed,
    }
}

/// Removing a contact the matrix names but that does not exist.
fn no_such_contact(who: Who) -> Expect {
    if who == Who::Billing {
        Forbidden
    } else {
        Hidden
    }
}

/// Someone else's notification (the matrix names one that is nobody's): 404 for all.
fn nobody_elses(_: Who) -> Expect {
    Hidden
}

fn everyone(_: Who) -> Expect {
    Allowed
}

fn public(_: Who) -> Expect {
    Public
}

/// What each route must answer each caller.
/// A route's rule: what each caller must get.
type Rule = fn(Who) -> Expect;

fn expectations() -> Vec<(Method, &'static str, Rule)> {
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

struct Credentials {
    token: String,
    cookie: String,
    csrf: String,
}

struct World {
    patient: String,
    site: String,
    track: String,
    /// The care team (kept as is when the matrix replaces it).
    team: [String; 2],
    episode: String,
    alert: String,
    inquiry: String,
    attachment: String,
    program: String,
    session: String,
    template: String,
    feed: String,
    medication: String,
    drug_test: String,
    appointment: String,
    note: String,
    /// A user nobody logs in as, whose sessions the matrix may end.
    spare: String,
}

fn json_body(method: &Method, path: &str, w: &World, n: usize) -> Option<Value> {
    if *method == Method::GET {
        return None;
    }
    Some(match path {
        "/api/v1/auth/login" => json!({"username": "admin", "password": "Admin-Password-1"}),
        "/api/v1/auth/mfa/confirm" => json!({"totp": "000000"}),
        "/api/v1/instruments/{code}/score" => json!({"answers": [0, 0, 0, 0, 0, 0, 0, 0, 0]}),
        "/api/v1/patients/{id}/assessments" => {
            json!({"code": "gad7", "answers": [1, 1, 1, 1, 1, 0, 0]})
        }
        "/api/v1/alerts/{id}/acknowledge" => json!({"action": "safety_planning"}),
        "/api/v1/inquiries/{id}/moves" => json!({"to": "contacted"}),
        "/api/v1/inquiries/{id}/assignment" => json!({"next_step": "Call back"}),
        "/api/v1/inquiries/{id}/evaluation" => {
            json!({"at": "2026-12-01T10:00:00-06:00", "staff_id": w.team[0]})
        }
        "/api/v1/inquiries/{id}/admission" => {
            json!({"track_id": w.track, "admitted_on": "2026-01-05", "consents": {}})
        }
        "/api/v1/patients/{id}/merge" => json!({"duplicate_id": "not-an-id"}),
        "/api/v1/patients/{id}/consents" => {
            json!({"kind": "patient_rights", "acknowledged_on": "2026-01-05"})
        }
        "/api/v1/patients/{id}/medical-evaluations" => {
            json!({"pregnancy": "unknown", "medically_cleared": true})
        }
        "/api/v1/patients/{id}/episodes/{episode_id}/diagnoses" => {
            json!({"code": "F11.20", "description": "Opioid use disorder, moderate"})
        }
        "/api/v1/schedule/solve" => json!({"sessions": [], "patients": []}),
        "/api/v1/sessions" => {
            json!({"track_id": w.track, "kind": "skills", "title": format!("Skills {n}"),
            "starts_at": "2026-11-24T18:00:00-06:00", "ends_at": "2026-11-24T20:00:00-06:00", "capacity": 10})
        }
        "/api/v1/sessions/{id}/enrollments" => json!({"patient_id": w.patient}),
        "/api/v1/session-templates" => {
            json!({"track_id": w.track, "kind": "skills", "title": "Skills", "weekday": "wed", "start": "18:00", "minutes": 90, "capacity": 10})
        }
        "/api/v1/session-templates/{id}/expand" => {
            json!({"from": "2026-11-02", "to": "2026-11-15"})
        }
        "/api/v1/sessions/{id}/attendance" => json!({"patient_id": w.patient, "status": "present"}),
        "/api/v1/appointments" => {
            json!({"patient_id": w.patient, "clinician_id": w.team[0], "kind": "individual",
            "starts_at": format!("2026-12-{:02}T10:00:00Z", 1 + n % 28), "ends_at": format!("2026-12-{:02}T10:50:00Z", 1 + n % 28)})
        }
        "/api/v1/check-in" => {
            json!({"code": "ABC234", "family_name": "Nobody", "birth_date": "1990-01-01"})
        }
        "/api/v1/patients/{id}/medications" => {
            json!({"name": "Buprenorphine/naloxone", "dose": "8/2 mg daily", "started_on": "2026-11-02"})
        }
        "/api/v1/patients/{id}/medications/{medication_id}/stop" => {
            json!({"stopped_on": "2026-11-20"})
        }
        "/api/v1/drug-panels" => {
            json!({"name": format!("Panel {n}"), "analytes": ["fentanyl", "buprenorphine"]})
        }
        "/api/v1/patients/{id}/drug-tests" => {
            json!({"specimen": "urine", "observed": true, "collected_at": "2026-11-20T09:00:00Z", "source": "lab",
            "results": [{"analyte": "fentanyl", "outcome": "negative"}]})
        }
        "/api/v1/patients/{id}/drug-tests/{test_id}/results/{analyte}/review" => {
            json!({"review": "confirmed"})
        }
        "/api/v1/patients/{id}/testing-draws" => json!({"week": "2026-W49"}),
        "/api/v1/patients/{id}/safety-plan" => {
            json!({"warning_signs": ["Not sleeping"], "internal_coping": ["Walk"], "distractions": [],
            "help_contacts": [{"name": "Sister", "phone": "555 0100"}], "professionals": [], "environment": ["Lock meds"],
            "reasons_for_living": ["Kids"]})
        }
        "/api/v1/patients/{id}/relapse-prevention-plan" => {
            json!({"trigger_people": ["Old friends"], "trigger_places": [], "trigger_feelings": [], "trigger_times": [],
            "warning_signs": [], "coping": ["Call sponsor"], "support_contacts": [], "craving_plan": "Wait 20 minutes"})
        }
        "/api/v1/rooms" => json!({"site_id": w.site, "name": format!("Room {n}"), "capacity": 12}),
        "/api/v1/patients/{id}/notes" => {
            json!({"session_id": w.appointment, "format": "soap", "sections": {"subjective": "Feels steadier"}})
        }
        "/api/v1/patients/{id}/notes/{note_id}" => json!({"sections": {"data": "Draft"}}),
        "/api/v1/patients/{id}/notes/{note_id}/addenda" => json!({"text": "Addendum"}),
        "/api/v1/patients/{id}/counseling-notes" => json!({"text": "Process note"}),
        "/api/v1/patients/{id}/check-ins" => json!({"mood": 6, "craving": 2, "used": false}),
        "/api/v1/patients/{id}/part2-consents" => {
            json!({"kind": "tpo", "disclosing_party": "Matrix IOP",
            "information": "Diagnoses and attendance", "recipients": [{"name": "My health plan"}], "purpose": "Payment",
            "expires": "none", "revocation_explained": true, "treatment_conditioned": false,
            "signatures": [{"name": "Matrix Patient", "role": "patient", "signed_on": "2026-11-02"}]})
        }
        "/api/v1/patients/{id}/part2-consents/{consent_id}/revoke" => json!({"note": "Letter"}),
        "/api/v1/patients/{id}/contacts" => json!({"name": "Rosa Diaz", "role": "guardian"}),
        "/api/v1/retention/disposals" => {
            json!({"patient_ids": [w.patient], "method": "Deleted", "approved_by": "Dana"})
        }
        "/api/v1/breaches" => {
            json!({"description": "Laptop left unlocked", "discovered_on": "2026-11-20",
            "window_from": "2026-11-19T08:00:00Z", "window_to": "2026-11-19T18:00:00Z"})
        }
        "/api/v1/breaches/{id}/assessment" => {
            json!({"status": "not_a_breach", "assessment": "Nothing was viewed"})
        }
        "/api/v1/patients/{id}/amendment-requests" => json!({"information": "My phone number",
            "requested_change": "It is 555-0101", "reason": "It changed"}),
        "/api/v1/patients/{id}/amendment-requests/{request_id}/decision" => {
            json!({"decision": "denied", "basis": "accurate_and_complete", "note": "Checked"})
        }
        "/api/v1/patients/{id}/amendment-requests/{request_id}/disagreement" => {
            json!({"statement": "I disagree"})
        }
        "/api/v1/patients/{id}/disclosures" => {
            json!({"consent_id": "0193a3c2-0000-7000-8000-000000000002",
            "recipient": "My health plan", "purpose": "Payment", "parts": ["diagnoses"]})
        }
        "/api/v1/patients/{id}/crisis-events" => {
            json!({"kind": "return_to_use", "severity": "moderate", "description": "Used after a funeral", "actions_taken": "Reviewed the relapse plan"})
        }
        "/api/v1/patients/{id}/crisis-events/{event_id}/resolve" => json!({"resolution": "Stable"}),
        // Too short to break the glass: the matrix must not open the chart to the outsider.
        "/api/v1/patients/{id}/emergency-access" => json!({"reason": "short"}),
        "/api/v1/emergency-access/{id}/review" | "/api/v1/emergency-disclosures/{id}/review" => {
            json!({"note": "Reviewed"})
        }
        "/api/v1/patients/{id}/emergency-disclosures" => {
            json!({"recipient_name": "Dr. Osei", "recipient_facility": "Mercy ED", "nature_of_emergency": "Unresponsive after overdose",
            "information": "Current medications"})
        }
        // Never the right current password: the matrix's logins must keep working.
        "/api/v1/auth/password" => {
            json!({"current_password": "not-the-password", "new_password": "a long new pass phrase"})
        }
        "/api/v1/users/{user_id}/supervisor" => json!({"supervisor_id": null}),
        "/api/v1/patients/{id}/episodes/{episode_id}/treatment-plan" => {
            json!({"strengths": ["Humour"]})
        }
        "/api/v1/patients/{id}/episodes/{episode_id}/treatment-plan/versions/{version}/sign" => {
            json!({"as": "patient", "signature": "Matrix Patient"})
        }
        "/api/v1/counseling-note-readers" => json!({"user_ids": []}),
        // Never true here: the matrix's own users have no second factor.
        "/api/v1/organization/security" => json!({"mfa_required": false}),
        "/api/v1/patients/{id}/availability" => {
            json!({"windows": [{"day": "mon", "start": "17:00", "end": "22:00"}]})
        }
        "/api/v1/patients/{id}/episodes/{episode_id}/intensity-plan" => {
            json!({"steps": [{"from_week": 1, "phase": "engagement", "target_hours": 9, "min_days": 3}]})
        }
        "/api/v1/curriculum/{phase}" => json!({"topics": ["Welcome", "The disease model"]}),
        "/api/v1/sud-severity" => {
            json!({"substance": "alcohol", "criteria": [false, false, false, false, false, false, false, false, false, false, false]})
        }
        "/api/v1/placement" | "/api/v1/patients/{id}/episodes/{episode_id}/placements" => {
            json!({"age": 30,
            "dimensions": {"withdrawal": 0, "biomedical": 0, "emotional": 1, "readiness": 1, "relapse": 2, "environment": 1},
            "suicide_risk": "none", "factors": []})
        }
        "/api/v1/sites" => json!({"name": format!("Site {n}"), "time_zone": "UTC"}),
        "/api/v1/tracks" => {
            json!({"site_id": w.site, "name": format!("Track {n}"), "level": "op", "target_hours": 3, "min_days": 1, "age_group": "adult"})
        }
        "/api/v1/users" => {
            json!({"username": format!("made{n}"), "password": PASSWORD, "role": "billing"})
        }
        "/api/v1/patients" => {
            json!({"given_name": "New", "family_name": format!("Patient{n}"), "birth_date": "1990-01-01"})
        }
        "/api/v1/patients/{id}/episodes" => {
            json!({"track_id": w.track, "admitted_on": "2026-01-01"})
        }
        "/api/v1/patients/{id}/care-team" => json!({"user_ids": w.team}),
        _ => json!({}),
    })
}

/// A world with no ids, for bodies that name none.
fn placeholder_world() -> World {
    World {
        patient: String::new(),
        site: String::new(),
        track: String::new(),
        team: [String::new(), String::new()],
        episode: String::new(),
        inquiry: String::new(),
        attachment: String::new(),
        program: String::new(),
        alert: String::new(),
        session: String::new(),
        template: String::new(),
        feed: String::new(),
        medication: String::new(),
        drug_test: String::new(),
        appointment: String::new(),
        note: String::new(),
        spare: String::new(),
    }
}

fn form_body(path: &str, w: &World, n: usize, csrf: &str) -> String {
    let fields = match path {
        "/login" => "username=admin&password=x".to_owned(),
        "/setup" => "username=late&password=Late-Password-1".to_owned(),
        "/patients" => format!("given_name=Form&family_name=Patient{n}&birth_date=1990-01-01"),
        "/patients/{id}/episodes" => format!("track_id={}&admitted_on=2026-01-01", w.track),
        "/alerts/{id}/acknowledge" => "action=safety_planning".to_owned(),
        "/admissions/{id}/move" => "to=screening".to_owned(),
        "/patients/{id}/medical-evaluation" => "pregnancy=unknown&medically_cleared=yes&pulse=80".to_owned(),
        "/patients/{id}/episodes/{episode_id}/diagnoses" => "code=F10.20&description=Alcohol+use+disorder".to_owned(),
        "/sud-severity" => "c0=yes&c1=yes".to_owned(),
        "/patients/{id}/merge" => "duplicate_id=nope".to_owned(),
        "/patients/{id}/episodes/{episode_id}/placement" | "/patients/{id}/episodes/{episode_id}/placement/preview" => {
            "withdrawal=0&biomedical=0&emotional=0&readiness=0&relapse=2&environment=0&suicide_risk=none".to_owned()
        }
        "/admissions/{id}/assign" => "next_step=Call".to_owned(),
        "/admissions/{id}/evaluation" => "at=2026-12-01T10:00".to_owned(),
        "/admissions/{id}/admit" => "given_name=A".to_owned(),
        "/patients/{id}/assessments" | "/patients/{id}/assessments/preview" => {
            "a0=1&a1=1".to_owned()
        }
        "/patients/{id}/care-team" => format!("user_ids={}&user_ids={}", w.team[0], w.team[1]),
        "/config/sites" => format!("name=FormSite{n}&time_zone=UTC"),
        "/config/tracks" => format!(
            "site_id={}&name=FormTrack{n}&level=op&target_hours=3&min_days=1&age_group=adult",
            w.site
        ),
        "/config/users" => format!("username=form{n}&password={PASSWORD}&role=billing"),
        "/sessions/{id}/marks" => format!("patient_id={}&status=present", w.patient),
        "/schedule/build" | "/schedule/build/apply" => "week=2026-W49".to_owned(),
        "/sessions" => format!(
            "track_id={}&kind=skills&title=Form+skills&at=2027-01-{:02}T10:00&minutes=60&capacity=10",
            w.track,
            1 + n % 28
        ),
        "/session-templates" => format!(
            "track_id={}&kind=skills&title=Weekly&weekday=fri&start=07:00&minutes=30&capacity=10&from=2027-02-01&to=2027-02-07",
            w.track
        ),
        "/patients/{id}/medications" => "name=Acamprosate&dose=666+mg+tid&started_on=2026-11-02".to_owned(),
        "/patients/{id}/medications/{medication_id}/stop" => "stopped_on=2026-11-22".to_owned(),
        "/patients/{id}/drug-tests" => "specimen=breath&collected_at=2026-11-20T09:00&source=lab&analyte0=alcohol&outcome0=negative".to_owned(),
        "/patients/{id}/drug-tests/{test_id}/review" => "analyte=fentanyl&review=confirmed".to_owned(),
        "/patients/{id}/testing-draws" => "week=2026-W50".to_owned(),
        "/patients/{id}/safety-plan" => "warning_signs=Not+sleeping&internal_coping=Walk&help_contacts=Sister%2C+555+0100&environment=Lock+meds".to_owned(),
        "/patients/{id}/relapse-prevention-plan" => "trigger_places=Bar&coping=Call+sponsor&craving_plan=Wait".to_owned(),
        "/config/rooms" => format!("site_id={}&name=FormRoom{n}&capacity=10", w.site),
        "/config/curriculum" => "phase=engagement&topics=Welcome%0AThe+disease+model".to_owned(),
        "/patients/{id}/availability" => "day0=mon&start0=17:00&end0=22:00".to_owned(),
        "/patients/{id}/episodes/{episode_id}/intensity-plan" => {
            "from_week0=1&phase0=engagement&target_hours0=9&min_days0=3".to_owned()
        }
        "/patients/{id}/appointments" => format!(
            "kind=individual&clinician_id={}&at=2026-12-{:02}T09:00&minutes=50",
            w.team[0],
            1 + n % 28
        ),
        "/check-in" => "code=ZZZZZZ&family_name=Nobody&birth_date=1990-01-01".to_owned(),
        "/patients/{id}/notes" => format!("session_id={}&format=birp", w.appointment),
        "/patients/{id}/notes/{note_id}" => "action=save&data=Draft+text".to_owned(),
        "/patients/{id}/notes/{note_id}/addenda" => "text=Addendum".to_owned(),
        "/patients/{id}/counseling-notes" => "text=Process+note".to_owned(),
        "/patients/{id}/check-ins" => "mood=5&craving=4&used=no".to_owned(),
        "/patients/{id}/crisis-events" => "kind=other&severity=low&description=Argument&actions_taken=Talked+it+through".to_owned(),
        "/patients/{id}/crisis-events/{event_id}/resolve" => "resolution=Calm".to_owned(),
        "/emergency-access" => format!("patient_id={}&reason=short", w.patient),
        "/emergency-access/{id}/review" | "/emergency-disclosures/{id}/review" => "note=Reviewed".to_owned(),
        "/patients/{id}/part2-consents" => "kind=specific&disclosing_party=Riverside&information=Attendance&recipients=Rosa&purpose=Support&expires=2027-06-01&revocation_explained=yes&patient_signature=Matrix+Patient&signed_on=2026-11-20&parts=attendance".to_owned(),
        "/patients/{id}/part2-consents/{consent_id}/revoke" => "note=Letter".to_owned(),
        "/patients/{id}/disclosures" => "consent_id=0193a3c2-0000-7000-8000-000000000002&recipient=Rosa&purpose=Support&parts=attendance".to_owned(),
        "/patients/{id}/contacts" => "name=Rosa+Diaz&role=guardian".to_owned(),
        "/patients/{id}/amendment-requests" => "information=Phone&requested_change=New&reason=Moved".to_owned(),
        "/patients/{id}/amendment-requests/{request_id}/decision" => "decision=accepted&note=Done".to_owned(),
        "/patients/{id}/amendment-requests/{request_id}/disagreement" => "statement=No".to_owned(),
        "/breaches" => "description=Laptop&discovered_on=2026-11-20&window_from=2026-11-19T08:00&window_to=2026-11-19T18:00".to_owned(),
        "/breaches/{id}/assessment" => "status=not_a_breach&assessment=Nothing+viewed".to_owned(),
        "/retention/disposals" => format!("patient_ids={}&method=Deleted&approved_by=Dana", w.patient),
        "/patients/{id}/emergency-disclosures" => "recipient_name=Dr+Osei&recipient_facility=Mercy+ED&nature_of_emergency=Unresponsive+after+overdose&information=Medications".to_owned(),
        "/sessions/{id}/group-note" => "action=save&topic=Coping".to_owned(),
        "/config/users/supervisor" => format!("user_id={}&supervisor_id=", w.team[0]),
        "/config/counseling-readers" => String::new(),
        "/account/security/confirm" => "totp=000000".to_owned(),
        "/account/password" => "current_password=not-it&new_password=a+long+new+pass+phrase".to_owned(),
        "/patients/{id}/episodes/{episode_id}/treatment-plan" => "strengths=Humour".to_owned(),
        "/patients/{id}/episodes/{episode_id}/treatment-plan/sign" => "version=1&as=patient&signature=Matrix+Patient".to_owned(),
        _ => String::new(),
    };
    format!("csrf={csrf}&{fields}")
}

fn concrete(path: &str, w: &World) -> String {
    let id = if path.starts_with("/api/v1/alerts/") || path.starts_with("/alerts/") {
        &w.alert
    } else if path.starts_with("/api/v1/session-templates/") {
        &w.template
    } else if path.starts_with("/api/v1/sessions/") || path.starts_with("/sessions/") {
        &w.session
    } else if path.starts_with("/api/v1/calendar-feeds/") || path.starts_with("/calendar-feeds/") {
        &w.feed
    } else if path.starts_with("/api/v1/programs/") {
        &w.program
    } else if path.starts_with("/api/v1/inquiries/") || path.starts_with("/admissions/") {
        &w.inquiry
    } else {
        &w.patient
    };
    let user = if path.contains("revoke") {
        &w.spare
    } else {
        &w.team[0]
    };
    path.replace("{id}", id)
        .replace("{attachment_id}", &w.attachment)
        .replace("{file}", "app.css")
        .replace("{code}", "phq9")
        .replace("{episode_id}", &w.episode)
        .replace("{phase}", "engagement")
        .replace("{medication_id}", &w.medication)
        .replace("{test_id}", &w.drug_test)
        .replace("{analyte}", "fentanyl")
        .replace("{week}", "2026-W49")
        .replace("{secret}", "not-a-feed.ics")
        .replace("{note_id}", &w.note)
        .replace("{user_id}", user)
        .replace("{version}", "1")
        .replace("{event_id}", "0193a3c2-0000-7000-8000-000000000000")
        .replace("{consent_id}", "0193a3c2-0000-7000-8000-000000000001")
        .replace("{disclosure_id}", "0193a3c2-0000-7000-8000-000000000003")
        .replace("{request_id}", "0193a3c2-0000-7000-8000-000000000004")
        .replace("{contact_id}", "0193a3c2-0000-7000-8000-000000000005")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_times_every_role() {
    // The table covers exactly the router's routes.
    let routed: BTreeSet<(String, String)> = openiop_web::routes::table()
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_owned()))
        .collect();
    let expected: BTreeSet<(String, String)> = expectations()
        .iter()
        .map(|(m, p, _)| (m.to_string(), (*p).to_owned()))
        .collect();
    assert_eq!(
        routed, expected,
        "every route needs an entry in the authorization matrix (and no stale ones)"
    );

    let mut config = Config::default();
    config.login.address_limit = 10_000;
    let app = TestApp::start_with(Backend::Sqlite, config).await;
    let admin = app.admin().await;
    let track = app.track(&admin, "Matrix IOP").await;
    let site = app.get("/api/v1/sites", &admin).await.1["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.user(&admin, "m.clinician", "clinician", None).await;
    app.user(&admin, "m.outsider", "clinician", None).await;
    app.user(&admin, "m.case", "case_manager", None).await;
    app.user(&admin, "m.desk", "front_desk", None).await;
    app.user(&admin, "m.billing", "billing", None).await;
    let clinician = app.login("m.clinician", PASSWORD).await;
    let patient = app.patient(&clinician, "Matrix", "Patient").await;
    let clinician_id = app.get("/api/v1/auth/me", &clinician).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let case_id = app.get("/api/v1/users", &admin).await.1["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "m.case")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/patients/{patient}/care-team"),
            Some(&admin),
            Some(json!({"user_ids": [&clinician_id, &case_id]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.user(&admin, "m.patient", "patient", Some(&patient))
        .await;
    let (status, episode) = app
        .post(
            &format!("/api/v1/patients/{patient}/episodes"),
            &clinician,
            json!({"track_id": track, "admitted_on": "2026-01-05"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, assessment) = app
        .post(
            &format!("/api/v1/patients/{patient}/assessments"),
            &clinician,
            json!({"code": "phq9", "answers": [0, 0, 0, 0, 0, 0, 0, 0, 1]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, inquiry) = app
        .multipart(
            "/api/v1/inquiries",
            &[
                ("contact", None, b"me@example.org".to_vec()),
                ("attachments", Some("a.pdf"), crate::inquiries::pdf()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let inquiry = inquiry["id"].as_str().unwrap().to_owned();
    let (_, detail) = app
        .get(&format!("/api/v1/inquiries/{inquiry}"), &admin)
        .await;
    let attachment = detail["attachments"][0]["id"].as_str().unwrap().to_owned();
    let session_body = json!({"track_id": track, "kind": "group_therapy", "title": "CBT group",
        "starts_at": "2026-11-23T18:00:00-06:00", "ends_at": "2026-11-23T21:00:00-06:00", "capacity": 12});
    let session_id = app.post("/api/v1/sessions", &admin, session_body).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = app
        .post(
            &format!("/api/v1/sessions/{session_id}/enrollments"),
            &admin,
            json!({"patient_id": patient}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let plan = json!({"steps": [{"from_week": 1, "phase": "engagement", "target_hours": 9, "min_days": 3}]});
    let (status, _) = app
        .call(
            Method::PUT,
            &format!(
                "/api/v1/patients/{patient}/episodes/{}/intensity-plan",
                episode["id"].as_str().unwrap()
            ),
            Some(&admin),
            Some(plan),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, feed) = app
        .post(
            &format!("/api/v1/patients/{patient}/calendar-feeds"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{feed}");
    let feed = feed["id"].as_str().unwrap().to_owned();
    let (status, medication) = app
        .post(
            &format!("/api/v1/patients/{patient}/medications"),
            &admin,
            json!({"name": "Naltrexone", "dose": "50 mg daily", "started_on": "2026-11-02"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{medication}");
    let medication = medication["id"].as_str().unwrap().to_owned();
    let (status, drug_test) = app
        .post(
            &format!("/api/v1/patients/{patient}/drug-tests"),
            &admin,
            json!({"specimen": "urine", "observed": false, "collected_at": "2026-11-19T09:00:00Z", "source": "point_of_care",
                "results": [{"analyte": "fentanyl", "outcome": "positive"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{drug_test}");
    let drug_test = drug_test["id"].as_str().unwrap().to_owned();
    // The world's patient has both care documents, so reading them answers 200.
    for kind in ["safety-plan", "relapse-prevention-plan"] {
        let path = format!("/api/v1/patients/{patient}/{kind}");
        let body = json_body(
            &Method::PUT,
            &format!("/api/v1/patients/{{id}}/{kind}"),
            &placeholder_world(),
            0,
        );
        let (status, saved) = app.call(Method::PUT, &path, Some(&admin), body).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
    }
    let template_body = json!({"track_id": track, "kind": "skills", "title": "Skills", "weekday": "tue", "start": "18:00", "minutes": 90, "capacity": 10});
    let template_id = app
        .post("/api/v1/session-templates", &admin, template_body)
        .await
        .1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, appointment) = app
        .post(
            "/api/v1/appointments",
            &admin,
            json!({"patient_id": patient, "clinician_id": clinician_id, "kind": "individual",
                "starts_at": "2026-11-18T15:00:00Z", "ends_at": "2026-11-18T15:50:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{appointment}");
    let appointment = appointment["id"].as_str().unwrap().to_owned();
    let (status, note) = app
        .post(
            &format!("/api/v1/patients/{patient}/notes"),
            &clinician,
            json!({"session_id": appointment, "format": "dap"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{note}");
    let note = note["id"].as_str().unwrap().to_owned();
    // The world's episode has a treatment plan, so reading it answers 200.
    let (status, plan) = app
        .call(
            Method::PUT,
            &format!(
                "/api/v1/patients/{patient}/episodes/{}/treatment-plan",
                episode["id"].as_str().unwrap()
            ),
            Some(&admin),
            Some(json!({"strengths": ["Curious"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    let spare = app.user(&admin, "m.spare", "front_desk", None).await;
    let world = World {
        spare,
        appointment,
        note,
        patient,
        site,
        track,
        team: [clinician_id, case_id],
        episode: episode["id"].as_str().unwrap().to_owned(),
        inquiry,
        attachment,
        program: app.get("/api/v1/programs", &admin).await.1["items"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        alert: assessment["alert_id"]
            .as_str()
            .expect("a crisis alert")
            .to_owned(),
        session: session_id,
        template: template_id,
        feed,
        medication,
        drug_test,
    };

    let mut creds = Vec::new();
    for who in EVERYONE {
        let (name, pass) = match who {
            Who::Admin => ("admin", "Admin-Password-1"),
            Who::Clinician => ("m.clinician", PASSWORD),
            Who::Outsider => ("m.outsider", PASSWORD),
            Who::CaseManager => ("m.case", PASSWORD),
            Who::FrontDesk => ("m.desk", PASSWORD),
            Who::Billing => ("m.billing", PASSWORD),
            Who::Patient => ("m.patient", PASSWORD),
        };
        let (status, body, cookie) = app.login_full(name, pass).await;
        assert_eq!(status, StatusCode::OK);
        creds.push((
            who,
            Credentials {
                token: body["token"].as_str().unwrap().to_owned(),
                cookie: cookie.unwrap(),
                csrf: body["csrf_token"].as_str().unwrap().to_owned(),
            },
        ));
    }

    // Logouts go last: they end the sessions the other requests use.
    let mut table = expectations();
    table.sort_by_key(|(_, p, _)| p.ends_with("logout"));
    let mut failures = Vec::new();
    let mut n = 0;
    for (method, path, rule) in &table {
        let url = app.url(&concrete(path, &world));
        let is_api = path.starts_with("/api/") || *path == "/healthz" || *path == "/readyz";
        // Without credentials.
        let anonymous = app.http.request(method.clone(), &url);
        let anonymous = if is_api {
            match json_body(method, path, &world, 0) {
                Some(b) => anonymous.json(&b),
                None => anonymous,
            }
        } else if *method == Method::POST {
            anonymous
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form_body(path, &world, 0, ""))
        } else {
            anonymous
        };
        let resp = anonymous.send().await.unwrap();
        let status = resp.status();
        let to_login = resp
            .headers()
            .get("location")
            .is_some_and(|l| l == "/login");
        if rule(Who::Admin) == Public {
            if status == StatusCode::UNAUTHORIZED || to_login {
                failures.push(format!(
                    "{method} {path} anonymous: public route answered {status}"
                ));
            }
        } else if is_api && status != StatusCode::UNAUTHORIZED {
            failures.push(format!(
                "{method} {path} anonymous: expected 401, got {status}"
            ));
        } else if !is_api && !to_login {
            failures.push(format!(
                "{method} {path} anonymous: expected a redirect to /login, got {status}"
            ));
        }
        // As each role.
        for (who, c) in &creds {
            n += 1;
            let expect = rule(*who);
            let req = app.http.request(method.clone(), &url);
            let req = if is_api {
                let req = req.bearer_auth(&c.token);
                match json_body(method, path, &world, n) {
                    Some(b) => req.json(&b),
                    None => req,
                }
            } else {
                let req = req.header("cookie", &c.cookie);
                if *method == Method::POST {
                    req.header("content-type", "application/x-www-form-urlencoded")
                        .body(form_body(path, &world, n, &c.csrf))
                } else {
                    req
                }
            };
            let resp = req.send().await.unwrap();
            let status = resp.status();
            let to_login = resp
                .headers()
                .get("location")
                .is_some_and(|l| l == "/login")
                && !path.ends_with("logout");
            // Whatever the route (lists, bulk operations, pages), a response never names a
            // patient the caller may not see: the outsider never reads the world's patient.
            let text = resp.text().await.unwrap_or_default();
            if *who == Who::Outsider
                && (text.contains(&world.patient)
                    || text.contains("Matrix Patient")
                    || text.contains("Patient, Matrix"))
            {
                failures.push(format!(
                    "{method} {path} as {who:?}: the response names a patient the caller may not see"
                ));
            }
            let ok = match expect {
                Allowed => {
                    !matches!(status.as_u16(), 401 | 403 | 404)
                        && !to_login
                        && !status.is_server_error()
                }
                Forbidden => status == StatusCode::FORBIDDEN,
                Hidden => status == StatusCode::NOT_FOUND,
                Public => status != StatusCode::UNAUTHORIZED && !status.is_server_error(),
            };
            if !ok {
                failures.push(format!(
                    "{method} {path} as {who:?}: expected {expect:?}, got {status}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorization matrix failures:\n{}",
        failures.join("\n")
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_forms_need_their_csrf_token() {
    let app = TestApp::start(Backend::Sqlite).await;
    let (_, body, cookie) = app.login_full("admin", "Admin-Password-1").await;
    let cookie = cookie.unwrap();
    let post = |csrf: String| {
        app.http
            .post(app.url("/patients"))
            .header("cookie", cookie.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "csrf={csrf}&given_name=C&family_name=Srf&birth_date=1990-01-01"
            ))
            .send()
    };
    assert_eq!(
        post("forged".into()).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(String::new()).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.count("patients").await, 0);
    // Every other form of the router refuses a forged token the same way.
    let forms: Vec<&str> = openiop_web::routes::table()
        .iter()
        .filter(|r| {
            r.method.as_str() == "POST"
                && !r.path.starts_with("/api/")
                && matches!(r.reach, openiop_web::routes::Reach::User)
        })
        .map(|r| r.path)
        .collect();
    assert!(forms.len() > 20);
    for path in forms {
        let url = app.url(
            &path
                .replace("{id}", &uuid::Uuid::now_v7().to_string())
                .replace("{episode_id}", "x"),
        );
        let status = app
            .http
            .post(url)
            .header("cookie", cookie.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body("csrf=forged&week=2026-W49")
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{path} accepted a forged CSRF token"
        );
    }
    let ok = post(body["csrf_token"].as_str().unwrap().to_owned())
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("patients").await, 1);
    app.stop().await;
}

/// A patient account reaches only its own record: every readable route about a patient,
/// tried with every other patient's id, answers 404; a search finds only themselves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_reaches_only_their_own_record() {
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.admin().await;
    let me = app.patient(&admin, "Mia", "Self").await;
    let mut others = Vec::new();
    for family in ["Other", "Another", "Third"] {
        others.push(app.patient(&admin, "Oli", family).await);
    }
    app.user(&admin, "mia", "patient", Some(&me)).await;
    let (status, _, cookie) = app.login_full("mia", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let token = app.login("mia", PASSWORD).await;
    let cookie = cookie.unwrap();
    let routes: Vec<&'static str> = openiop_web::routes::table()
        .iter()
        .filter(|r| r.method == Method::GET && r.path.contains("/patients/{id}"))
        .map(|r| r.path)
        .collect();
    assert!(routes.len() > 30, "{}", routes.len());
    let get = |path: &str, id: &str| {
        let url = app.url(
            &path
                .replace("{id}", id)
                .replace("{episode_id}", &uuid::Uuid::now_v7().to_string())
                .replace("{note_id}", &uuid::Uuid::now_v7().to_string())
                .replace("{disclosure_id}", &uuid::Uuid::now_v7().to_string()),
        );
        let req = if path.starts_with("/api/") {
            app.http.get(url).bearer_auth(&token)
        } else {
            app.http.get(url).header("cookie", &cookie)
        };
        async move { req.send().await.unwrap().status() }
    };
    let mut tried = 0;
    for path in &routes {
        // What a patient who does not exist gets: the others must get exactly that (404, or
        // 403 for an action the role never has), so nothing tells them apart.
        let nobody = get(path, &uuid::Uuid::now_v7().to_string()).await;
        assert!(
            matches!(nobody, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
            "GET {path} for nobody: {nobody}"
        );
        for other in &others {
            let status = get(path, other).await;
            assert_eq!(status, nobody, "GET {path} for another patient");
            tried += 1;
        }
    }
    let (_, found) = app.get("/api/v1/patients?q=o", &token).await;
    let ids: Vec<&str> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert!(ids.iter().all(|id| *id == me), "{ids:?}");
    eprintln!(
        "patient isolation: {tried} requests for other patients' records, each answered as for a patient who does not exist"
    );
    app.stop().await;
}
