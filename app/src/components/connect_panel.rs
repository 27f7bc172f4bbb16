//! How to reach a workspace from one's own editor: the `aicockpit` client's commands, the
//! host `aicockpit config-ssh` writes (and VS Code's Remote-SSH link to it), and plain `ssh`
//! when the server has an SSH port open. Loaded when opened, not with the dashboard.

use leptos::prelude::*;

use crate::api::auth::signed_in_user;
use crate::api::ssh::ssh_details;
use crate::auth::{SshAccess, UserName, WorkspaceRef};

/// The login SSH takes for `workspace` when `me` connects: the name for one's own,
/// `name.owner` for someone else's.
pub fn login_for(workspace: &WorkspaceRef, me: &UserName) -> String {
    match &workspace.owner == me {
        true => workspace.name.to_string(),
        false => format!("{}.{}", workspace.name, workspace.owner),
    }
}

/// The lines to copy, in the order a person tries them.
pub fn commands(login: &str, access: &SshAccess) -> Vec<(&'static str, String)> {
    let mut lines = vec![
        (
            "With the aicockpit client",
            format!("aicockpit ssh {login}"),
        ),
        (
            "After aicockpit config-ssh, any SSH client",
            format!("ssh aicockpit-{login}"),
        ),
    ];
    if let Some(port) = access.port {
        lines.push((
            "Directly, with a key added on your account page",
            format!("ssh -p {port} {login}@{}", access.host),
        ));
    }
    lines
}

#[component]
pub fn ConnectPanel(workspace: WorkspaceRef) -> impl IntoView {
    let details = Resource::new(
        || (),
        |_| async move {
            Ok::<_, crate::error::AppError>((signed_in_user().await?, ssh_details().await?))
        },
    );
    view! {
        <div class="connect" data-testid="connect-panel">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || details.get().map(|answer| match answer {
                    Ok((me, access)) => {
                        let login = login_for(&workspace, &me.name);
                        let vscode = format!("vscode://vscode-remote/ssh-remote+aicockpit-{login}/workspace");
                        view! {
                            <dl class="connect-lines">
                                {commands(&login, &access).into_iter().map(|(how, line)| view! {
                                    <dt>{how}</dt>
                                    <dd><code>{line}</code></dd>
                                }).collect_view()}
                            </dl>
                            <p>
                                <a class="button" href=vscode>"Open in VS Code"</a>
                                <span class="muted">" (Remote-SSH, after " <code>"aicockpit config-ssh"</code> ")"</span>
                            </p>
                            <p class="muted">"Host key: " <code>{access.host_fingerprint}</code></p>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ones_own_workspace_goes_by_its_name_and_anothers_by_name_and_owner() {
        let ada = UserName::parse("ada").unwrap();
        let web = WorkspaceRef::try_from("ada/web".to_owned()).unwrap();
        let api = WorkspaceRef::try_from("bob/api".to_owned()).unwrap();
        assert_eq!(login_for(&web, &ada), "web");
        assert_eq!(login_for(&api, &ada), "api.bob");
        let access = SshAccess {
            host_fingerprint: "SHA256:x".into(),
            host_key: String::new(),
            host: "cockpit.example.com".into(),
            port: Some(2222),
        };
        let lines = commands("web", &access);
        assert_eq!(lines[0].1, "aicockpit ssh web");
        assert_eq!(lines[2].1, "ssh -p 2222 web@cockpit.example.com");
        assert_eq!(
            commands(
                "web",
                &SshAccess {
                    port: None,
                    ..access
                }
            )
            .len(),
            2
        );
    }
}
