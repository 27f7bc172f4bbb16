//! Reaching a workspace: the one authorisation decision (`policy`), the resolver every
//! route that names a workspace goes through, the activity it records for idle stop, and
//! where and as whom a workspace's files live. A leaf: services depend on it, it depends on
//! nothing but the store.

mod activity;
pub mod policy;
mod resolve;

pub use activity::{Activity, Hold};
pub use resolve::{Resolved, Resolver};

/// `uid:gid` workspaces run as: the images' non-root `dev` user.
pub const WORKSPACE_USER: &str = "1000:1000";
/// Where the workspace volume is mounted, and the directory shells start in.
pub const MOUNT_PATH: &str = "/workspace";
