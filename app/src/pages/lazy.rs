//! The pages most visits never open: the IDE, an agent run, the account and the admin
//! pages. Each is a lazy route, so a build with `cargo leptos build --split` puts its code
//! in a WebAssembly chunk of its own, fetched when the page is first opened; the sign-in
//! page and the dashboard load without it.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

/// A lazy route named `$route` showing the component `$page`.
macro_rules! lazy_page {
    ($route:ident, $page:path) => {
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                $page().into_any()
            }
        }
    };
}

lazy_page!(Ide, super::ide::IdePage);
lazy_page!(AgentRun, super::agent_run::AgentRunPage);
lazy_page!(Account, super::account::AccountPage);
lazy_page!(Users, super::users::UsersPage);
lazy_page!(Audit, super::audit::AuditPage);
lazy_page!(Templates, super::templates::TemplatesPage);
