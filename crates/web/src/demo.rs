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
                store_patients::discharge_episode(&mut tx.db(), episode, discharged).await?;
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
            inquiries::set_stage(&mut tx.db(), id, stage, moved).await?;
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

/// At most this many patients get availability, enrollments and attendance (the schedule
/// stays a believable week even when the demo holds 100,000 patients).
const SCHEDULED_PATIENTS: usize = 120;

/// Rooms, the curriculum, three weeks of sessions (last, this and next week: three
/// 3-hour groups a week per IOP track, daily for PHP, two for OP), availability for active
/// patients, enrollments, and last week's attendance (mostly present, some absences).
async fn demo_schedule(
    state: &AppState,
    org: Uuid,
    sites: &[Site],
    tracks: &[Track],
    facilitator: Option<Uuid>,
    now: time::OffsetDateTime,
) -> Result<(), ApiError> {
    use openiop_core::attendance::{self, Recurrence, Status};
    use openiop_store::schedule::{self as schedule_store, Room, Window};
    use openiop_store::sessions::{self, Mark, Session};
    let at = Instant::new(now);
    let mut tx = state.store.begin().await?;
    let mut rooms = Vec::new();
    for site in sites {
        let room = Room {
            id: openiop_core::id::new_id(),
            site_id: site.id,
            name: "Group room".into(),
            capacity: 14,
        };
        schedule_store::insert_room(&mut tx.db(), org, &room, at).await?;
        rooms.push(room);
    }
    for (phase, topics) in [
        (
            "engagement",
            &[
                "Welcome and goals",
                "How addiction changes the brain",
                "Stages of change",
            ][..],
        ),
        (
            "early_recovery",
            &[
                "Triggers and cravings",
                "Sleep and recovery",
                "Naloxone and overdose",
            ][..],
        ),
        (
            "maintenance",
            &["Relapse warning signs", "Building a sober network"][..],
        ),
        (
            "community_integration",
            &["Work, money and recovery", "Aftercare and mutual help"][..],
        ),
    ] {
        let titles: Vec<String> = topics.iter().map(|t| (*t).to_owned()).collect();
        schedule_store::set_curriculum(&mut tx.db(), org, phase, &titles).await?;
    }
    let today = now.date();
    let monday = today - Duration::days(i64::from(today.weekday().number_days_from_monday()));
    let (from, to) = (monday - Duration::days(7), monday + Duration::days(13));
    let mut by_track: Vec<(Uuid, Vec<Session>)> = Vec::new();
    for track in tracks {
        let Some(site) = sites.iter().find(|s| s.id == track.site_id) else {
            continue;
        };
        let room = rooms.iter().find(|r| r.site_id == site.id).map(|r| r.id);
        let evening = track.name.contains("Evening");
        let (days, start, minutes) = track_pattern(track);
        let mut dated = Vec::new();
        for &weekday in days {
            let recurrence = Recurrence {
                weekday,
                start,
                minutes,
            };
            for (starts, ends) in attendance::expand(recurrence, &site.time_zone, from, to) {
                let (kind, title, modality, topic) = session_of_day(weekday);
                let session = Session {
                    id: openiop_core::id::new_id(),
                    track_id: track.id,
                    kind: kind.into(),
                    title: title.into(),
                    starts_at: Instant::new(starts),
                    ends_at: Instant::new(ends),
                    capacity: 14,
                    facilitator_id: facilitator
                        .filter(|_| track.site_id == sites[0].id && !evening),
                    template_id: None,
                    room_id: room.filter(|_| !(evening && track.site_id == sites[0].id)),
                    modality: modality.map(Into::into),
                    topic: topic.map(Into::into),
                    video_url: (evening && track.site_id == sites[0].id)
                        .then(|| "https://video.example.org/openiop-demo-evening".to_owned()),
                    checkin_code: Some(crate::api::sessions::checkin_code()?),
                };
                sessions::insert_session(&mut tx.db(), org, &session, at).await?;
                dated.push(session);
            }
        }
        by_track.push((track.id, dated));
    }
    let census = store_patients::active_episodes(&mut tx.db(), org).await?;
    let mut rng = Lcg(0x5e55_1045);
    for (n, episode) in census.iter().take(SCHEDULED_PATIENTS).enumerate() {
        let Some((_, dated)) = by_track.iter().find(|(t, _)| *t == episode.track_id) else {
            continue;
        };
        let track = tracks.iter().find(|t| t.id == episode.track_id);
        let evening = track.is_some_and(|t| t.name.contains("Evening"));
        let outpatient = track.is_some_and(|t| t.level == openiop_core::program::Level::Op);
        // Evening people work days; outpatients come after work; the rest come in the day.
        let (start, end) = match (evening, outpatient) {
            (true, _) => (17 * 60, 22 * 60),
            (_, true) => (16 * 60, 20 * 60),
            _ => (8 * 60, 15 * 60),
        };
        let windows: Vec<Window> = (0..5)
            .map(|weekday| Window {
                weekday,
                start_minute: start,
                end_minute: end,
            })
            .collect();
        schedule_store::set_availability(&mut tx.db(), org, episode.patient_id, &windows).await?;
        for session in dated {
            if session.starts_at >= Instant::new(now + Duration::days(7)) {
                continue; // next week is left for "build next week"
            }
            let seats = sessions::enrolled(&mut tx.db(), session.id).await?.len();
            if seats >= 14 {
                continue;
            }
            sessions::enroll(&mut tx.db(), org, session.id, episode.patient_id, at).await?;
            if session.ends_at.get() > now {
                continue; // attendance only for sessions that are over
            }
            let roll = rng.next(20);
            let status = match (roll, n % 9) {
                (_, 0) => Status::AbsentUnexcused,
                (0, _) => Status::AbsentExcused,
                (1, _) => Status::Late,
                _ => Status::Present,
            };
            let check_in =
                (status == Status::Late).then(|| session.starts_at.get() + Duration::minutes(25));
            let minutes = attendance::attended_minutes(
                status,
                session.starts_at.get(),
                session.ends_at.get(),
                check_in,
                None,
            );
            let mark = Mark {
                session_id: session.id,
                patient_id: episode.patient_id,
                status: status.as_str().into(),
                check_in: check_in.map(Instant::new),
                check_out: None,
                minutes: i32::try_from(minutes).unwrap_or(0),
                recorded_by: facilitator.unwrap_or(Uuid::nil()),
                recorded_at: session.ends_at,
                absence_reason: (status == Status::AbsentExcused).then(|| "Sick child".to_owned()),
            };
            if facilitator.is_some() {
                sessions::insert_mark(&mut tx.db(), org, &mark).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}

/// When a demo track meets: weekdays (0 = Monday), local start minute and length in minutes.
fn track_pattern(track: &Track) -> (&'static [u8], u16, u16) {
    match track.level {
        openiop_core::program::Level::Php => (&[0, 1, 2, 3, 4], 9 * 60, 240),
        openiop_core::program::Level::Op => (&[1, 3], 17 * 60, 90),
        _ if track.name.contains("Evening") => (&[0, 2, 3], 18 * 60, 180),
        _ => (&[0, 2, 3], 9 * 60 + 30, 180),
    }
}

/// What a demo session on a weekday is: kind, title, modality and topic.
fn session_of_day(
    weekday: u8,
) -> (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
) {
    match weekday {
        0 => ("group_therapy", "CBT group", Some("cbt"), None),
        2 => ("group_therapy", "DBT skills group", Some("dbt"), None),
        1 => (
            "psychoeducation",
            "Psychoeducation",
            None,
            Some("Triggers and cravings"),
        ),
        4 => ("wellness", "Mindfulness and movement", None, None),
        _ => (
            "psychoeducation",
            "Psychoeducation",
            None,
            Some("How addiction changes the brain"),
        ),
    }
}

/// Episodes admitted longer ago than this have ended (after 8 to 16 weeks).
const LONGEST_EPISODE_WEEKS: i64 = 16;

/// Demo patients written per transaction.
const PATIENTS_PER_COMMIT: usize = 500;

/// Seats in a history group.
const HISTORY_GROUP: usize = 12;

/// An admitted demo patient, for the attendance history.
struct Attender {
    patient_id: Uuid,
    /// Index into the demo's tracks.
    track: usize,
    admitted_on: Date,
    /// The discharge date, or today for an active episode.
    last_day: Date,
    misses_often: bool,
}

/// The weeks of attendance before the demo's current schedule (which starts last week): each
/// track's admitted patients in groups of twelve on the track's days, marked as a facilitator
/// would (mostly present, some late or excused; one patient in seven often misses). Bulk
/// inserts, one transaction per week, so a year for 100,000 patients takes minutes.
async fn demo_history(
    state: &AppState,
    org: Uuid,
    (sites, tracks): (&[Site], &[Track]),
    attenders: &[Attender],
    facilitator: Option<Uuid>,
    now: time::OffsetDateTime,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<(), ApiError> {
    use openiop_core::attendance::{self, Status};
    use openiop_store::sessions::{self, Mark, Session};
    let (Some(recorded_by), Some(first)) =
        (facilitator, attenders.iter().map(|a| a.admitted_on).min())
    else {
        return Ok(());
    };
    let monday_of = |d: Date| d - Duration::days(i64::from(d.weekday().number_days_from_monday()));
    let schedule_starts = monday_of(now.date()) - Duration::days(7);
    let first_monday = monday_of(first);
    let weeks = usize::try_from((schedule_starts - first_monday).whole_weeks()).unwrap_or(0);
    let mut rng = Lcg(0x4157_0129);
    let at = Instant::new(now);
    for week in 0..weeks {
        let monday = first_monday + Duration::weeks(week as i64);
        let mut dated = Vec::new();
        let mut marks = Vec::new();
        for (t, track) in tracks.iter().enumerate() {
            let Some(site) = sites.iter().find(|s| s.id == track.site_id) else {
                continue;
            };
            let (days, start, minutes) = track_pattern(track);
            let members: Vec<&Attender> = attenders
                .iter()
                .filter(|a| a.track == t && a.admitted_on < monday + Duration::days(7))
                .filter(|a| a.last_day >= monday)
                .collect();
            for group in members.chunks(HISTORY_GROUP) {
                for &weekday in days {
                    let date = monday + Duration::days(i64::from(weekday));
                    let local = format!("{date}T{:02}:{:02}", start / 60, start % 60);
                    let Some(starts) =
                        openiop_core::program::local_to_instant(&site.time_zone, &local)
                    else {
                        continue;
                    };
                    let ends = starts + Duration::minutes(i64::from(minutes));
                    let (kind, title, modality, topic) = session_of_day(weekday);
                    let session = Session {
                        id: openiop_core::id::new_id(),
                        track_id: track.id,
                        kind: kind.into(),
                        title: title.into(),
                        starts_at: Instant::new(starts),
                        ends_at: Instant::new(ends),
                        capacity: HISTORY_GROUP as i32,
                        facilitator_id: Some(recorded_by),
                        template_id: None,
                        room_id: None,
                        modality: modality.map(Into::into),
                        topic: topic.map(Into::into),
                        video_url: None,
                        checkin_code: None,
                    };
                    for a in group
                        .iter()
                        .filter(|a| a.admitted_on <= date && a.last_day >= date)
                    {
                        let roll = rng.next(20);
                        let status = match roll {
                            0..=5 if a.misses_often => Status::AbsentUnexcused,
                            0 => Status::AbsentUnexcused,
                            1 => Status::AbsentExcused,
                            2 => Status::Late,
                            _ => Status::Present,
                        };
                        let check_in =
                            (status == Status::Late).then(|| starts + Duration::minutes(20));
                        let attended =
                            attendance::attended_minutes(status, starts, ends, check_in, None);
                        marks.push(Mark {
                            session_id: session.id,
                            patient_id: a.patient_id,
                            status: status.as_str().into(),
                            check_in: check_in.map(Instant::new),
                            check_out: None,
                            minutes: i32::try_from(attended).unwrap_or(0),
                            recorded_by,
                            recorded_at: Instant::new(ends),
                            absence_reason: (status == Status::AbsentExcused)
                                .then(|| "Sick child".to_owned()),
                        });
                    }
                    dated.push(session);
                }
            }
        }
        let mut tx = state.store.begin().await?;
        sessions::insert_history(&mut tx.db(), org, &dated, &marks, at).await?;
        tx.commit().await?;
        progress(week + 1, weeks);
    }
    Ok(())
}

/// At most this many of the clinician's patients get a treatment plan, check-ins and BAMs.
const CLINICAL_PATIENTS: usize = 6;

/// The clinical record of a few of the clinician's active patients: a signed treatment plan
/// (one past its review), two weeks of daily check-ins with cravings easing, three weekly
/// BAMs; and one signed group note for the clinician's first past group session (later ones
/// stay unsigned, so the dashboard shows documentation latency).
async fn demo_clinical(
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
    let census = store_patients::active_episodes(&mut tx.db(), org).await?;
    let mine: Vec<_> = {
        let mut out = Vec::new();
        for e in census {
            if out.len() == CLINICAL_PATIENTS {
                break;
            }
            let team = store_patients::care_team(&mut tx.db(), e.patient_id).await?;
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
        plans::sign_clinician(&mut tx.db(), version.id, clinician, None, signed_at).await?;
        plans::sign_patient(
            &mut tx.db(),
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
        plans::set_review_due(&mut tx.db(), version.id, due).await?;
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
    let past = sessions::sessions_in(
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
        let roster = sessions::roster(&mut tx.db(), session.id).await?;
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
