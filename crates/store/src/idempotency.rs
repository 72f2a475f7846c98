//! Idempotency keys, shared by every instance through the database.

use crate::{Db, Instant, Result, on_db};

/// How a request with a key stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// First time: run it, then [`finish`] (or [`abandon`] on a server error).
    New,
    /// The same key is running elsewhere right now.
    InFlight,
    /// The key was used for a different request.
    Mismatch,
    /// Answered before: send the same answer.
    Done {
        status: i32,
        content_type: Option<String>,
        body: String,
        /// What the original wrote to the audit trail about patients (JSON, the web layer's
        /// to read), so a replay is audited alike.
        audit: Option<String>,
    },
}

#[derive(sqlx::FromRow)]
struct Row {
    request_hash: String,
    status: Option<i32>,
    content_type: Option<String>,
    body: Option<String>,
    audit: Option<String>,
    created_at: Instant,
}

/// Claims `key` for a request, unless it is known; a key older than `forget_before` is
/// forgotten first.
pub async fn begin(
    db: &mut Db<'_>,
    scope: &str,
    key: &str,
    request_hash: &str,
    now: Instant,
    forget_before: Instant,
) -> Result<Begin> {
    for _ in 0..2 {
        let inserted = on_db!(db, |c| {
            sqlx::query(
                "INSERT INTO idempotency_keys (scope, key, request_hash, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (scope, key) DO NOTHING",
            )
            .bind(scope)
            .bind(key)
            .bind(request_hash)
            .bind(now)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
        })?;
        if inserted == 1 {
            return Ok(Begin::New);
        }
        let row: Option<Row> = on_db!(db, |c| {
            sqlx::query_as::<_, Row>(
                "SELECT request_hash, status, content_type, body, audit, created_at FROM idempotency_keys \
                 WHERE scope = $1 AND key = $2",
            )
            .bind(scope)
            .bind(key)
            .fetch_optional(&mut **c)
            .await
        })?;
        let Some(row) = row else { continue };
        if row.created_at < forget_before {
            abandon(db, scope, key).await?;
            continue;
        }
        return Ok(if row.request_hash != request_hash {
            Begin::Mismatch
        } else {
            match row.status {
                None => Begin::InFlight,
                Some(status) => Begin::Done {
                    status,
                    content_type: row.content_type,
                    body: row.body.unwrap_or_default(),
                    audit: row.audit,
                },
            }
        });
    }
    Ok(Begin::InFlight)
}

/// Keeps the answer of a request that ran.
pub async fn finish(
    db: &mut Db<'_>,
    scope: &str,
    key: &str,
    status: i32,
    content_type: Option<&str>,
    body: &str,
    audit: &str,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "UPDATE idempotency_keys SET status = $1, content_type = $2, body = $3, audit = $6 WHERE scope = $4 AND key = $5",
        )
        .bind(status)
        .bind(content_type)
        .bind(body)
        .bind(scope)
        .bind(key)
        .bind(audit)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Forgets a key (its request failed on the server's side, so a retry may run it again).
pub async fn abandon(db: &mut Db<'_>, scope: &str, key: &str) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2")
            .bind(scope)
            .bind(key)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Forgets every key made before `before`; returns how many.
pub async fn forget(db: &mut Db<'_>, before: Instant) -> Result<u64> {
    Ok(on_db!(db, |c| {
        sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(before)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
    })?)
}
