//! HTTP integration tests: the real server on an ephemeral port, over a fresh SQLite file and
//! a fresh PostgreSQL database, talked to over HTTP as a client would. One test binary for
//! the crate (link time on 2 cores); each module is one area.

mod support;

mod access_matrix;
mod admissions;
mod audit_trail;
mod bad_input;
mod boundaries;
mod browser;
mod bulk;
mod calendar;
mod checkins;
mod cli;
mod consents;
mod crash;
mod crisis;
mod emergency;
mod group_commit;
mod inquiries;
mod instances;
mod intake;
mod login;
mod monitoring;
mod notes;
mod pages;
mod program;
mod replica;
mod rights;
mod roster;
mod safety;
mod sessions;
mod stored_values;
mod story;
mod treatment_plans;
mod week;
