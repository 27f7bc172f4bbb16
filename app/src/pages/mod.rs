//! One file per page.

pub mod dashboard;
pub mod ide;
pub mod not_found;
