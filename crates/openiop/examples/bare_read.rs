//! Bench reference for the read path (bench/read.sh): a bare axum handler that answers
//! `GET /api/v1/patients/{id}` with the same bytes OpenIOP served for one patient, and nothing
//! else: no authentication, access check, database or audit. OpenIOP's read path is measured
//! as a ratio of this one's throughput on the same machine, client and concurrency.
//!
//! `cargo run --release --example bare_read -- ADDR BODY_FILE`

use axum::Router;
use axum::http::header;
use axum::routing::get;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(addr), Some(file)) = (args.next(), args.next()) else {
        eprintln!("usage: bare_read ADDR BODY_FILE");
        std::process::exit(2);
    };
    let body: &'static [u8] = Vec::leak(std::fs::read(file)?);
    let app = Router::new().route(
        "/api/v1/patients/{id}",
        get(move || async move { ([(header::CONTENT_TYPE, "application/json")], body) }),
    );
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app).await
}
