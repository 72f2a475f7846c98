//! The demo's weeks: rooms, the curriculum, sessions, availability, enrollments, and the
//! attendance history that fills the program's figures.

use super::*;

/// At most this many patients get availability, enrollments and attendance (the schedule
/// stays a believable week even when the demo holds 100,000 patients).
const SCHEDULED_PATIENTS: usize = 120;

/// Rooms, the curriculum, three weeks of sessions (last, this and next week: three
/// 3-hour groups a week per IOP track, daily for PHP, two for OP), availability for active
/// patients, enrollments, and last week's attendance (mostly present, some absences).
pub(super) async fn demo_schedule(
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
    let census = store_patients::list_active_episodes(&mut tx.db(), org).await?;
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
            let seats = sessions::list_enrolled(&mut tx.db(), org, session.id)
                .await?
                .len();
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
pub(super) const LONGEST_EPISODE_WEEKS: i64 = 16;

/// Demo patients written per transaction.
pub(super) const PATIENTS_PER_COMMIT: usize = 500;

/// Seats in a history group.
const HISTORY_GROUP: usize = 12;

/// An admitted demo patient, for the attendance history.
pub(super) struct Attender {
    pub(super) patient_id: Uuid,
    /// Index into the demo's tracks.
    pub(super) track: usize,
    pub(super) admitted_on: Date,
    /// The discharge date, or today for an active episode.
    pub(super) last_day: Date,
    pub(super) misses_often: bool,
}

/// The weeks of attendance before the demo's current schedule (which starts last week): each
/// track's admitted patients in groups of twelve on the track's days, marked as a facilitator
/// would (mostly present, some late or excused; one patient in seven often misses). Bulk
/// inserts, one transaction per week, so a year for 100,000 patients takes minutes.
pub(super) async fn demo_history(
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
