//! Who may do what. Every request passes, in this order: the Host/Origin guard (`origin`),
//! the security headers (`headers`), and authentication (`actor`), which puts the acting
//! user on the request. Workspace decisions are made in one place (`policy`), asked by the
//! workspace resolver; accounts, sessions and tokens live in `service`.

pub mod actor;
pub mod audit;
pub(crate) mod cookie;
mod credentials;
pub mod events;
pub mod headers;
mod limiter;
pub mod origin;
mod password;
pub mod policy;
pub mod scopes;
pub(crate) mod secret;
pub mod service;
mod setup;

pub use credentials::{Authenticated, Credential};
pub use events::{AccessChange, AccessEvents};
pub use limiter::LimiterSettings;
pub use origin::SiteOrigins;
pub use service::{AuthManager, AuthSettings};
