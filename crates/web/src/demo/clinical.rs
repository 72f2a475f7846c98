//! The demo's clinical record: treatment plans, check-ins, BAMs and a signed group note.

use super::*;

/// At most this many of the clinician's patients get a treatment plan, check-ins and BAMs.
const CLINICAL_PATIENTS: usize = 6;

/// The clinical record of a few of the clinician's active patients: a signed treatment plan
/// (one past its review), two weeks of daily check-ins with cravings easing, three weekly
/// BAMs; and one signed group note for the clinician's first past group session (later ones
/// stay unsigned, so the dashboard shows documentation latency).
pub(super) async fn demo_clinical(
    state: &AppState,
    org: Uuid,
    clinician: Uuid,
    now: time::OffsetDateTime,
) -> Result<(), ApiError> {
    use openiop_core::attendance::Status;
    use openiop_core::notes::{GroupNote, NoteFormat, NoteKind, Participation};
    use openiop_core::placement::Dimension;
    use openiop_core::treatment_plan::{Goal, Intervention, Objective, Plan, Preferences, Problem};
    use openiop_store::{checkins, notes, plans, sessions};
    let at = Instant::new(now);
    let today = now.date();
    let mut tx = state.store.begin().await?;
    let census = store_patients::list_active_episodes(&mut tx.db(), org).await?;
    let mine: Vec<_> = {
        let mut out = Vec::new();
        for e in census {
            if out.len() == CLINICAL_PATIENTS {
                break;
            }
            let team = store_patients::list_care_team(&mut tx.db(), org, e.patient_id).await?;
            if team.iter().any(|m| m.user_id == clinician) {
                out.push(e);
            }
        }
        out
    };
    let mut rng = Lcg(0x0c11_1ca1);
    for (n, episode) in mine.iter().enumerate() {
        let plan = Plan {
            problems: vec![Problem {
                statement: "Opioid use disorder: daily fentanyl use before admission".into(),
                dimensions: vec![Dimension::Readiness, Dimension::Relapse],
                diagnoses: vec!["F11.20".into()],
                goals: vec![Goal {
                    statement: "I want to keep my job and be there for my kids".into(),
                    objectives: vec![Objective {
                        statement: "Attend 3 groups a week with negative tests for 4 weeks".into(),
                        target_date: openiop_core::validate::format_date(
                            today + Duration::days(28),
                        ),
                        interventions: vec![Intervention {
                            modality: "CBT relapse-prevention group".into(),
                            frequency: "3 times a week".into(),
                            responsible_id: clinician,
                        }],
                    }],
                }],
            }],
            strengths: vec!["Supportive sister".into(), "Steady work history".into()],
            preferences: Preferences {
                language: "English".into(),
                ..Preferences::default()
            },
        };
        // Signed 10, 18, 26, ... days ago: the later ones are past their 30-day review.
        let signed_on = episode
            .admitted_on
            .max(today - Duration::days(10 + 8 * n as i64));
        let signed_at = Instant::new(now - (today - signed_on));
        let version = plans::PlanVersion {
            id: openiop_core::id::new_id(),
            patient_id: episode.patient_id,
            episode_id: episode.id,
            version: 1,
            body: serde_json::to_string(&plan).map_err(|e| ApiError::caused("encoding JSON", e))?,
            created_by: clinician,
            created_at: signed_at,
            updated_at: signed_at,
            clinician_signed_by: None,
            clinician_signed_at: None,
            patient_signature: None,
            patient_signed_by: None,
            patient_signed_at: None,
            cosigner_id: None,
            cosigned_at: None,
            review_due_on: None,
        };
        plans::insert_version(&mut tx.db(), org, &version).await?;
        plans::sign_clinician(&mut tx.db(), org, version.id, clinician, None, signed_at).await?;
        plans::sign_patient(
            &mut tx.db(),
            org,
            version.id,
            "Signed in person",
            clinician,
            signed_at,
        )
        .await?;
        let due = openiop_core::treatment_plan::review_due(
            signed_on,
            openiop_core::treatment_plan::DEFAULT_REVIEW_DAYS,
        );
        plans::set_review_due(&mut tx.db(), org, version.id, due).await?;
        for back in 0..14_i64 {
            let check_in = checkins::CheckIn {
                id: openiop_core::id::new_id(),
                patient_id: episode.patient_id,
                on_date: today - Duration::days(back),
                mood: i32::try_from((8 - back / 3 + rng.next(2) as i64).clamp(0, 10)).unwrap_or(5),
                craving: i32::try_from((1 + back / 3 + rng.next(2) as i64).clamp(0, 10))
                    .unwrap_or(5),
                used: n == 1 && back == 9,
                substances: if n == 1 && back == 9 {
                    r#"["alcohol"]"#.into()
                } else {
                    "[]".into()
                },
                note: None,
                source: "staff".into(),
                recorded_by: clinician,
                recorded_at: Instant::new(now - Duration::days(back)),
            };
            checkins::insert_check_in(&mut tx.db(), org, &check_in).await?;
        }
        if let Some(bam) = openiop_core::instrument::find("bam") {
            for week in 0..3_i64 {
                let better = 2 - week; // use and risk ease, protection grows
                let answers: Vec<i64> = vec![
                    1,
                    1,
                    better,
                    0,
                    0,
                    0,
                    0,
                    better,
                    2 + week,
                    2 + week,
                    better,
                    2,
                    3,
                    4,
                    1,
                    3,
                    2,
                ]
                .into_iter()
                .map(|v| v.clamp(0, 4))
                .collect();
                if let Ok(scored) = openiop_core::instrument::score(bam, &answers, None) {
                    let when = Instant::new(now - Duration::weeks(2 - week) - Duration::hours(3));
                    let row = crate::api::instruments::assessment_row(
                        episode.patient_id,
                        Some(episode.id),
                        &scored,
                        &answers,
                        None,
                        clinician,
                        when,
                    );
                    openiop_store::clinical::insert_assessment(&mut tx.db(), org, &row).await?;
                }
            }
        }
    }
    // The clinician's first past group session gets a signed group note.
    let past = sessions::list_sessions_in(
        &mut tx.db(),
        sessions::Whose::Facilitator(clinician),
        Instant::new(now - Duration::days(8)),
        at,
    )
    .await?;
    if let Some(session) = past
        .iter()
        .find(|s| s.kind == "group_therapy" && s.ends_at.get() < now)
    {
        let roster = sessions::list_roster(&mut tx.db(), org, session.id).await?;
        let attendees: Vec<Uuid> = roster
            .iter()
            .filter(|l| {
                l.status
                    .as_deref()
                    .and_then(Status::parse)
                    .is_some_and(Status::attended)
            })
            .map(|l| l.patient_id)
            .collect();
        let mut note = GroupNote::prefilled(&session.title, "CBT", &attendees);
        note.interventions = "Identifying high-risk situations; refusal-skills role-play".into();
        note.narrative =
            "Members mapped their high-risk situations for the week and rehearsed refusals.".into();
        for (i, entry) in note.entries.iter_mut().enumerate() {
            entry.observation = [
                "Engaged, named two triggers",
                "Quiet but attentive",
                "Shared a coping win",
            ][i % 3]
                .into();
            entry.participation = Some(Participation::ALL[i % 3]);
            entry.plan = "Continue group; practise the refusal script".into();
        }
        let signed_at = session.ends_at;
        let group = notes::GroupNote {
            id: openiop_core::id::new_id(),
            session_id: session.id,
            author_id: clinician,
            body: serde_json::to_string(&note).map_err(|e| ApiError::caused("encoding JSON", e))?,
            created_at: signed_at,
            updated_at: signed_at,
            signed_at: Some(signed_at),
        };
        notes::insert_group_note(&mut tx.db(), org, &group).await?;
        for patient in &attendees {
            let Some(sections) = note.copy_for(*patient) else {
                continue;
            };
            let copy = notes::Note {
                id: openiop_core::id::new_id(),
                patient_id: *patient,
                session_id: Some(session.id),
                group_note_id: Some(group.id),
                kind: NoteKind::Group.as_str().into(),
                format: NoteFormat::Group.as_str().into(),
                sections: serde_json::to_string(&sections)
                    .map_err(|e| ApiError::caused("encoding JSON", e))?,
                service_start: session.starts_at,
                service_end: session.ends_at,
                author_id: clinician,
                created_at: signed_at,
                updated_at: signed_at,
                signed_at: Some(signed_at),
                cosigner_id: None,
                cosigned_at: None,
            };
            notes::insert_note(&mut tx.db(), org, &copy).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
