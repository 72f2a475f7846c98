//! Demo data: a believable program to click through, generated deterministically.
//!
//! Two sites in different time zones, day and evening IOP tracks, a PHP and an OP track, one
//! user per role (random passwords, shown once) and patients at different stages: admitted,
//! discharged, and registered but not yet admitted.

use openiop_core::access::Role;
use openiop_core::patient::NewPatient;
use openiop_core::program::{NewSite, NewTrack, TrackForm};
use openiop_store::Instant;
use openiop_store::organization::{self, Site, Track};
use openiop_store::patients as store_patients;
use time::{Date, Duration};
use uuid::Uuid;

use crate::AppState;
use crate::api::config::{NewAccount, insert_account};
use crate::audit_log::EventBuilder;
use crate::error::ApiError;

mod clinical;
mod schedule;

use clinical::demo_clinical;
use schedule::{Attender, LONGEST_EPISODE_WEEKS, PATIENTS_PER_COMMIT, demo_history, demo_schedule};

const GIVEN: [&str; 24] = [
    "Ana", "Marcus", "Priya", "Jordan", "Mei", "Tomás", "Aisha", "Connor", "Lucía", "Darnell",
    "Sofia", "Ethan", "Nadia", "Kwame", "Hannah", "Diego", "Yuki", "Malik", "Zoë", "Oliver",
    "Fatima", "Liam", "Rosa", "Samuel",
];
const FAMILY: [&str; 20] = [
    "Ruiz", "Johnson", "Patel", "Nguyen", "O'Brien", "García", "Okafor", "Smith", "Kowalski",
    "Chen", "Haddad", "Williams", "Novak", "Mensah", "Larsen", "Romero", "Tanaka", "Brooks",
    "Ibrahim", "Fischer",
];

/// A login created for the demo, with its one-time password.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub username: String,
    pub password: String,
    pub role: Role,
}

/// What the demo loader made.
#[derive(Debug, Clone, Default)]
pub struct DemoReport {
    pub logins: Vec<DemoLogin>,
    pub patients: usize,
}

/// A small deterministic generator, so every demo looks the same.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below.max(1)
    }
}

fn password() -> Result<String, ApiError> {
    let (token, _) = crate::auth::new_secret()?;
    Ok(token.chars().take(16).collect())
}

/// Loads demo data into `org` unless it already has patients. `patients` patients are
/// admitted across the last `weeks` weeks; `progress` is told after each one.
pub async fn load(
    state: &AppState,
    org: Uuid,
    patients: usize,
    weeks: u32,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Option<DemoReport>, ApiError> {
    let mut conn = state.store.read().await?;
    if store_patients::count_patients(&mut conn.db(), org).await? > 0 {
        return Ok(None);
    }
    drop(conn);
    let now = state.now();
    let today = now.date();
    let (sites, tracks) = layout(state, org).await?;
    let mut report = DemoReport::default();
    let mut staff = Vec::new();
    for role in [
        Role::Admin,
        Role::Clinician,
        Role::CaseManager,
        Role::FrontDesk,
        Role::Billing,
    ] {
        let username = format!("demo-{}", role.as_str().replace('_', "-"));
        let password = password()?;
        let account = NewAccount {
            username: username.clone(),
            password: password.clone(),
            role,
            patient_id: None,
        };
        let id = match insert_account(state, org, &account, EventBuilder::system(org)).await {
            Ok(id) => Some(id),
            // Users survive from an earlier demo whose patients were removed: keep them.
            Err(ApiError::Invalid(_)) => None,
            Err(e) => return Err(e),
        };
        if let Some(id) = id {
            staff.push((role, id));
            report.logins.push(DemoLogin {
                username,
                password,
                role,
            });
        }
    }
    let staff: std::collections::HashMap<Role, Uuid> = staff.into_iter().rev().collect();
    let clinician = staff.get(&Role::Clinician).copied();
    let case_manager = staff.get(&Role::CaseManager).copied();

    let mut rng = Lcg(0x0105_2026);
    let at = Instant::new(now);
    let mut first_patient = None;
    let mut history = Vec::new();
    let mut open: Option<openiop_store::Tx> = None;
    let days_back = i64::from(weeks.max(1)) * 7;
    for n in 0..patients {
        let given = GIVEN[rng.next(GIVEN.len() as u64) as usize];
        let family = FAMILY[rng.next(FAMILY.len() as u64) as usize];
        let age_days = 365 * (19 + rng.next(45) as i64) + rng.next(365) as i64;
        let birth_date = today - Duration::days(age_days);
        let new = NewPatient {
            given_name: given.to_owned(),
            family_name: family.to_owned(),
            birth_date,
            preferred_name: None,
            pronouns: None,
            phone: Some(format!("+1 555 01{:02} {:04}", n % 100, rng.next(10_000))),
            email: None,
        };
        if n % PATIENTS_PER_COMMIT == 0
            && let Some(done) = open.take()
        {
            done.commit().await?;
            progress(n, patients);
        }
        let tx = match &mut open {
            Some(tx) => tx,
            None => open.insert(state.store.begin().await?),
        };
        let patient = store_patients::insert_patient(&mut tx.db(), org, &new, at).await?;
        // Stages: most admitted, some discharged, some registered and waiting.
        let stage = n % 8;
        if stage < 7 {
            let track = &tracks[n % tracks.len()];
            let admitted_on: Date = today - Duration::days(rng.next(days_back as u64) as i64);
            let episode = store_patients::insert_episode(
                &mut tx.db(),
                org,
                patient.id,
                track.id,
                admitted_on,
                at,
            )
            .await?;
            // Six weeks for some; episodes admitted long ago ended after 8 to 16 weeks, so a
            // year of history keeps a census an IOP could hold.
            let length = if stage >= 5 {
                Some(Duration::days(42))
            } else if admitted_on < today - Duration::weeks(LONGEST_EPISODE_WEEKS) {
                Some(Duration::weeks(8 + rng.next(9) as i64))
            } else {
                None
            };
            let discharged = length.map(|l| (admitted_on + l).min(today));
            if let Some(discharged) = discharged {
                store_patients::discharge_episode(&mut tx.db(), org, episode, discharged).await?;
            }
            history.push(Attender {
                patient_id: patient.id,
                track: n % tracks.len(),
                admitted_on,
                last_day: discharged.unwrap_or(today),
                misses_often: n % 7 == 3,
            });
        }
        for (member, every) in [(clinician, 2), (case_manager, 3)] {
            if let Some(user) = member.filter(|_| n % every == 0) {
                store_patients::add_to_care_team(&mut tx.db(), org, patient.id, user, at).await?;
            }
        }
        // The clinician's admitted patients have a few weeks of PHQ-9 and GAD-7, improving.
        if let (Some(by), true) = (clinician, n % 2 == 0 && stage < 5) {
            demo_assessments(tx, org, patient.id, by, now, n, &mut rng).await?;
        }
        first_patient.get_or_insert(patient.id);
    }
    if let Some(done) = open.take() {
        done.commit().await?;
        progress(patients, patients);
    }
    demo_history(
        state,
        org,
        (&sites, &tracks),
        &history,
        clinician,
        now,
        progress,
    )
    .await?;
    demo_inquiries(state, org, now).await?;
    demo_schedule(state, org, &sites, &tracks, clinician, now).await?;
    if let Some(clinician) = clinician {
        demo_clinical(state, org, clinician, now).await?;
    }
    if let Some(patient_id) = first_patient {
        let username = "demo-patient".to_owned();
        let password = password()?;
        let account = NewAccount {
            username: username.clone(),
            password: password.clone(),
            role: Role::Patient,
            patient_id: Some(patient_id),
        };
        if insert_account(state, org, &account, EventBuilder::system(org))
            .await
            .is_ok()
        {
            report.logins.push(DemoLogin {
                username,
                password,
                role: Role::Patient,
            });
        }
    }
    let mut tx = state.store.begin().await?;
    let detail = format!(
        "patients={patients} sites={} tracks={}",
        sites.len(),
        tracks.len()
    );
    tx.audit(
        EventBuilder::system(org)
            .action("demo.load", "demo")
            .detail(detail)
            .build(now),
    )
    .await?;
    tx.commit().await?;
    report.patients = patients;
    Ok(Some(report))
}

/// Three PHQ-9 and GAD-7 results two weeks apart, each a little better; the newest PHQ-9 of
/// one patient in ten answers item 9, so the demo shows an open crisis alert.
async fn demo_assessments(
    tx: &mut openiop_store::Tx,
    org: Uuid,
    patient: Uuid,
    by: Uuid,
    now: time::OffsetDateTime,
    n: usize,
    rng: &mut Lcg,
) -> Result<(), ApiError> {
    use openiop_core::instrument;
    use openiop_store::clinical::{self, Alert};
    for (week, code) in [
        (4, "phq9"),
        (2, "phq9"),
        (0, "phq9"),
        (4, "gad7"),
        (2, "gad7"),
        (0, "gad7"),
    ] {
        let Some(inst) = instrument::find(code) else {
            continue;
        };
        let level = 2 - (4 - week) / 2; // 2, 1, 0 points of worry per item as weeks pass
        let mut answers: Vec<i64> = inst
            .items
            .iter()
            .map(|_| (level as i64 + rng.next(2) as i64).min(3))
            .collect();
        if code == "phq9" {
            answers[8] = i64::from(week == 0 && n.is_multiple_of(10));
        }
        let Ok(scored) = instrument::score(inst, &answers, None) else {
            continue;
        };
        let at =
            Instant::new(now - Duration::weeks(week as i64) - Duration::hours(rng.next(48) as i64));
        let row =
            crate::api::instruments::assessment_row(patient, None, &scored, &answers, None, by, at);
        clinical::insert_assessment(&mut tx.db(), org, &row).await?;
        if scored.flags.iter().any(|f| instrument::is_crisis_flag(f)) {
            let alert = Alert {
                id: openiop_core::id::new_id(),
                patient_id: patient,
                assessment_id: Some(row.id),
                kind: "crisis".into(),
                flags: serde_json::to_string(&scored.flags).unwrap_or_default(),
                raised_at: at,
                acknowledged_by: None,
                acknowledged_at: None,
                action: None,
                note: None,
            };
            clinical::insert_alert(&mut tx.db(), org, &alert).await?;
        }
    }
    Ok(())
}

/// A few inquiries at different stages of the admissions pipeline.
async fn demo_inquiries(
    state: &AppState,
    org: Uuid,
    now: time::OffsetDateTime,
) -> Result<(), ApiError> {
    use openiop_store::inquiries::{self, NewInquiry};
    let people = [
        ("Jess", "555-0141", "inquiry", 2),
        ("M. (alias)", "m.help@example.org", "contacted", 20),
        ("Carlos", "555-0177", "screening", 30),
        ("Dee", "555-0123", "evaluation_scheduled", 44),
        ("Sam", "sam@example.org", "evaluated", 70),
        ("Anonymous", "555-0199", "declined", 200),
    ];
    let mut tx = state.store.begin().await?;
    for (name, contact, stage, hours_ago) in people {
        let id = openiop_core::id::new_id();
        let received = Instant::new(now - Duration::hours(hours_ago));
        let new = NewInquiry {
            name: Some(name.to_owned()),
            contact: contact.to_owned(),
            contact_method: Some(
                if contact.contains('@') {
                    "email"
                } else {
                    "phone"
                }
                .to_owned(),
            ),
            safe_times: Some("weekdays after 5pm".to_owned()),
            for_whom: Some("self".to_owned()),
            substances: Some("alcohol".to_owned()),
            wants: Some("to learn about evening IOP".to_owned()),
            message: None,
        };
        inquiries::insert_inquiry(&mut tx.db(), org, id, &new, "inquiry", received).await?;
        if stage != "inquiry" {
            let moved = Instant::new(now - Duration::hours(hours_ago / 2));
            inquiries::set_stage(&mut tx.db(), org, id, stage, moved).await?;
            inquiries::insert_move(
                &mut tx.db(),
                org,
                id,
                moved,
                None,
                Some("inquiry"),
                stage,
                Some("demo data"),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// A demo track: name, level, target hours, minimum days.
type DemoTrack = (&'static str, &'static str, f64, i64);

/// The demo sites and tracks, reusing any that exist by name.
async fn layout(state: &AppState, org: Uuid) -> Result<(Vec<Site>, Vec<Track>), ApiError> {
    let plan: [(&str, &str, &[DemoTrack]); 2] = [
        (
            "Lakeview",
            "America/Chicago",
            &[("Day IOP", "iop", 9.0, 3), ("Evening IOP", "iop", 9.0, 3)],
        ),
        (
            "Harbor",
            "America/Los_Angeles",
            &[
                ("Partial hospitalization", "php", 20.0, 5),
                ("Outpatient", "op", 3.0, 1),
            ],
        ),
    ];
    let now = Instant::new(state.now());
    let mut conn = state.store.read().await?;
    let existing_sites = organization::list_sites(&mut conn.db(), org).await?;
    let existing_tracks = organization::list_tracks(&mut conn.db(), org).await?;
    drop(conn);
    let mut sites = Vec::new();
    let mut tracks = Vec::new();
    let mut tx = state.store.begin().await?;
    for (site_name, zone, site_tracks) in plan {
        let site = match existing_sites.iter().find(|s| s.name == site_name) {
            Some(site) => site.clone(),
            None => {
                let new = NewSite::parse(site_name, zone)?;
                organization::insert_site(&mut tx.db(), org, &new, now).await?
            }
        };
        for (name, level, hours, days) in site_tracks {
            let track = match existing_tracks
                .iter()
                .find(|t| t.site_id == site.id && t.name == *name)
            {
                Some(t) => t.clone(),
                None => {
                    let form = TrackForm {
                        name,
                        level,
                        target_hours: *hours,
                        min_days: *days,
                        age_group: "adult",
                    };
                    let new = NewTrack::parse(&form)?;
                    organization::insert_track(&mut tx.db(), org, site.id, &new, now).await?
                }
            };
            tracks.push(track);
        }
        sites.push(site);
    }
    tx.commit().await?;
    Ok((sites, tracks))
}
