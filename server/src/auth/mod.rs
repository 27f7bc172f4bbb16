//! Who is asking: accounts, sessions and tokens live in `service`, and the credential a
//! request carries is looked up in `credentials`. What they may do to a workspace is decided
//! in one place, `access::policy`. The HTTP layers that apply both to every request (the
//! Host/Origin guard, authentication) are in `http`.

pub mod audit;
pub(crate) mod cookie;
mod credentials;
pub mod events;
mod limiter;
mod password;
pub(crate) mod secret;
pub mod service;
mod setup;
pub mod watch;

pub use credentials::{Authenticated, Credential};
pub use events::{AccessChange, AccessEvents};
pub use limiter::LimiterSettings;
pub use service::{AuthManager, AuthSettings};
pub use watch::AccessWatch;
