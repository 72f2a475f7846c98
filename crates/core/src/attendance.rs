//! Sessions, attendance marks and weekly intensity: the hours that count.

use serde::Serialize;
use time::OffsetDateTime;

/// An attendance mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Present,
    Late,
    LeftEarly,
    AbsentExcused,
    AbsentUnexcused,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Present,
        Status::Late,
        Status::LeftEarly,
        Status::AbsentExcused,
        Status::AbsentUnexcused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Present => "present",
            Status::Late => "late",
            Status::LeftEarly => "left_early",
            Status::AbsentExcused => "absent_excused",
            Status::AbsentUnexcused => "absent_unexcused",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn attended(self) -> bool {
        matches!(self, Status::Present | Status::Late | Status::LeftEarly)
    }
}

/// Attended minutes: for present, late and left early, the overlap of [check-in or the
/// session's start, check-out or its end] with the session; 0 for absences.
pub fn attended_minutes(
    status: Status,
    start: OffsetDateTime,
    end: OffsetDateTime,
    check_in: Option<OffsetDateTime>,
    check_out: Option<OffsetDateTime>,
) -> u32 {
    if !status.attended() {
        return 0;
    }
    let from = check_in.unwrap_or(start).max(start);
    let to = check_out.unwrap_or(end).min(end);
    if to <= from {
        0
    } else {
        u32::try_from((to - from).whole_minutes()).unwrap_or(0)
    }
}

/// An ISO week (`YYYY-Www`) in a time zone: its name and its local Monday-to-Monday bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Week {
    pub name: String,
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
}

fn to_time(ts: jiff::Timestamp) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(ts.as_second()).ok()
}

fn week_of_date(date: jiff::civil::Date, zone: &jiff::tz::TimeZone) -> Option<Week> {
    let iso = date.iso_week_date();
    let monday =
        jiff::civil::ISOWeekDate::new(iso.year(), iso.week(), jiff::civil::Weekday::Monday)
            .ok()?
            .date();
    let next = monday.checked_add(jiff::Span::new().days(7)).ok()?;
    let start = zone
        .to_timestamp(monday.to_datetime(jiff::civil::Time::midnight()))
        .ok()?;
    let end = zone
        .to_timestamp(next.to_datetime(jiff::civil::Time::midnight()))
        .ok()?;
    Some(Week {
        name: format!("{:04}-W{:02}", iso.year(), iso.week()),
        start: to_time(start)?,
        end: to_time(end)?,
    })
}

/// The eight local midnights that bound a week's days in a zone, Monday's through the next
/// Monday's, so a store can tell a session's local day by comparing instants (a day is 23 or
/// 25 hours long when the clocks change).
pub fn week_midnights(week: &Week, time_zone: &str) -> Option<[OffsetDateTime; 8]> {
    let zone = jiff::tz::TimeZone::get(time_zone).ok()?;
    let ts = jiff::Timestamp::from_second(week.start.unix_timestamp()).ok()?;
    let mut date = zone.to_datetime(ts).date();
    let mut out = [week.start; 8];
    for slot in &mut out {
        let midnight = zone
            .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
            .ok()?;
        *slot = to_time(midnight)?;
        date = date.tomorrow().ok()?;
    }
    Some(out)
}

/// Parses `YYYY-Www` (a week that exists in that ISO year) in a time zone.
pub fn parse_week(text: &str, time_zone: &str) -> Option<Week> {
    let zone = jiff::tz::TimeZone::get(time_zone).ok()?;
    let (year, week) = text.split_once("-W")?;
    if year.len() != 4 || week.len() != 2 {
        return None;
    }
    let year: i16 = year.parse().ok()?;
    let week: i8 = week.parse().ok()?;
    let date = jiff::civil::ISOWeekDate::new(year, week, jiff::civil::Weekday::Monday)
        .ok()?
        .date();
    week_of_date(date, &zone)
}

/// The week an instant falls in, in a time zone.
pub fn week_containing(at: OffsetDateTime, time_zone: &str) -> Option<Week> {
    let zone = jiff::tz::TimeZone::get(time_zone).ok()?;
    let ts = jiff::Timestamp::from_second(at.unix_timestamp()).ok()?;
    week_of_date(zone.to_datetime(ts).date(), &zone)
}

/// The local calendar date of an instant in a zone, as `YYYY-MM-DD` (for counting days).
pub fn local_date(at: OffsetDateTime, time_zone: &str) -> Option<String> {
    let zone = jiff::tz::TimeZone::get(time_zone).ok()?;
    let ts = jiff::Timestamp::from_second(at.unix_timestamp()).ok()?;
    Some(zone.to_datetime(ts).date().to_string())
}

/// An instant as the site's staff read it: `Mon 2026-11-23 18:00` (empty when the zone is
/// unknown).
pub fn local_label(at: OffsetDateTime, time_zone: &str) -> String {
    local_parts(at, time_zone)
        .map(|(weekday, date, hhmm)| format!("{weekday} {date} {hhmm}"))
        .unwrap_or_default()
}

/// `(weekday mon..sun, YYYY-MM-DD, HH:MM)` of an instant in a zone.
pub fn local_parts(at: OffsetDateTime, time_zone: &str) -> Option<(&'static str, String, String)> {
    let zone = jiff::tz::TimeZone::get(time_zone).ok()?;
    let ts = jiff::Timestamp::from_second(at.unix_timestamp()).ok()?;
    let dt = zone.to_datetime(ts);
    let weekday = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        [usize::from(dt.weekday().to_monday_zero_offset().unsigned_abs())];
    Some((
        weekday,
        dt.date().to_string(),
        format!("{:02}:{:02}", dt.hour(), dt.minute()),
    ))
}

/// Patients whose most recent `n` marked sessions (by start) were all absences, from marks
/// `(patient, session start, status)` in any order.
pub fn missed_in_a_row<K: Ord + Clone>(marks: &[(K, OffsetDateTime, Status)], n: usize) -> Vec<K> {
    let mut by_patient: std::collections::BTreeMap<K, Vec<(OffsetDateTime, Status)>> =
        std::collections::BTreeMap::new();
    for (k, at, status) in marks {
        by_patient
            .entry(k.clone())
            .or_default()
            .push((*at, *status));
    }
    by_patient
        .into_iter()
        .filter_map(|(k, mut list)| {
            list.sort_by_key(|m| std::cmp::Reverse(m.0));
            (n > 0 && list.len() >= n && list[..n].iter().all(|(_, s)| !s.attended())).then_some(k)
        })
        .collect()
}

/// Marked sessions and unexcused absences (no-shows) of a group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct NoShows {
    pub marked: u32,
    pub no_shows: u32,
}

impl NoShows {
    pub fn rate(self) -> f64 {
        if self.marked == 0 {
            0.0
        } else {
            f64::from(self.no_shows) / f64::from(self.marked)
        }
    }
}

/// No-show counts per group (a track, a kind of session) from `(group, status)` marks.
pub fn no_shows<G: Ord>(
    marks: impl IntoIterator<Item = (G, Status)>,
) -> std::collections::BTreeMap<G, NoShows> {
    let mut out: std::collections::BTreeMap<G, NoShows> = std::collections::BTreeMap::new();
    for (g, status) in marks {
        let entry = out.entry(g).or_default();
        entry.marked += 1;
        if status == Status::AbsentUnexcused {
            entry.no_shows += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn week_midnights_follow_the_clock_change() {
        // 2026-W10 holds Chicago's spring change (Sunday 2026-03-08): that Sunday has 23 hours.
        let week = parse_week("2026-W10", "America/Chicago").expect("week");
        let days = week_midnights(&week, "America/Chicago").expect("midnights");
        assert_eq!(days[0], week.start);
        assert_eq!(days[7], week.end);
        let hours: Vec<i64> = days
            .windows(2)
            .map(|w| (w[1] - w[0]).whole_hours())
            .collect();
        assert_eq!(hours, vec![24, 24, 24, 24, 24, 24, 23]);
        assert_eq!(days[1], datetime!(2026-03-03 06:00 UTC));
        assert!(week_midnights(&week, "Not/AZone").is_none());
    }
    #[test]
    fn two_absences_in_a_row_and_no_show_rates() {
        use super::Status::*;
        let at = |h: i64| time::OffsetDateTime::UNIX_EPOCH + time::Duration::hours(h);
        let marks = vec![
            ("ann", at(1), Present),
            ("ann", at(3), AbsentExcused),
            ("ann", at(2), AbsentUnexcused),
            ("bob", at(1), AbsentUnexcused),
            ("bob", at(2), Late),
            ("cy", at(5), AbsentUnexcused),
        ];
        assert_eq!(super::missed_in_a_row(&marks, 2), ["ann"]);
        assert_eq!(super::missed_in_a_row(&marks, 1), ["ann", "cy"]);
        let rates = super::no_shows(marks.iter().map(|(k, _, s)| (*k, *s)));
        assert_eq!(
            rates["ann"],
            super::NoShows {
                marked: 3,
                no_shows: 1
            }
        );
        assert!((rates["bob"].rate() - 0.5).abs() < 1e-9);
        assert_eq!(super::NoShows::default().rate(), 0.0);
    }

    use super::*;
    use time::macros::datetime;

    const START: OffsetDateTime = datetime!(2026-11-23 18:00 -6);
    const END: OffsetDateTime = datetime!(2026-11-23 21:00 -6);

    #[test]
    fn attended_minutes_follow_the_marks() {
        assert_eq!(
            attended_minutes(Status::Present, START, END, None, None),
            180
        );
        assert_eq!(
            attended_minutes(
                Status::Late,
                START,
                END,
                Some(datetime!(2026-11-23 18:20 -6)),
                None
            ),
            160
        );
        assert_eq!(
            attended_minutes(
                Status::LeftEarly,
                START,
                END,
                None,
                Some(datetime!(2026-11-23 20:00 -6))
            ),
            120
        );
        assert_eq!(
            attended_minutes(
                Status::Present,
                START,
                END,
                Some(datetime!(2026-11-23 17:00 -6)),
                Some(datetime!(2026-11-23 22:00 -6))
            ),
            180,
            "only the overlap counts"
        );
        assert_eq!(
            attended_minutes(Status::AbsentExcused, START, END, None, None),
            0
        );
        assert_eq!(
            attended_minutes(
                Status::Late,
                START,
                END,
                Some(datetime!(2026-11-23 22:00 -6)),
                None
            ),
            0
        );
    }

    #[test]
    fn iso_weeks_in_a_zone() {
        let w = parse_week("2026-W48", "America/Chicago").unwrap();
        assert_eq!(w.start, datetime!(2026-11-23 00:00 -6));
        assert_eq!(w.end, datetime!(2026-11-30 00:00 -6));
        assert_eq!(
            week_containing(datetime!(2026-11-25 12:00 UTC), "America/Chicago")
                .unwrap()
                .name,
            "2026-W48"
        );
        // Sunday 23:30 local is still the same week, though it is Monday in UTC.
        assert_eq!(
            week_containing(datetime!(2026-11-30 05:30 UTC), "America/Chicago")
                .unwrap()
                .name,
            "2026-W48"
        );
        assert!(parse_week("2026-W54", "UTC").is_none());
        assert!(parse_week("2026-48", "UTC").is_none());
        assert!(
            parse_week("2020-W53", "UTC").is_some(),
            "2020 had 53 ISO weeks"
        );
        assert!(
            parse_week("2026-W53", "UTC").is_some(),
            "2026 has 53 ISO weeks"
        );
        assert!(parse_week("2027-W53", "UTC").is_none());
    }
}

/// A weekly recurring session: a weekday (0 = Monday), a local start time and a length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recurrence {
    pub weekday: u8,
    /// Minutes after local midnight.
    pub start: u16,
    pub minutes: u16,
}

/// The dated occurrences of a recurrence between two local dates (inclusive), as instants in
/// the site's zone: a Monday 18:00 group stays at 18:00 local on both sides of a daylight-
/// saving change. A start inside a spring-forward gap takes the later wall time.
pub fn expand(
    r: Recurrence,
    time_zone: &str,
    from: time::Date,
    to: time::Date,
) -> Vec<(OffsetDateTime, OffsetDateTime)> {
    let Ok(zone) = jiff::tz::TimeZone::get(time_zone) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut day = from;
    while day <= to {
        if day.weekday().number_days_from_monday() == r.weekday {
            let civil = jiff::civil::date(day.year() as i16, day.month() as i8, day.day() as i8)
                .at((r.start / 60) as i8, (r.start % 60) as i8, 0, 0);
            if let Ok(start) = zone.to_ambiguous_timestamp(civil).later() {
                let end = start.checked_add(jiff::SignedDuration::from_mins(i64::from(r.minutes)));
                if let (Some(s), Some(e)) = (to_time(start), end.ok().and_then(to_time)) {
                    out.push((s, e));
                }
            }
        }
        match day.next_day() {
            Some(next) => day = next,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod recurrence {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn a_monday_evening_group_stays_at_18_local_across_the_dst_change() {
        // US daylight saving time ends on Sunday 2026-11-01.
        let monday_group = Recurrence {
            weekday: 0,
            start: 18 * 60,
            minutes: 180,
        };
        let dated = expand(
            monday_group,
            "America/Chicago",
            date!(2026 - 10 - 26),
            date!(2026 - 11 - 09),
        );
        assert_eq!(dated.len(), 3);
        assert_eq!(
            dated[0].0,
            datetime!(2026-10-26 18:00 -5),
            "CDT before the change"
        );
        assert_eq!(dated[1].0, datetime!(2026-11-02 18:00 -6), "CST after it");
        assert_eq!(dated[2].1, datetime!(2026-11-09 21:00 -6));
        assert_eq!(dated[0].0.to_offset(time::UtcOffset::UTC).hour(), 23);
        assert_eq!(dated[1].0.to_offset(time::UtcOffset::UTC).hour(), 0);
    }

    #[test]
    fn a_start_in_the_spring_gap_moves_later() {
        // 2026-03-08 02:30 does not exist in Chicago.
        let sunday = Recurrence {
            weekday: 6,
            start: 2 * 60 + 30,
            minutes: 60,
        };
        let dated = expand(
            sunday,
            "America/Chicago",
            date!(2026 - 03 - 08),
            date!(2026 - 03 - 08),
        );
        assert_eq!(dated[0].0, datetime!(2026-03-08 03:30 -5));
        assert!(
            expand(
                sunday,
                "Nowhere/City",
                date!(2026 - 03 - 08),
                date!(2026 - 03 - 08)
            )
            .is_empty()
        );
    }
}
