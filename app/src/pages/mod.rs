//! One file per page.

pub mod account;
pub mod agent_run;
pub mod audit;
pub mod dashboard;
pub mod ide;
pub mod not_found;
pub mod setup;
pub mod sign_in;
pub mod templates;
pub mod users;
