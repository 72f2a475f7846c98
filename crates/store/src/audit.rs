//! The audit trail: append-only events in several HMAC-chained streams.
//!
//! A transaction appends to one chain, chosen round-robin at its first event. It first bumps
//! that chain's head with `UPDATE ... RETURNING` (which takes the row lock on PostgreSQL and
//! is serialized by the single writer on SQLite), then inserts the sealed event and records
//! the new head hash. Concurrent transactions on different chains never wait for each other;
//! see ARCHITECTURE.md for the reasoning.

use std::sync::atomic::{AtomicU32, Ordering};

use openiop_core::audit::{ChainVerifier, Event, Head, Outcome, Sealed, Summary, seal};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::{Db, Instant, Result, Store, StoreError, Tx, on_db};

/// How many chains exist (created by the first migration).
pub const CHAINS: u32 = 16;

static NEXT_CHAIN: AtomicU32 = AtomicU32::new(0);

fn next_chain() -> i32 {
    // Start each process at a different chain so instances spread out from the first event.
    let n = NEXT_CHAIN
        .fetch_add(1, Ordering::Relaxed)
        .wrapping_add(std::process::id());
    (n % CHAINS) as i32
}

impl Tx {
    /// Appends an event; it commits with the transaction or not at all.
    pub async fn audit(&mut self, event: Event) -> Result<()> {
        let key = self.audit_key.clone().ok_or(StoreError::NoAuditKey)?;
        let chain = *self.audit_chain.get_or_insert_with(next_chain);
        let mut db = self.db();
        let (seq, prev_hash): (i64, String) = on_db!(&mut db, |c| {
            sqlx::query_as(
                "UPDATE audit_chains SET last_seq = last_seq + 1 WHERE chain = $1 RETURNING last_seq, last_hash",
            )
            .bind(chain)
            .fetch_one(&mut **c)
            .await
        })?;
        let sealed = seal(&key, chain, Some((seq - 1, &prev_hash)), event);
        insert_events(&mut db, std::slice::from_ref(&sealed)).await?;
        on_db!(&mut db, |c| {
            sqlx::query("UPDATE audit_chains SET last_hash = $1 WHERE chain = $2")
                .bind(&sealed.hash)
                .bind(chain)
                .execute(&mut **c)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(())
    }
}

/// Events waiting for the group commit, and who to tell when they are durable.
pub(crate) struct Pending {
    events: Vec<Event>,
    done: oneshot::Sender<std::result::Result<(), String>>,
}

/// The largest number of requests whose events share one commit.
const BATCH_MAX: usize = 256;

/// Group commit of read events: while one batch commits, the next requests queue; the next
/// batch takes them all in one transaction (one fsync), then wakes each waiting request.
/// No artificial delay: a lone request is committed at once.
pub(crate) async fn run_batcher(store: Store, mut queue: mpsc::Receiver<Pending>) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH_MAX {
            match queue.try_recv() {
                Ok(more) => batch.push(more),
                Err(_) => break,
            }
        }
        let events: Vec<Event> = batch
            .iter_mut()
            .flat_map(|p| std::mem::take(&mut p.events))
            .collect();
        let result = store.record_now(events).await.map_err(|e| e.to_string());
        for pending in batch {
            let _ = pending.done.send(result.clone());
        }
    }
}

impl Store {
    /// Records events durably before returning (reads use this: their event must be on disk
    /// before the response leaves). Concurrent callers share commits through the batcher.
    pub async fn record(&self, events: Vec<Event>) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let Some(queue) = &self.audit_queue else {
            return self.record_now(events).await;
        };
        let (done, wait) = oneshot::channel();
        queue
            .send(Pending { events, done })
            .await
            .map_err(|_| StoreError::AuditWriter("the audit writer has stopped".into()))?;
        wait.await
            .map_err(|_| StoreError::AuditWriter("the audit writer has stopped".into()))?
            .map_err(StoreError::AuditWriter)
    }

    /// Records events in their own transaction, now.
    pub async fn record_now(&self, events: Vec<Event>) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.audit_batch(events).await?;
        tx.commit().await
    }
}

impl Tx {
    /// Appends many events to one chain with three statements whatever their number: the
    /// head moves by all of them at once, the events go in with multi-row inserts, the new
    /// head hash is written once. This is how the group commit writes a batch.
    pub async fn audit_batch(&mut self, events: Vec<Event>) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let key = self.audit_key.clone().ok_or(StoreError::NoAuditKey)?;
        let chain = *self.audit_chain.get_or_insert_with(next_chain);
        let count = i64::try_from(events.len()).unwrap_or(i64::MAX);
        let mut db = self.db();
        let (last_seq, prev_hash): (i64, String) = on_db!(&mut db, |c| {
            sqlx::query_as(
                "UPDATE audit_chains SET last_seq = last_seq + $1 WHERE chain = $2 RETURNING last_seq, last_hash",
            )
            .bind(count)
            .bind(chain)
            .fetch_one(&mut **c)
            .await
        })?;
        let mut head = (last_seq - count, prev_hash);
        let mut sealed = Vec::with_capacity(events.len());
        for event in events {
            let s = seal(&key, chain, Some((head.0, &head.1)), event);
            head = (s.seq, s.hash.clone());
            sealed.push(s);
        }
        for chunk in sealed.chunks(INSERT_ROWS) {
            insert_events(&mut db, chunk).await?;
        }
        on_db!(&mut db, |c| {
            sqlx::query("UPDATE audit_chains SET last_hash = $1 WHERE chain = $2")
                .bind(&head.1)
                .bind(chain)
                .execute(&mut **c)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(())
    }
}

/// Rows per multi-row insert (15 parameters each: well inside both databases' limits).
const INSERT_ROWS: usize = 64;

async fn insert_events(db: &mut Db<'_>, rows: &[Sealed]) -> Result<()> {
    let sql = format!(
        "INSERT INTO audit_events (id, chain, seq, prev_hash, hash, organization_id, at, actor_user_id, actor_role, \
         action, patient_id, resource, outcome, client_addr, detail) VALUES {}",
        crate::values_placeholders(1, 15, rows.len())
    );
    let mut ats = Vec::with_capacity(rows.len());
    for s in rows {
        ats.push(Instant::from_micros(s.event.at_micros).ok_or(StoreError::NotFound)?);
    }
    on_db!(db, |c| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for (s, at) in rows.iter().zip(&ats) {
            let e = &s.event;
            q = q
                .bind(e.id)
                .bind(s.chain)
                .bind(s.seq)
                .bind(&s.prev_hash)
                .bind(&s.hash)
                .bind(e.organization_id)
                .bind(*at)
                .bind(e.actor_user_id)
                .bind(&e.actor_role)
                .bind(&e.action)
                .bind(e.patient_id)
                .bind(&e.resource)
                .bind(e.outcome.as_str())
                .bind(&e.client_addr)
                .bind(&e.detail);
        }
        q.execute(&mut **c).await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct EventRow {
    id: Uuid,
    chain: i32,
    seq: i64,
    prev_hash: String,
    hash: String,
    organization_id: Uuid,
    at: Instant,
    actor_user_id: Option<Uuid>,
    actor_role: String,
    action: String,
    patient_id: Option<Uuid>,
    resource: String,
    outcome: String,
    client_addr: String,
    detail: String,
}

impl From<EventRow> for Sealed {
    fn from(r: EventRow) -> Sealed {
        Sealed {
            event: Event {
                id: r.id,
                organization_id: r.organization_id,
                at_micros: r.at.micros(),
                actor_user_id: r.actor_user_id,
                actor_role: r.actor_role,
                action: r.action,
                patient_id: r.patient_id,
                resource: r.resource,
                // An unknown outcome text can only come from tampering; mapping it to
                // `denied` still breaks the hash when the stored one said otherwise.
                outcome: if r.outcome == "allowed" {
                    Outcome::Allowed
                } else {
                    Outcome::Denied
                },
                client_addr: r.client_addr,
                detail: r.detail,
            },
            chain: r.chain,
            seq: r.seq,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

macro_rules! event_columns {
    () => {
        "id, chain, seq, prev_hash, hash, organization_id, at, actor_user_id, actor_role, action, patient_id, resource, outcome, client_addr, detail"
    };
}

/// Filters for the audit page.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub patient_id: Option<Uuid>,
    pub actor_user_id: Option<Uuid>,
    pub from: Option<Instant>,
    pub until: Option<Instant>,
}

/// The newest events matching a filter, newest first.
pub async fn list_events(
    db: &mut Db<'_>,
    organization_id: Uuid,
    filter: &AuditFilter,
    limit: u32,
) -> Result<Vec<Sealed>> {
    let sql = concat!(
        "SELECT ",
        event_columns!(),
        " FROM audit_events WHERE organization_id = $1 \
         AND ($2 = 0 OR patient_id = $3) AND ($4 = 0 OR actor_user_id = $5) \
         AND ($6 = 0 OR at >= $7) AND ($8 = 0 OR at < $9) \
         ORDER BY at DESC, id DESC LIMIT $10"
    );
    let epoch = Instant::from_micros(0).ok_or(StoreError::NotFound)?;
    let rows = on_db!(db, |c| {
        sqlx::query_as::<_, EventRow>(sql)
            .bind(organization_id)
            .bind(i32::from(filter.patient_id.is_some()))
            .bind(filter.patient_id.unwrap_or(Uuid::nil()))
            .bind(i32::from(filter.actor_user_id.is_some()))
            .bind(filter.actor_user_id.unwrap_or(Uuid::nil()))
            .bind(i32::from(filter.from.is_some()))
            .bind(filter.from.unwrap_or(epoch))
            .bind(i32::from(filter.until.is_some()))
            .bind(filter.until.unwrap_or(epoch))
            .bind(i64::from(limit))
            .fetch_all(&mut **c)
            .await
    })?;
    Ok(rows.into_iter().map(Sealed::from).collect())
}

/// Verifies the whole trail with `key`, streaming events page by page in `(chain, seq)`
/// order. Returns the summary, or the first break found.
pub async fn verify(
    store: &Store,
    key: &[u8],
) -> Result<Result<Summary, openiop_core::audit::Break>> {
    verify_against(store, key, None).await
}

/// Verifies the whole trail, and with an anchor (taken earlier by [`anchor`] and kept
/// elsewhere) also that every event it names is still there, unchanged.
pub async fn verify_against(
    store: &Store,
    key: &[u8],
    anchor: Option<&openiop_core::audit::Anchor>,
) -> Result<Result<Summary, openiop_core::audit::Break>> {
    const PAGE: i64 = 2000;
    let mut conn = store.read().await?;
    let mut verifier = ChainVerifier::new(key);
    if let Some(anchor) = anchor {
        verifier = verifier.with_anchor(anchor);
    }
    let mut after: (i32, i64) = (-1, 0);
    loop {
        let sql = concat!(
            "SELECT ",
            event_columns!(),
            " FROM audit_events WHERE chain > $1 OR (chain = $1 AND seq > $2) \
             ORDER BY chain, seq LIMIT $3"
        );
        let rows = on_db!(conn.db(), |c| {
            sqlx::query_as::<_, EventRow>(sql)
                .bind(after.0)
                .bind(after.1)
                .bind(PAGE)
                .fetch_all(&mut *c)
                .await
        })?;
        let done = (rows.len() as i64) < PAGE;
        for row in rows {
            after = (row.chain, row.seq);
            if let Err(broken) = verifier.push(&Sealed::from(row)) {
                return Ok(Err(broken));
            }
        }
        if done {
            break;
        }
    }
    let heads = chain_heads(&mut conn).await?;
    Ok(verifier.finish(&heads))
}

/// Every chain's head row, in chain order.
async fn chain_heads(conn: &mut crate::Conn) -> Result<Vec<Head>> {
    let heads: Vec<(i32, i64, String)> = on_db!(conn.db(), |c| {
        sqlx::query_as("SELECT chain, last_seq, last_hash FROM audit_chains ORDER BY chain")
            .fetch_all(&mut *c)
            .await
    })?;
    Ok(heads
        .into_iter()
        .map(|(chain, last_seq, last_hash)| Head {
            chain,
            last_seq,
            last_hash,
        })
        .collect())
}

/// Every chain's head now, with the number of events: what `openiop audit head` signs.
/// (Verify first: an anchor of a broken trail anchors the break.)
pub async fn anchor(store: &Store, at: Instant) -> Result<openiop_core::audit::Anchor> {
    let mut conn = store.read().await?;
    let heads = chain_heads(&mut conn).await?;
    // A verified chain holds exactly `last_seq` events: the count needs no scan.
    let events = heads.iter().map(|h| h.last_seq).sum::<i64>();
    Ok(openiop_core::audit::Anchor {
        at_micros: at.micros(),
        events: u64::try_from(events)
            .map_err(|_| StoreError::Corrupt(format!("audit chain heads sum to {events}")))?,
        heads,
    })
}
