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
    let clinician = staff
        .iter()
        .find(|(r, _)| *r == Role::Clinician)
        .map(|(_, id)| *id);
    let case_manager = staff
        .iter()
        .find(|(r, _)| *r == Role::CaseManager)
        .map(|(_, id)| *id);

    let mut rng = Lcg(0x0105_2026);
    let at = Instant::new(now);
    let mut first_patient = None;
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
        let mut tx = state.store.begin().await?;
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
            if stage >= 5 {
                let discharged = (admitted_on + Duration::days(42)).min(today);
                store_patients::discharge_episode(&mut tx.db(), episode, discharged).await?;
            }
        }
        for (member, every) in [(clinician, 2), (case_manager, 3)] {
            if let Some(user) = member.filter(|_| n % every == 0) {
                store_patients::add_to_care_team(&mut tx.db(), org, patient.id, user, at).await?;
            }
        }
        tx.commit().await?;
        first_patient.get_or_insert(patient.id);
        progress(n + 1, patients);
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
