//! Program structure: sites, tracks and episodes of care, and their rules.
//!
//! Levels of care follow the ASAM criteria (3rd edition): outpatient (level 1) is under 9
//! hours a week for adults (under 6 for adolescents), intensive outpatient (2.1) at least 9
//! (6), partial hospitalization (2.5) at least 20.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::validate::{Check, Invalid};

/// A level of care a track delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Outpatient (ASAM 1).
    Op,
    /// Intensive outpatient (ASAM 2.1).
    Iop,
    /// Partial hospitalization (ASAM 2.5).
    Php,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Op, Level::Iop, Level::Php];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Op => "op",
            Level::Iop => "iop",
            Level::Php => "php",
        }
    }

    pub fn parse(text: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::Op => "Outpatient (ASAM 1)",
            Level::Iop => "Intensive outpatient (ASAM 2.1)",
            Level::Php => "Partial hospitalization (ASAM 2.5)",
        }
    }

    /// The weekly minutes this level allows for an age group: `[min, max)`.
    pub fn weekly_minutes(self, age: AgeGroup) -> (u32, u32) {
        let iop_floor = match age {
            AgeGroup::Adult => 9 * 60,
            AgeGroup::Adolescent => 6 * 60,
        };
        match self {
            Level::Op => (1, iop_floor),
            Level::Iop => (iop_floor, 20 * 60),
            Level::Php => (20 * 60, 70 * 60 + 1),
        }
    }
}

/// Who a track serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeGroup {
    Adult,
    Adolescent,
}

impl AgeGroup {
    pub const ALL: [AgeGroup; 2] = [AgeGroup::Adult, AgeGroup::Adolescent];

    pub fn as_str(self) -> &'static str {
        match self {
            AgeGroup::Adult => "adult",
            AgeGroup::Adolescent => "adolescent",
        }
    }

    pub fn parse(text: &str) -> Option<AgeGroup> {
        AgeGroup::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// A site that passed the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSite {
    pub name: String,
    pub time_zone: String,
}

impl NewSite {
    pub fn parse(name: &str, time_zone: &str) -> Result<NewSite, Invalid> {
        let mut check = Check::new();
        let name = check.text("name", name, 100);
        let zone = time_zone.trim();
        if !is_time_zone(zone) {
            check.fail(
                "time_zone",
                "must be an IANA time zone such as America/Chicago or UTC",
            );
        }
        check.finish(|| {
            Some(NewSite {
                name: name?,
                time_zone: zone.to_owned(),
            })
        })
    }
}

/// Whether a name is a time zone of the IANA database (as bundled with OpenIOP).
pub fn is_time_zone(name: &str) -> bool {
    !name.is_empty() && jiff::tz::TimeZone::get(name).is_ok()
}

/// A track as typed, before rules.
#[derive(Debug, Clone, Copy)]
pub struct TrackForm<'a> {
    pub name: &'a str,
    pub level: &'a str,
    pub target_hours: f64,
    pub min_days: i64,
    pub age_group: &'a str,
}

/// A track that passed the rules. Hours are kept as whole minutes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTrack {
    pub name: String,
    pub level: Level,
    pub target_minutes: u32,
    pub min_days: u8,
    pub age_group: AgeGroup,
}

impl NewTrack {
    pub fn parse(form: &TrackForm<'_>) -> Result<NewTrack, Invalid> {
        let mut check = Check::new();
        let name = check.text("name", form.name, 100);
        let level = Level::parse(form.level);
        if level.is_none() {
            check.fail("level", "must be one of op, iop, php");
        }
        let age_group = AgeGroup::parse(form.age_group);
        if age_group.is_none() {
            check.fail("age_group", "must be adult or adolescent");
        }
        let minutes = form.target_hours * 60.0;
        let target_minutes = if !(minutes.is_finite() && (1.0..=70.0 * 60.0).contains(&minutes)) {
            check.fail(
                "target_hours",
                "must be a number of hours above 0 and at most 70",
            );
            None
        } else {
            Some(minutes.round() as u32)
        };
        if let (Some(level), Some(age), Some(m)) = (level, age_group, target_minutes) {
            let (low, high) = level.weekly_minutes(age);
            if m < low || m >= high {
                check.fail(
                    "target_hours",
                    format!(
                        "{} for {}s needs {}",
                        level.label(),
                        age.as_str(),
                        describe_range(low, high)
                    ),
                );
            }
        }
        let min_days = if (1..=7).contains(&form.min_days) {
            Some(form.min_days as u8)
        } else {
            check.fail("min_days", "must be a whole number of days from 1 to 7");
            None
        };
        check.finish(|| {
            Some(NewTrack {
                name: name?,
                level: level?,
                target_minutes: target_minutes?,
                min_days: min_days?,
                age_group: age_group?,
            })
        })
    }
}

fn describe_range(low: u32, high: u32) -> String {
    let h = |m: u32| format!("{}", f64::from(m) / 60.0);
    if low <= 1 {
        format!("under {} hours a week", h(high))
    } else if high > 70 * 60 {
        format!("at least {} hours a week", h(low))
    } else {
        format!("at least {} and under {} hours a week", h(low), h(high))
    }
}

/// The state of an episode of care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EpisodeStatus {
    Active,
    Discharged,
}

impl EpisodeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EpisodeStatus::Active => "active",
            EpisodeStatus::Discharged => "discharged",
        }
    }

    pub fn parse(text: &str) -> Option<EpisodeStatus> {
        match text {
            "active" => Some(EpisodeStatus::Active),
            "discharged" => Some(EpisodeStatus::Discharged),
            _ => None,
        }
    }
}

/// Checks an admission date: a real date, not before birth, not more than 90 days ahead
/// (admissions are booked, not imagined).
pub fn parse_admission(admitted_on: &str, birth_date: Date, today: Date) -> Result<Date, Invalid> {
    let mut check = Check::new();
    let date = check.date("admitted_on", admitted_on);
    if let Some(d) = date {
        if d < birth_date {
            check.fail("admitted_on", "must not be before the patient's birth date");
        } else if d > today + time::Duration::days(90) {
            check.fail("admitted_on", "must be at most 90 days from today");
        }
    }
    check.finish(|| date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn track(level: &str, hours: f64, age: &str) -> Result<NewTrack, Invalid> {
        NewTrack::parse(&TrackForm {
            name: "Evening IOP",
            level,
            target_hours: hours,
            min_days: 3,
            age_group: age,
        })
    }

    #[test]
    fn iop_needs_nine_hours_for_adults_six_for_adolescents() {
        assert!(track("iop", 9.0, "adult").is_ok());
        assert!(track("iop", 8.5, "adult").is_err());
        assert!(track("iop", 6.0, "adolescent").is_ok());
        assert!(track("iop", 19.5, "adult").is_ok());
        assert!(track("iop", 20.0, "adult").is_err());
        assert!(track("op", 8.0, "adult").is_ok());
        assert!(track("op", 9.0, "adult").is_err());
        assert!(track("php", 20.0, "adult").is_ok());
        assert!(track("php", 19.0, "adult").is_err());
    }

    #[test]
    fn bad_values_name_their_fields() {
        let err = NewTrack::parse(&TrackForm {
            name: "",
            level: "residential",
            target_hours: f64::NAN,
            min_days: 8,
            age_group: "senior",
        })
        .unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["name", "level", "age_group", "target_hours", "min_days"]
        );
    }

    #[test]
    fn time_zones_come_from_the_iana_database() {
        assert!(NewSite::parse("Main", "America/Chicago").is_ok());
        assert!(NewSite::parse("Main", "UTC").is_ok());
        assert!(NewSite::parse("Main", "Mars/Olympus").is_err());
        assert!(NewSite::parse("Main", "").is_err());
    }

    #[test]
    fn admissions_are_bounded() {
        let today = date!(2026 - 11 - 25);
        let birth = date!(1990 - 01 - 01);
        assert!(parse_admission("2026-11-25", birth, today).is_ok());
        assert!(parse_admission("1989-12-31", birth, today).is_err());
        assert!(parse_admission("2027-06-01", birth, today).is_err());
        assert!(parse_admission("2026-13-01", birth, today).is_err());
    }
}

/// A local date and time (`YYYY-MM-DDTHH:MM`, as a browser's `datetime-local` sends it) in a
/// site's time zone, as an instant. In a daylight-saving gap or overlap the earlier
/// reading applies.
pub fn local_to_instant(time_zone: &str, local: &str) -> Option<time::OffsetDateTime> {
    let zone = jiff::tz::TimeZone::get(time_zone).ok()?;
    let civil: jiff::civil::DateTime = local.trim().parse().ok()?;
    let instant = zone.to_timestamp(civil).ok()?;
    time::OffsetDateTime::from_unix_timestamp(instant.as_second()).ok()
}

#[cfg(test)]
mod local_time {
    use super::*;

    #[test]
    fn local_times_follow_the_site_zone_across_dst() {
        let winter = local_to_instant("America/Chicago", "2026-01-12T18:00").unwrap();
        let summer = local_to_instant("America/Chicago", "2026-07-13T18:00").unwrap();
        assert_eq!(winter.hour(), 0, "18:00 CST is 00:00 UTC");
        assert_eq!(summer.hour(), 23, "18:00 CDT is 23:00 UTC");
        assert!(local_to_instant("Nowhere/City", "2026-01-12T18:00").is_none());
        assert!(local_to_instant("UTC", "tomorrow").is_none());
    }
}
