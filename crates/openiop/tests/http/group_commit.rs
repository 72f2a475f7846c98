//! The SQLite group commit: concurrent writers share commits, each answered only once its
//! work is durable; a writer that fails takes nothing else with it.

use crate::support::{Backend, TestApp};

async fn insert(app: &TestApp, address: String, commit: bool) -> bool {
    let mut tx = app.store.begin().await.expect("begin");
    let done = openiop_store::on_db!(tx.db(), |c| {
        sqlx::query(
            "INSERT INTO login_throttle (address, window_start, attempts) VALUES ($1, $2, 1)",
        )
        .bind(&address)
        .bind(openiop_store::Instant::new(time::OffsetDateTime::now_utc()))
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })
    .expect("insert");
    assert_eq!(done, 1);
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
