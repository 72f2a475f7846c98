//! The SQLite group commit: concurrent writers share commits, each answered only once its
//! work is durable; a writer that fails takes nothing else with it.

use crate::support::{Backend, TestApp};

async fn write(tx: &mut openiop_store::Tx, address: &str) -> sqlx::Result<u64> {
    openiop_store::on_db!(tx.db(), |c| {
        sqlx::query(
            "INSERT INTO login_throttle (address, window_start, attempts) VALUES ($1, $2, 1)",
        )
        .bind(address)
        .bind(openiop_store::Instant::new(time::OffsetDateTime::now_utc()))
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })
}

async fn insert(app: &TestApp, address: String, commit: bool) -> bool {
    let mut tx = app.store.begin().await.expect("begin");
    assert_eq!(write(&mut tx, &address).await.expect("insert"), 1);
    if commit {
        tx.commit().await.expect("commit");
        true
    } else {
        drop(tx);
        false
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_share_commits_and_a_failure_stays_alone() {
    let app = TestApp::start(Backend::Sqlite).await;
    let before = app
        .store
        .group_commits()
        .expect("SQLite counts its commits");
    let base = app.count("login_throttle").await;
    let mut tasks = Vec::new();
    for i in 0..64 {
        let store_app = &app;
        tasks.push(insert(store_app, format!("gc-{i}"), i % 8 != 3));
    }
    let outcomes = crate::support::join_all(tasks.into_iter()).await;
    let committed = outcomes.iter().filter(|c| **c).count() as i64;
    assert_eq!(committed, 56);
    // Every committed insert is there; none of the abandoned ones.
    assert_eq!(app.count("login_throttle").await - base, committed);
    assert_eq!(app.count("login_throttle WHERE address = 'gc-3'").await, 0);
    assert_eq!(app.count("login_throttle WHERE address = 'gc-11'").await, 0);
    assert_eq!(app.count("login_throttle WHERE address = 'gc-12'").await, 1);
    let commits = app.store.group_commits().unwrap() - before;
    assert!(
        commits < 56,
        "{commits} commits for 56 concurrent writers: they were not grouped"
    );
    app.stop().await;
}

/// A request dropped at any `.await` (a client that hangs up, the job loop aborted at
/// shutdown) leaves nothing behind: the next writes go on, and the store closes (closing waits
/// for the write connection, which an open transaction would keep forever).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_dropped_midway_leaves_the_writer_usable() {
    use std::time::Duration;
    let app = TestApp::start(Backend::Sqlite).await;
    // A zero timeout polls the future once (its statement is sent) and then drops it.
    let once = Duration::ZERO;
    for i in 0..10 {
        let _ = tokio::time::timeout(once, app.store.begin()).await;
        let mut tx = app.store.begin().await.expect("begin");
        let _ = tokio::time::timeout(once, write(&mut tx, &format!("in-statement-{i}"))).await;
        drop(tx);
        let mut tx = app.store.begin().await.expect("begin");
        write(&mut tx, &format!("in-commit-{i}"))
            .await
            .expect("insert");
        let _ = tokio::time::timeout(once, tx.commit()).await;
    }
    assert!(insert(&app, "after".into(), true).await);
    assert_eq!(app.count("login_throttle WHERE address = 'after'").await, 1);
    // A statement dropped midway is rolled back with its request.
    assert_eq!(
        app.count("login_throttle WHERE address LIKE 'in-statement-%'")
            .await,
        0
    );
    // The last thing the writer sees is a request dropped while it commits (once the flusher
    // has settled, so it is not already on its way to the lock).
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut tx = app.store.begin().await.expect("begin");
    write(&mut tx, "last").await.expect("insert");
    let _ = tokio::time::timeout(once, tx.commit()).await;
    tokio::time::timeout(Duration::from_secs(15), app.stop())
        .await
        .expect("the store closes: no request left the write connection in a transaction");
}
