//! OpenIOP's pure domain core.
//!
//! Everything a clinic would call a rule lives here, as data plus small pure functions:
//! who may see what ([`access`]), what a valid patient, site or track is ([`patient`],
//! [`program`]), how a login is throttled ([`login`]) and how the audit trail is sealed
//! ([`audit`]). Nothing in this crate performs I/O, reads the clock or touches a database:
//! callers pass the current time in, which keeps every rule testable in isolation.

pub mod access;
pub mod admissions;
pub mod amendment;
pub mod attendance;
pub mod audit;
pub mod breach;
pub mod calendar;
pub mod checkin;
pub mod consent;
pub mod contact;
pub mod crisis;
pub mod diagnosis;
pub mod emergency;
pub mod id;
pub mod instrument;
pub mod intensity;
pub mod login;
pub mod measures;
pub mod monitoring;
pub mod notes;
pub mod password;
pub mod patient;
pub mod placement;
pub mod program;
pub mod retention;
pub mod safety;
pub mod schedule;
pub mod selfcheck;
pub mod session_kind;
pub mod settings;
pub mod text;
pub mod totp;
pub mod treatment_plan;
pub mod upload;
pub mod validate;

pub use validate::{FieldError, Invalid};
