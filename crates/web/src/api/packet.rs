//! What a disclosure hands over, in two forms: a printable HTML packet and a FHIR R4 Bundle.
//! Both carry the 42 CFR 2.32 notice and a copy of the consent, and only the parts of the
//! record the disclosure released; the bundle is labelled with the Part 2 security labels.

use crate::ids::Ids;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use openiop_core::access::{Access, Part};
use openiop_core::consent::{self, Consent};
use openiop_core::id::{DisclosureId, PatientId};
use openiop_core::validate::format_date;
use openiop_store::Instant;
use openiop_store::clinical::Assessment;
use openiop_store::consents::{self as store, Disclosure};
use openiop_store::monitoring::Medication;
use openiop_store::patients::Patient;
use openiop_store::records::Diagnosis;
use openiop_store::sessions::Mark;
use serde_json::{Value, json};

use super::open_patient;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::times::rfc3339;

/// One released part of the record, as read.
enum Records {
    Demographics,
    Diagnoses(Vec<Diagnosis>),
    Medications(Vec<Medication>),
    Assessments(Vec<Assessment>),
    Attendance(Vec<(Mark, Instant)>),
    TreatmentPlan(Vec<String>),
}

struct Released {
    patient: Patient,
    disclosure: Disclosure,
    consent_id: uuid::Uuid,
    consent: Consent,
    /// The consent exactly as stored (its copy goes with the records).
    consent_body: String,
    parts: Vec<(String, Records)>,
}

async fn released(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    disclosure_id: DisclosureId,
    action: &str,
) -> ApiResult<Released> {
    let patient = open_patient(state, caller, id, Part::Notes, Access::Read, action).await?;
    let disclosure_id = disclosure_id.uuid();
    let since = Instant::new(time::OffsetDateTime::UNIX_EPOCH);
    let org = caller.organization_id;
    let mut conn = state.store.read().await?;
    let disclosure = store::list_disclosures_since(&mut conn.db(), org, patient.id, since)
        .await?
        .into_iter()
        .find(|d| d.id == disclosure_id)
        .ok_or(ApiError::NotFound)?;
    let row = store::list_consents(&mut conn.db(), org, patient.id)
        .await?
        .into_iter()
        .find(|c| c.id == disclosure.consent_id)
        .ok_or(ApiError::NotFound)?;
    let consent: Consent = row.consent()?;
    let names = disclosure.parts()?;
    let episodes =
        openiop_store::patients::list_episodes(&mut conn.db(), caller.organization_id, patient.id)
            .await?;
    let mut parts = Vec::new();
    for name in names {
        let records = match name.as_str() {
            "demographics" => Records::Demographics,
            "medications" => Records::Medications(
                openiop_store::monitoring::list_medications(
                    &mut conn.db(),
                    caller.organization_id,
                    patient.id,
                )
                .await?,
            ),
            "diagnoses" => {
                let mut out = Vec::new();
                for ep in &episodes {
                    out.extend(
                        openiop_store::records::list_diagnoses(
                            &mut conn.db(),
                            caller.organization_id,
                            ep.id,
                        )
                        .await?,
                    );
                }
                Records::Diagnoses(out)
            }
            "assessments" => Records::Assessments(
                openiop_store::clinical::list_assessments(
                    &mut conn.db(),
                    caller.organization_id,
                    patient.id,
                    None,
                    50,
                )
                .await?,
            ),
            "attendance" => {
                let from = Instant::new(state.now() - time::Duration::days(365));
                Records::Attendance(
                    openiop_store::sessions::list_current_marks(
                        &mut conn.db(),
                        caller.organization_id,
                        patient.id,
                        from,
                        Instant::new(state.now()),
                    )
                    .await?,
                )
            }
            "treatment_plan" => {
                let mut out = Vec::new();
                for ep in &episodes {
                    let versions =
                        openiop_store::plans::list_versions(&mut conn.db(), org, ep.id).await?;
                    if let Some(v) = versions.iter().find(|v| v.review_due_on.is_some()) {
                        let plan = v.plan()?;
                        for p in plan.problems {
                            out.push(format!(
                                "Problem: {}. Goals: {}",
                                p.statement,
                                p.goals
                                    .iter()
                                    .map(|g| g.statement.clone())
                                    .collect::<Vec<_>>()
                                    .join("; ")
                            ));
                        }
                    }
                }
                Records::TreatmentPlan(out)
            }
            _ => continue,
        };
        parts.push((name, records));
    }
    Ok(Released {
        patient,
        disclosure,
        consent_id: row.id,
        consent,
        consent_body: row.body,
        parts,
    })
}

/// The lines the HTML packet shows for one part.
fn lines(patient: &Patient, records: &Records) -> ApiResult<Vec<String>> {
    Ok(match records {
        Records::Demographics => vec![format!(
            "{} {}, born {}; phone {}; e-mail {}",
            patient.given_name,
            patient.family_name,
            format_date(patient.birth_date),
            patient.phone.clone().unwrap_or_default(),
            patient.email.clone().unwrap_or_default()
        )],
        Records::Medications(list) => list
            .iter()
            .map(|m| format!("{} {} from {}", m.name, m.dose, m.started_on))
            .collect(),
        Records::Diagnoses(list) => list
            .iter()
            .map(|d| format!("{} {}", d.code, d.description))
            .collect(),
        Records::Assessments(list) => list
            .iter()
            .map(|a| {
                Ok(format!(
                    "{} on {}: {}",
                    a.code,
                    rfc3339(a.administered_at),
                    openiop_core::instrument::score_summary(a.total, a.subscales()?.as_ref())
                ))
            })
            .collect::<ApiResult<_>>()?,
        Records::Attendance(list) => list
            .iter()
            .map(|(m, at)| format!("{}: {}", rfc3339(*at), m.status))
            .collect(),
        Records::TreatmentPlan(list) => list.clone(),
    })
}

fn packet_html(r: &Released) -> ApiResult<String> {
    let e = crate::html::escape;
    let (p, d, c) = (&r.patient, &r.disclosure, &r.consent);
    let mut html = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Disclosure</title></head><body>",
    );
    html.push_str(&format!(
        "<h1>Records disclosed to {}</h1><p>Patient: {} {}, born {}. Disclosed {} for: {}.</p>",
        e(&d.recipient),
        e(&p.given_name),
        e(&p.family_name),
        format_date(p.birth_date),
        rfc3339(d.disclosed_at),
        e(&d.purpose)
    ));
    html.push_str(&format!(
        "<section id=\"notice\"><h2>Notice (42 CFR 2.32)</h2><p>{}</p></section>",
        e(consent::NOTICE_232)
    ));
    html.push_str("<section id=\"consent\"><h2>Copy of the consent</h2><dl>");
    let recipients = c
        .recipients
        .iter()
        .map(|r| r.name.clone())
        .collect::<Vec<_>>()
        .join("; ");
    let signed = c
        .signatures
        .iter()
        .map(|s| format!("{} ({}) on {}", s.name, s.role, s.signed_on))
        .collect::<Vec<_>>()
        .join("; ");
    for (k, v) in [
        ("Disclosing party", c.disclosing_party.as_str()),
        ("Information", c.information.as_str()),
        ("Recipients", recipients.as_str()),
        ("Purpose", c.purpose.as_str()),
        ("Expires", c.expires.as_str()),
        ("Signed", signed.as_str()),
    ] {
        html.push_str(&format!("<dt>{k}</dt><dd>{}</dd>", e(v)));
    }
    html.push_str("</dl>");
    for s in &c.statements {
        html.push_str(&format!("<p>{}</p>", e(s)));
    }
    html.push_str("</section><section id=\"records\"><h2>Records</h2>");
    for (part, records) in &r.parts {
        html.push_str(&format!("<h3>{}</h3><ul>", e(consent::part_label(part))));
        for line in lines(p, records)? {
            html.push_str(&format!("<li>{}</li>", e(&line)));
        }
        html.push_str("</ul>");
    }
    html.push_str("</section></body></html>");
    Ok(html)
}

const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";

/// The Part 2 security labels every resource of a disclosure carries: the law, restricted
/// confidentiality, and the refrain policy against redisclosure without consent.
fn security() -> Value {
    json!([
        {"system": ACT_CODE, "code": "42CFRPart2", "display": "42 CFR Part2"},
        {"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R", "display": "restricted"},
        {"system": ACT_CODE, "code": "NORDSCLCD", "display": "no redisclosure without consent directive"}
    ])
}

fn base64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

fn entry(id: uuid::Uuid, mut resource: Value) -> Value {
    resource["id"] = json!(id.to_string());
    resource["meta"] = json!({"security": security()});
    json!({"fullUrl": format!("urn:uuid:{id}"), "resource": resource})
}

fn packet_bundle(r: &Released) -> ApiResult<Value> {
    let p = &r.patient;
    let subject = json!({"reference": format!("urn:uuid:{}", p.id)});
    let released: Vec<&str> = r.parts.iter().map(|(n, _)| n.as_str()).collect();
    let mut patient = json!({"resourceType": "Patient",
        "name": [{"family": p.family_name, "given": [p.given_name]}],
        "birthDate": format_date(p.birth_date)});
    if released.contains(&"demographics") {
        let mut telecom = Vec::new();
        if let Some(phone) = &p.phone {
            telecom.push(json!({"system": "phone", "value": phone}));
        }
        if let Some(email) = &p.email {
            telecom.push(json!({"system": "email", "value": email}));
        }
        patient["telecom"] = json!(telecom);
    }
    let c = &r.consent;
    let mut provision = json!({"type": "permit",
        "actor": c.recipients.iter().map(|x| json!({
            "role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP", "display": "information recipient"}]},
            "reference": {"display": x.name}})).collect::<Vec<_>>()});
    if c.kind == "tpo" {
        provision["purpose"] = json!([
            {"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "TREAT"},
            {"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HPAYMT"},
            {"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HOPERAT"}]);
    }
    if let Some(until) = c.expires_on {
        provision["period"] = json!({"end": format_date(until)});
    }
    let consent = json!({"resourceType": "Consent", "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}]}],
        "patient": subject, "dateTime": format_date(c.signed_on),
        "organization": [{"display": c.disclosing_party}],
        "policy": [{"authority": "https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2",
            "uri": "https://www.ecfr.gov/current/title-42/section-2.31"}],
        "sourceAttachment": {"contentType": "application/json", "title": "Copy of the consent (42 CFR 2.32)",
            "data": base64(&r.consent_body)},
        "provision": provision});
    let notice = json!({"resourceType": "DocumentReference", "status": "current",
        "type": {"text": "Notice to accompany disclosure (42 CFR 2.32)"},
        "subject": subject, "description": consent::NOTICE_232,
        "content": [{"attachment": {"contentType": "text/plain", "language": "en", "data": base64(consent::NOTICE_232)}}]});
    let new_id = openiop_core::id::new_id;
    let mut entries = vec![
        entry(p.id, patient),
        entry(r.consent_id, consent),
        entry(new_id(), notice),
    ];
    for (_, records) in &r.parts {
        match records {
            Records::Demographics => {}
            Records::Diagnoses(list) => entries.extend(list.iter().map(|d| {
                entry(d.id, json!({"resourceType": "Condition", "subject": subject,
                    "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "encounter-diagnosis"}]}],
                    "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": d.code, "display": d.description}]}}))
            })),
            Records::Medications(list) => entries.extend(list.iter().map(|m| {
                let mut period = json!({"start": format_date(m.started_on)});
                if let Some(end) = m.stopped_on {
                    period["end"] = json!(format_date(end));
                }
                entry(m.id, json!({"resourceType": "MedicationStatement",
                    "status": if m.stopped_on.is_some() { "completed" } else { "active" },
                    "medicationCodeableConcept": {"text": m.name}, "subject": subject,
                    "effectivePeriod": period, "dosage": [{"text": m.dose}]}))
            })),
            Records::Assessments(list) => {
                let decoded = list
                    .iter()
                    .map(|a| Ok((a, a.subscales()?)))
                    .collect::<ApiResult<Vec<_>>>()?;
                entries.extend(decoded.into_iter().map(|(a, subscales)| {
                let instrument = openiop_core::instrument::find(&a.code);
                let mut code = json!({"text": instrument.map_or(a.code.as_str(), |i| i.name)});
                if let Some(loinc) = instrument.and_then(|i| i.loinc_total) {
                    code["coding"] = json!([{"system": "http://loinc.org", "code": loinc}]);
                }
                let mut obs = json!({"resourceType": "Observation", "status": "final",
                    "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "survey"}]}],
                    "code": code, "subject": subject, "effectiveDateTime": rfc3339(a.administered_at)});
                match subscales {
                    Some(subscales) if !subscales.is_empty() => {
                        obs["component"] = json!(subscales.iter().map(|(k, v)| json!({"code": {"text": k}, "valueInteger": v})).collect::<Vec<_>>());
                    }
                    _ => {
                        obs["valueInteger"] = json!(a.total);
                        if !a.band.is_empty() {
                            obs["interpretation"] = json!([{"text": a.band}]);
                        }
                    }
                }
                entry(a.id, obs)
                }));
            }
            Records::Attendance(list) => {
                let decoded = list
                    .iter()
                    .map(|(m, at)| Ok((m, at, m.attendance()?.attended())))
                    .collect::<ApiResult<Vec<_>>>()?;
                entries.extend(decoded.into_iter().map(|(m, at, attended)| {
                entry(new_id(), json!({"resourceType": "Encounter",
                    "status": if attended { "finished" } else { "cancelled" },
                    "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
                    "type": [{"text": m.status}], "subject": subject,
                    "period": {"start": rfc3339(*at)}, "length": {"value": m.minutes, "unit": "min",
                        "system": "http://unitsofmeasure.org", "code": "min"}}))
                }));
            }
            Records::TreatmentPlan(list) => {
                if !list.is_empty() {
                    entries.push(entry(new_id(), json!({"resourceType": "CarePlan", "status": "active", "intent": "plan",
                        "subject": subject, "title": "Treatment plan", "description": list.join("\n")})));
                }
            }
        }
    }
    Ok(json!({"resourceType": "Bundle", "type": "collection",
        "id": r.disclosure.id.to_string(),
        "meta": {"security": security()},
        "timestamp": rfc3339(r.disclosure.disclosed_at),
        "entry": entries}))
}

/// `GET /api/v1/patients/{id}/disclosures/{disclosure_id}/packet`: the packet as HTML (print
/// or save as PDF): the 2.32 notice, a copy of the consent, then the records disclosed.
pub async fn get_packet(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, disclosure_id)): Ids<(PatientId, DisclosureId)>,
) -> ApiResult<Response> {
    let r = released(&state, &caller, id, disclosure_id, "disclosure.packet").await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        packet_html(&r)?,
    )
        .into_response())
}

/// `GET /api/v1/patients/{id}/disclosures/{disclosure_id}/bundle`: the same disclosure as a
/// FHIR R4 Bundle (collection) labelled 42CFRPart2, R and NORDSCLCD.
pub async fn get_bundle(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, disclosure_id)): Ids<(PatientId, DisclosureId)>,
) -> ApiResult<Response> {
    let r = released(&state, &caller, id, disclosure_id, "disclosure.bundle").await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/fhir+json")],
        packet_bundle(&r)?.to_string(),
    )
        .into_response())
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/api/v1/patients/{id}/disclosures/{disclosure_id}/packet", "A disclosure's packet (HTML): the 2.32 notice, the consent, the records", get(api::packet::get_packet)),
    route(M::GET, "/api/v1/patients/{id}/disclosures/{disclosure_id}/bundle", "A disclosure as a FHIR R4 Bundle labelled 42CFRPart2: the notice, the consent, the records", get(api::packet::get_bundle)),
    ]
}
