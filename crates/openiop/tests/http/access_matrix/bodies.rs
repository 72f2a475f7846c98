//! The world the matrix runs in (a patient, a team, a session, ...) and a valid body for
//! every route that takes one, so that a refusal is the policy's and not the input's.

use super::*;

pub(super) struct Credentials {
    pub(super) token: String,
    pub(super) cookie: String,
    pub(super) csrf: String,
}

pub(super) struct World {
    pub(super) patient: String,
    pub(super) site: String,
    pub(super) track: String,
    /// The care team (kept as is when the matrix replaces it).
    pub(super) team: [String; 2],
    pub(super) episode: String,
    pub(super) alert: String,
    pub(super) inquiry: String,
    pub(super) attachment: String,
    pub(super) program: String,
    pub(super) session: String,
    pub(super) template: String,
    pub(super) feed: String,
    pub(super) medication: String,
    pub(super) drug_test: String,
    pub(super) appointment: String,
    pub(super) note: String,
    /// A user nobody logs in as, whose sessions the matrix may end.
    pub(super) spare: String,
}

pub(super) fn json_body(method: &Method, path: &str, w: &World, n: usize) -> Option<Value> {
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
pub(super) fn placeholder_world() -> World {
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

pub(super) fn form_body(path: &str, w: &World, n: usize, csrf: &str) -> String {
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

pub(super) fn concrete(path: &str, w: &World) -> String {
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
