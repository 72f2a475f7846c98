//! Group commit of SQLite writes. SQLite has one writer; with `synchronous=FULL` every commit
//! waits for the disk. Instead of one transaction (and one fsync) per request, requests take
//! turns on one open transaction, each inside its own savepoint: a request that finishes
//! releases its savepoint and waits; a flusher task, queued on the same fair lock behind the
//! requests already waiting, commits them all at once and answers each. A request is answered
//! only after the commit that made its writes durable; a request that fails (or is dropped)
//! rolls back to its savepoint and takes nothing else with it; a failed commit fails every
//! request of its batch, none of which had been answered.
//!
//! Cancellation: a request's future may be dropped at any `.await` (a client that hangs up, a
//! job loop aborted at shutdown). A statement sent to SQLite's connection thread runs to its
//! end whether or not its future is still awaited, so the state is marked *before* each
//! statement, and the lock is only ever let go through [`Request`], whose drop tells the
//! flusher. The flusher then rolls back whatever the dropped request left, and commits, so the
//! write connection always goes back to the pool (closing the store waits for it).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqlitePool};
use tokio::sync::{Mutex, Notify, OwnedMutexGuard, oneshot};

use crate::{Result, StoreError};

/// The single writer's state, behind a fair lock.
pub(crate) struct Writer {
    pool: SqlitePool,
    /// The connection, while a transaction is open.
    conn: Option<PoolConnection<Sqlite>>,
    /// A request's savepoint may be open (it holds the lock, or was dropped holding it).
    dirty: bool,
    /// Requests whose savepoints were released, waiting for the commit.
    pending: Vec<oneshot::Sender<std::result::Result<(), String>>>,
}

/// Shared by every clone of a SQLite store.
pub(crate) struct Shared {
    writer: Arc<Mutex<Writer>>,
    flush: Notify,
    /// Commits made so far (each answers one batch).
    commits: AtomicU64,
}

async fn exec(conn: &mut PoolConnection<Sqlite>, sql: &'static str) -> Result<()> {
    sqlx::query(sql).execute(&mut **conn).await?;
    Ok(())
}

/// Whether `err` says the request's savepoint does not exist: its `SAVEPOINT` never ran, or a
/// dropped request's `RELEASE` did (its work then stays in the transaction and commits with
/// it, as a request whose client hung up after its commit).
fn no_savepoint(err: &StoreError) -> bool {
    matches!(err, StoreError::Database(e)
        if e.as_database_error().is_some_and(|d| d.message().starts_with("no such savepoint")))
}

impl Writer {
    /// Undoes the work of a request that never released its savepoint. If even that fails,
    /// the whole open transaction is abandoned (its waiting requests fail, unanswered).
    async fn clean(&mut self) -> Result<()> {
        if !self.dirty {
            return Ok(());
        }
        self.dirty = false;
        let Some(conn) = self.conn.as_mut() else {
            return Ok(());
        };
        let undone = match exec(conn, "ROLLBACK TO SAVEPOINT request").await {
            Ok(()) => exec(conn, "RELEASE SAVEPOINT request").await,
            Err(e) if no_savepoint(&e) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = undone {
            self.abandon(&e.to_string()).await;
            return Err(e);
        }
        Ok(())
    }

    /// Rolls the open transaction back (savepoint and all), closes its connection (a fresh
    /// one is taken next time, so no half-open transaction goes back to the pool) and fails
    /// every waiting request.
    async fn abandon(&mut self, why: &str) {
        self.dirty = false;
        if let Some(mut conn) = self.conn.take() {
            let _ = exec(&mut conn, "ROLLBACK").await;
            let _ = conn.close().await;
        }
        for waiting in self.pending.drain(..) {
            let _ = waiting.send(Err(why.to_owned()));
        }
    }

    /// Commits the open transaction and answers the requests waiting for it.
    async fn commit(&mut self) {
        if self.clean().await.is_err() {
            return;
        }
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        match exec(&mut conn, "COMMIT").await {
            Ok(()) => {
                for waiting in self.pending.drain(..) {
                    let _ = waiting.send(Ok(()));
                }
            }
            Err(e) => {
                self.conn = Some(conn);
                self.abandon(&e.to_string()).await;
            }
        }
    }
}

impl Shared {
    pub(crate) fn new(pool: SqlitePool) -> Arc<Shared> {
        let shared = Arc::new(Shared {
            writer: Arc::new(Mutex::new(Writer {
                pool,
                conn: None,
                dirty: false,
                pending: Vec::new(),
            })),
            flush: Notify::new(),
            commits: AtomicU64::new(0),
        });
        let flusher = shared.clone();
        tokio::spawn(async move {
            loop {
                flusher.flush.notified().await;
                let mut writer = flusher.writer.lock().await;
                // An open transaction is committed even with nobody waiting for it (its one
                // request was dropped): the connection must go back to the pool.
                if writer.conn.is_some() {
                    writer.commit().await;
                    flusher.commits.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        shared
    }

    pub(crate) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Takes the writer (in turn) and opens a savepoint for one request.
    pub(crate) async fn begin(self: &Arc<Shared>) -> Result<Request> {
        // From here on the lock is held by a `Request`: if this future is dropped, the
        // request's drop tells the flusher, which cleans up.
        let mut request = Request {
            writer: Some(self.writer.clone().lock_owned().await),
            shared: self.clone(),
        };
        let writer = request.writer_mut()?;
        writer.clean().await?;
        if writer.conn.is_none() {
            let conn = writer.pool.acquire().await?;
            let conn = writer.conn.insert(conn);
            if let Err(e) = exec(conn, "BEGIN").await {
                writer.abandon(&e.to_string()).await;
                return Err(e);
            }
        }
        // Marked before it is sent: if the savepoint never comes to be, `clean` finds none.
        writer.dirty = true;
        if let Some(conn) = writer.conn.as_mut()
            && let Err(e) = exec(conn, "SAVEPOINT request").await
        {
            writer.abandon(&e.to_string()).await;
            return Err(e);
        }
        Ok(request)
    }
}

/// One request's turn on the writer.
pub(crate) struct Request {
    writer: Option<OwnedMutexGuard<Writer>>,
    shared: Arc<Shared>,
}

impl Request {
    pub(crate) fn conn(&mut self) -> Option<&mut sqlx::SqliteConnection> {
        self.writer
            .as_mut()
            .and_then(|w| w.conn.as_mut())
            .map(|c| &mut **c)
    }

    fn writer_mut(&mut self) -> Result<&mut Writer> {
        self.writer
            .as_deref_mut()
            .ok_or_else(|| StoreError::Unsupported("a finished request".into()))
    }

    /// Releases the savepoint and waits until a commit has made the work durable.
    pub(crate) async fn commit(mut self) -> Result<()> {
        let writer = self.writer_mut()?;
        let released = match writer.conn.as_mut() {
            Some(conn) => exec(conn, "RELEASE SAVEPOINT request").await,
            None => Err(StoreError::Unsupported("no open transaction".into())),
        };
        // On failure the request is dropped still dirty: the flusher rolls it back.
        released?;
        writer.dirty = false;
        let (done, wait) = oneshot::channel();
        writer.pending.push(done);
        // The lock goes to the next request in line (or the flusher, which is told now).
        self.writer = None;
        self.shared.flush.notify_one();
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StoreError::Unsupported(format!("the commit failed: {e}"))),
            Err(_) => Err(StoreError::Unsupported("the commit was abandoned".into())),
        }
    }
}

impl Drop for Request {
    fn drop(&mut self) {
        // Dropped holding the lock (without commit, or at any `.await` of `begin` or
        // `commit`): the next holder (a request, or the flusher, told now) rolls back what it
        // left before anything else.
        if self.writer.take().is_some() {
            self.shared.flush.notify_one();
        }
    }
}
