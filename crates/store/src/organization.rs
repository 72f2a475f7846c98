//! Organizations, sites, programs and tracks: how a program is laid out.

use openiop_core::program::{AgeGroup, Level, NewSite, NewTrack};
use uuid::Uuid;

use crate::{Db, Instant, Result, on_db};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Organization {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Site {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TrackRow {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub program_id: Uuid,
    pub site_id: Uuid,
    pub name: String,
    pub level: String,
    pub target_minutes: i32,
    pub min_days: i32,
    pub age_group: String,
}

/// A track as the rest of the system sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    pub id: Uuid,
    pub program_id: Uuid,
    pub site_id: Uuid,
    pub name: String,
    pub level: Level,
    pub target_minutes: u32,
    pub min_days: u8,
    pub age_group: AgeGroup,
}

impl TryFrom<TrackRow> for Track {
    type Error = crate::StoreError;
    fn try_from(row: TrackRow) -> Result<Track> {
        let bad = |what: &str| {
            crate::StoreError::Database(sqlx::Error::Decode(format!("bad track {what}").into()))
        };
        Ok(Track {
            id: row.id,
            program_id: row.program_id,
            site_id: row.site_id,
            name: row.name,
            level: Level::parse(&row.level).ok_or_else(|| bad("level"))?,
            target_minutes: u32::try_from(row.target_minutes).map_err(|_| bad("minutes"))?,
            min_days: u8::try_from(row.min_days).map_err(|_| bad("days"))?,
            age_group: AgeGroup::parse(&row.age_group).ok_or_else(|| bad("age group"))?,
        })
    }
}

macro_rules! track_columns {
    () => {
        "id, organization_id, program_id, site_id, name, level, target_minutes, min_days, age_group"
    };
}

/// The first organization (the one the bootstrap and `user add` use).
pub async fn first_organization(db: &mut Db<'_>) -> Result<Option<Organization>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Organization>(
            "SELECT id, name FROM organizations ORDER BY created_at, id LIMIT 1",
        )
        .fetch_optional(&mut **c)
        .await
    })?)
}

pub async fn find_organization(db: &mut Db<'_>, id: Uuid) -> Result<Option<Organization>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Organization>("SELECT id, name FROM organizations WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **c)
            .await
    })?)
}

pub async fn insert_organization(
    db: &mut Db<'_>,
    id: Uuid,
    name: &str,
    now: Instant,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(name)
            .bind(now)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Creates a site and its program (every site runs one program to begin with).
pub async fn insert_site(
    db: &mut Db<'_>,
    organization_id: Uuid,
    site: &NewSite,
    now: Instant,
) -> Result<Site> {
    let id = openiop_core::id::new_id();
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO sites (id, organization_id, name, time_zone, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(organization_id)
        .bind(&site.name)
        .bind(&site.time_zone)
        .bind(now)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO programs (id, organization_id, site_id, name, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(openiop_core::id::new_id())
        .bind(organization_id)
        .bind(id)
        .bind(format!("{} program", site.name))
        .bind(now)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(Site {
        id,
        organization_id,
        name: site.name.clone(),
        time_zone: site.time_zone.clone(),
    })
}

pub async fn list_sites(db: &mut Db<'_>, organization_id: Uuid) -> Result<Vec<Site>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Site>(
            "SELECT id, organization_id, name, time_zone FROM sites WHERE organization_id = $1 ORDER BY created_at, id",
        )
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

pub async fn find_site(db: &mut Db<'_>, organization_id: Uuid, id: Uuid) -> Result<Option<Site>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Site>(
            "SELECT id, organization_id, name, time_zone FROM sites WHERE organization_id = $1 AND id = $2",
        )
        .bind(organization_id)
        .bind(id)
        .fetch_optional(&mut **c)
        .await
    })?)
}

/// Adds a track to the program of a site.
pub async fn insert_track(
    db: &mut Db<'_>,
    organization_id: Uuid,
    site_id: Uuid,
    track: &NewTrack,
    now: Instant,
) -> Result<Track> {
    let program_id: Uuid = on_db!(db, |c| {
        sqlx::query_scalar(
            "SELECT id FROM programs WHERE organization_id = $1 AND site_id = $2 ORDER BY created_at, id LIMIT 1",
        )
        .bind(organization_id)
        .bind(site_id)
        .fetch_one(&mut **c)
        .await
    })?;
    let id = openiop_core::id::new_id();
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO tracks (id, organization_id, program_id, site_id, name, level, target_minutes, min_days, age_group, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(organization_id)
        .bind(program_id)
        .bind(site_id)
        .bind(&track.name)
        .bind(track.level.as_str())
        .bind(i32::try_from(track.target_minutes).unwrap_or(i32::MAX))
        .bind(i32::from(track.min_days))
        .bind(track.age_group.as_str())
        .bind(now)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(Track {
        id,
        program_id,
        site_id,
        name: track.name.clone(),
        level: track.level,
        target_minutes: track.target_minutes,
        min_days: track.min_days,
        age_group: track.age_group,
    })
}

pub async fn list_tracks(db: &mut Db<'_>, organization_id: Uuid) -> Result<Vec<Track>> {
    let sql = concat!(
        "SELECT ",
        track_columns!(),
        " FROM tracks WHERE organization_id = $1 ORDER BY created_at, id"
    );
    let rows = on_db!(db, |c| {
        sqlx::query_as::<_, TrackRow>(sql)
            .bind(organization_id)
            .fetch_all(&mut **c)
            .await
    })?;
    rows.into_iter().map(Track::try_from).collect()
}

pub async fn find_track(db: &mut Db<'_>, organization_id: Uuid, id: Uuid) -> Result<Option<Track>> {
    let sql = concat!(
        "SELECT ",
        track_columns!(),
        " FROM tracks WHERE organization_id = $1 AND id = $2"
    );
    let row = on_db!(db, |c| {
        sqlx::query_as::<_, TrackRow>(sql)
            .bind(organization_id)
            .bind(id)
            .fetch_optional(&mut **c)
            .await
    })?;
    row.map(Track::try_from).transpose()
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Program {
    pub id: Uuid,
    pub site_id: Uuid,
    pub name: String,
    /// JSON of the program's settings, when it has its own.
    pub settings: Option<String>,
}

pub async fn list_programs(db: &mut Db<'_>, organization_id: Uuid) -> Result<Vec<Program>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Program>(
            "SELECT id, site_id, name, settings FROM programs WHERE organization_id = $1 ORDER BY created_at, id",
        )
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

/// Replaces a program's settings; false when no such program exists in the organization.
pub async fn set_program_settings(
    db: &mut Db<'_>,
    organization_id: Uuid,
    id: Uuid,
    settings: Option<&str>,
) -> Result<bool> {
    let changed = on_db!(db, |c| {
        sqlx::query("UPDATE programs SET settings = $1 WHERE organization_id = $2 AND id = $3")
            .bind(settings)
            .bind(organization_id)
            .bind(id)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(changed == 1)
}

/// The settings of the program an episode belongs to (through its track).
pub async fn find_settings_of_episode(
    db: &mut Db<'_>,
    organization_id: Uuid,
    episode_id: Uuid,
) -> Result<Option<String>> {
    let row: Option<(Option<String>,)> = on_db!(db, |c| {
        sqlx::query_as(
            "SELECT p.settings FROM episodes e JOIN tracks t ON t.id = e.track_id JOIN programs p ON p.id = t.program_id \
             WHERE e.id = $1 AND e.organization_id = $2",
        )
        .bind(episode_id)
        .bind(organization_id)
        .fetch_optional(&mut **c)
        .await
    })?;
    Ok(row.and_then(|(s,)| s))
}

/// Whether an organization requires multi-factor authentication of its staff.
pub async fn find_mfa_required(db: &mut Db<'_>, organization_id: Uuid) -> Result<bool> {
    Ok(on_db!(db, |c| {
        sqlx::query_scalar::<_, bool>("SELECT mfa_required FROM organizations WHERE id = $1")
            .bind(organization_id)
            .fetch_one(&mut **c)
            .await
    })?)
}

/// Sets whether an organization requires multi-factor authentication of its staff.
pub async fn set_mfa_required(
    db: &mut Db<'_>,
    organization_id: Uuid,
    required: bool,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query("UPDATE organizations SET mfa_required = $1 WHERE id = $2")
            .bind(required)
            .bind(organization_id)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

crate::json_columns!(Program, "programs", id, {
    /// The program's own settings, when it has any.
    settings_doc: settings "nullable" -> openiop_core::settings::SettingsDoc;
});
