//! The port that server functions call. `server` implements it; `app` only knows the trait,
//! so the dependency points one way (server → app).

use std::sync::Arc;

use crate::agent::{ConfirmPolicy, Decision, PolicyView, RunSummary, RunView};
use crate::ai::{
    Capabilities, ChatMessage, CodeActionRequest, CodeActionResult, CommandSuggestion,
    ConversationSummary, ProviderInfo,
};
use crate::auth::{
    Actor, ApiToken, AuditFilter, AuditRecord, ClientInfo, NewToken, Role, Share, ShareRole,
    SignedIn, SshAccess, SshKeyView, TokenRequest, UserName, UserSummary, WorkspaceRef,
};
use crate::error::AppError;
use crate::files::{FileEntry, TextFile};
use crate::model::{
    CreateWorkspaceRequest, CreationView, CreationWait, GitSource, ImageChoice, LimitBounds,
    Limits, LinkLifetime, NetworkBounds, NetworkLevel, NetworkView, PreviewLink, SetupOutcome,
    TemplateInfo, Workspace, WorkspaceList, WorkspacePort, WorkspaceSpec,
};
use crate::workspace_path::WorkspacePath;

#[async_trait::async_trait]
pub trait WorkspaceService: Send + Sync + 'static {
    /// What the actor may see: their own, those shared with them, everything for admins.
    async fn list(&self, actor: &Actor) -> Result<WorkspaceList, AppError>;
    /// A new workspace owned by the actor.
    async fn create(&self, actor: &Actor, spec: WorkspaceSpec) -> Result<Workspace, AppError>;
    async fn start(&self, actor: &Actor, workspace: &WorkspaceRef) -> Result<(), AppError>;
    async fn stop(&self, actor: &Actor, workspace: &WorkspaceRef) -> Result<(), AppError>;
    /// Removes the container; the volume (the user's files) too unless `keep_volume`.
    async fn delete(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        keep_volume: bool,
    ) -> Result<(), AppError>;
    /// The images the actor may start a workspace from.
    async fn images(&self, actor: &Actor) -> Result<Vec<ImageChoice>, AppError>;
    /// One workspace as the actor sees it (the IDE asks what it may offer).
    async fn describe(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<Workspace, AppError>;
    /// Who the workspace is shared with; for its owner and admins.
    async fn shares(&self, actor: &Actor, workspace: &WorkspaceRef)
        -> Result<Vec<Share>, AppError>;
    /// Shares the workspace with `user` as `role`, changes the role, or with `None`
    /// revokes the share; open connections of that user follow at once.
    async fn share(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        user: &str,
        role: Option<ShareRole>,
    ) -> Result<(), AppError>;
    /// Changes a workspace's limits, on the running container too (no recreate); for its
    /// owner and admins, within the server's maxima.
    async fn set_limits(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        limits: Limits,
    ) -> Result<Workspace, AppError>;
    /// Sets how long the workspace may go unused before it stops: minutes, `Some(0)` for
    /// never, `None` for the server's default; within the server's bounds.
    async fn set_idle_stop(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        minutes: Option<u32>,
    ) -> Result<Workspace, AppError>;
    /// The server's default and maximum limits and idle times.
    fn limit_bounds(&self) -> LimitBounds;
    /// The server's network levels and allowlist.
    async fn network_bounds(&self) -> NetworkBounds;
    /// The workspace's network level, allowlist and recent destinations.
    async fn network(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<NetworkView, AppError>;
    /// Changes the workspace's network level, on the running container too; for its owner
    /// and admins, within the server's maximum.
    async fn set_network(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        level: NetworkLevel,
    ) -> Result<NetworkView, AppError>;
}

pub type SharedWorkspaceService = Arc<dyn WorkspaceService>;

/// Making a workspace as one job on the server (see [`crate::model::CreationView`]). A
/// creation is its user's alone: anyone else is told it does not exist.
#[async_trait::async_trait]
pub trait CreationService: Send + Sync + 'static {
    /// Starts making the workspace `request` describes; answers at `wait`. What can be
    /// checked before anything is made is refused at once.
    async fn create(
        &self,
        actor: &Actor,
        request: CreateWorkspaceRequest,
        wait: CreationWait,
    ) -> Result<CreationView, AppError>;
    async fn creation(&self, actor: &Actor, id: &str) -> Result<CreationView, AppError>;
    /// The actor's creations that did not finish (running, failed, cancelled,
    /// interrupted), newest first.
    async fn unfinished(&self, actor: &Actor) -> Result<Vec<CreationView>, AppError>;
    /// Stops a running creation after the step it is in (what was made stays).
    async fn cancel(&self, actor: &Actor, id: &str) -> Result<CreationView, AppError>;
    /// Runs what is left of a creation that failed, was cancelled or was interrupted.
    async fn resume(&self, actor: &Actor, id: &str) -> Result<CreationView, AppError>;
    /// Forgets a creation that is over (the workspace it made stays).
    async fn dismiss(&self, actor: &Actor, id: &str) -> Result<(), AppError>;
}

pub type SharedCreationService = Arc<dyn CreationService>;

/// Files inside a running workspace, as its user sees them. Every path is confined to
/// `/workspace`, symbolic links included.
#[async_trait::async_trait]
pub trait FileService: Send + Sync + 'static {
    /// The entries of a folder, sorted for the tree.
    async fn list(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        folder: &WorkspacePath,
    ) -> Result<Vec<FileEntry>, AppError>;
    /// A text file for the editor; large and binary files are refused with a hint to download.
    async fn read_text(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        file: &WorkspacePath,
    ) -> Result<TextFile, AppError>;
    /// Replaces (or creates) a file, atomically: a failed write leaves the old contents.
    /// With `base`, only if the file still has that version; returns the new version.
    async fn write_text(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        file: &WorkspacePath,
        text: String,
        base: Option<String>,
    ) -> Result<String, AppError>;
    /// Creates an empty file; refuses an existing name.
    async fn create_file(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        file: &WorkspacePath,
    ) -> Result<(), AppError>;
    async fn create_folder(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        folder: &WorkspacePath,
    ) -> Result<(), AppError>;
    /// Moves a file or folder; refuses to replace an existing name.
    async fn rename(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        from: &WorkspacePath,
        to: &WorkspacePath,
    ) -> Result<(), AppError>;
    /// Clones `source` into the workspace's empty `/workspace`, as the workspace user.
    async fn clone_repository(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        source: &GitSource,
    ) -> Result<(), AppError>;
    /// Deletes a file or a whole folder (a symbolic link itself, never its target).
    async fn delete(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        path: &WorkspacePath,
    ) -> Result<(), AppError>;
}

pub type SharedFileService = Arc<dyn FileService>;

/// SSH into workspaces: the actor's public keys, and how to connect.
#[async_trait::async_trait]
pub trait SshService: Send + Sync + 'static {
    async fn keys(&self, actor: &Actor) -> Result<Vec<SshKeyView>, AppError>;
    /// Adds a public key in OpenSSH's one-line form (ed25519, ECDSA, or RSA of 3072 bits
    /// or more), named `name`.
    async fn add_key(&self, actor: &Actor, name: &str, key: &str) -> Result<SshKeyView, AppError>;
    /// Removes one of the actor's keys; SSH sessions it opened end.
    async fn remove_key(&self, actor: &Actor, id: i64) -> Result<(), AppError>;
    async fn access(&self, actor: &Actor) -> Result<SshAccess, AppError>;
}

pub type SharedSshService = Arc<dyn SshService>;

/// Accounts, sessions and tokens. Every method that acts for someone takes the actor the
/// request was authenticated as; the policy decides inside.
#[async_trait::async_trait]
pub trait AuthService: Send + Sync + 'static {
    /// Checks a password (throttled per account and address) and opens a new session,
    /// ending the `previous` one the browser held, if any.
    async fn sign_in(
        &self,
        name: &str,
        password: &str,
        client: ClientInfo,
        previous: Option<&str>,
    ) -> Result<SignedIn, AppError>;
    /// Ends the session whose secret the cookie holds; returns the cookie that clears it.
    async fn sign_out(&self, actor: &Actor, session: Option<&str>, client: ClientInfo) -> String;
    /// True until the first user exists.
    async fn needs_setup(&self) -> Result<bool, AppError>;
    /// Creates the first admin with the one-time set-up token, and signs them in.
    async fn set_up(
        &self,
        token: &str,
        name: &str,
        password: &str,
        client: ClientInfo,
    ) -> Result<SignedIn, AppError>;
    /// Changes the actor's own password; every other session of theirs ends, and with
    /// `revoke_tokens` every API token too.
    async fn change_password(
        &self,
        actor: &Actor,
        current: &str,
        new: &str,
        revoke_tokens: bool,
    ) -> Result<(), AppError>;
    async fn tokens(&self, actor: &Actor) -> Result<Vec<ApiToken>, AppError>;
    /// A token that may do what `request` says, of what the actor may.
    async fn create_token(
        &self,
        actor: &Actor,
        request: TokenRequest,
    ) -> Result<NewToken, AppError>;
    async fn revoke_token(&self, actor: &Actor, id: i64) -> Result<(), AppError>;
    /// Admins only, like the rest below.
    async fn users(&self, actor: &Actor) -> Result<Vec<UserSummary>, AppError>;
    async fn create_user(
        &self,
        actor: &Actor,
        name: &str,
        password: &str,
        role: Role,
    ) -> Result<(), AppError>;
    async fn set_disabled(
        &self,
        actor: &Actor,
        name: &UserName,
        disabled: bool,
    ) -> Result<(), AppError>;
    async fn reset_password(
        &self,
        actor: &Actor,
        name: &UserName,
        password: &str,
    ) -> Result<(), AppError>;
    async fn set_role(&self, actor: &Actor, name: &UserName, role: Role) -> Result<(), AppError>;
    /// The newest entries first: everything for admins; for others, what they did and
    /// what happened to their workspaces.
    async fn audit(&self, actor: &Actor, filter: AuditFilter)
        -> Result<Vec<AuditRecord>, AppError>;
}

pub type SharedAuthService = Arc<dyn AuthService>;

/// The AI providers a user may pick, and their settings. Chat answers stream over their
/// own route, not through a server function.
#[async_trait::async_trait]
pub trait AiService: Send + Sync + 'static {
    /// The configured providers, the default marked; empty when AI is off.
    async fn providers(&self, actor: &Actor) -> Result<Vec<ProviderInfo>, AppError>;
    /// Probes a provider's model now (and remembers the result).
    async fn probe(&self, actor: &Actor, provider: &str) -> Result<Capabilities, AppError>;
    /// The terminal assistant: a command for `task` (with the terminal's recent `output`),
    /// its explanation and the rules' risk. For those who may type into the workspace.
    async fn suggest_command(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        task: &str,
        provider: Option<&str>,
        output: Option<&str>,
    ) -> Result<CommandSuggestion, AppError>;
    /// A code action on a file or its selection: an explanation, or the whole file as
    /// proposed for the user to review. Edits need the right to change the workspace.
    async fn code_action(
        &self,
        actor: &Actor,
        request: CodeActionRequest,
    ) -> Result<CodeActionResult, AppError>;
    /// The actor's saved conversations in a workspace, newest first.
    async fn conversations(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<Vec<ConversationSummary>, AppError>;
    /// One of them, its messages in order.
    async fn conversation(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        id: &str,
    ) -> Result<Vec<ChatMessage>, AppError>;
    /// Renames one (`Some(title)`) or deletes it (`None`).
    async fn change_conversation(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        id: &str,
        title: Option<&str>,
    ) -> Result<(), AppError>;
    /// The provider used when a request names none; admins only.
    async fn set_default(&self, actor: &Actor, provider: &str) -> Result<(), AppError>;
}

pub type SharedAiService = Arc<dyn AiService>;

/// The governed agent: runs started, watched, approved, stopped and undone. Live events
/// and the JSON transcript go over their own routes.
#[async_trait::async_trait]
pub trait AgentService: Send + Sync + 'static {
    /// Starts a run on `task`; it goes on without the page. For those who may use the workspace.
    async fn start(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        task: &str,
        provider: Option<&str>,
    ) -> Result<String, AppError>;
    /// The workspace's runs, newest first.
    async fn runs(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<Vec<RunSummary>, AppError>;
    /// One run, every step in it.
    async fn run(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        run: &str,
    ) -> Result<RunView, AppError>;
    /// Answers the call the run waits on (`seq` names it, so a late answer cannot land on
    /// the next one).
    async fn decide(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        run: &str,
        seq: u32,
        decision: Decision,
    ) -> Result<(), AppError>;
    /// Ends the run, and the step in flight with it.
    async fn stop(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        run: &str,
    ) -> Result<(), AppError>;
    /// Puts /workspace back as it was before the run.
    async fn undo(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        run: &str,
    ) -> Result<(), AppError>;
    async fn policy(&self, actor: &Actor, workspace: &WorkspaceRef)
        -> Result<PolicyView, AppError>;
    /// The owner's (or an admin's) choice; the server's floor still applies.
    async fn set_policy(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        policy: ConfirmPolicy,
    ) -> Result<PolicyView, AppError>;
}

pub type SharedAgentService = Arc<dyn AgentService>;

/// What runs inside a workspace, reached through AiCockpit: its ports and share links.
#[async_trait::async_trait]
pub trait PreviewService: Send + Sync + 'static {
    /// The ports listening in the workspace, with those its template names.
    async fn ports(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<Vec<WorkspacePort>, AppError>;
    async fn links(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<Vec<PreviewLink>, AppError>;
    async fn create_link(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        port: u16,
        lifetime: LinkLifetime,
    ) -> Result<PreviewLink, AppError>;
    async fn revoke_link(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        id: i64,
    ) -> Result<(), AppError>;
}

pub type SharedPreviewService = Arc<dyn PreviewService>;

/// Workspace templates: listing, building, admins adding their own, and a new workspace's
/// set-up command.
#[async_trait::async_trait]
pub trait TemplateService: Send + Sync + 'static {
    async fn templates(&self, actor: &Actor) -> Result<Vec<TemplateInfo>, AppError>;
    /// Starts building the template's image, unless it is built or being built; the build
    /// is followed on [`crate::wire::TEMPLATE_BUILD`].
    async fn build(&self, actor: &Actor, template: &str) -> Result<(), AppError>;
    /// Admins only: a devcontainer.json, and the Dockerfile it builds when it has one.
    async fn add(
        &self,
        actor: &Actor,
        devcontainer: &str,
        dockerfile: Option<&str>,
    ) -> Result<TemplateInfo, AppError>;
    async fn remove(&self, actor: &Actor, template: &str) -> Result<(), AppError>;
    /// What the workspace's repository asks for in its `.devcontainer/devcontainer.json`,
    /// if it has one (its id names its build).
    async fn repository(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<Option<TemplateInfo>, AppError>;
    /// Builds the image the repository's devcontainer.json describes, from its files.
    async fn build_repository(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<(), AppError>;
    /// Makes the workspace again from its repository's devcontainer.json (same files).
    async fn apply_repository(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<(), AppError>;
    /// Runs the workspace's `postCreateCommand` once (after its files are in place).
    async fn set_up(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<SetupOutcome, AppError>;
}

pub type SharedTemplateService = Arc<dyn TemplateService>;
