//! What reaches the handlers. Every request passes the security headers (`headers`) and
//! the Host/Origin guard (`origin`) before anything runs.

pub mod headers;
pub mod origin;

pub use origin::SiteOrigins;
