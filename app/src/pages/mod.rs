//! One file per page.

pub mod dashboard;
pub mod not_found;
