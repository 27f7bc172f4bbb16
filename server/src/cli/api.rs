//! The client's calls to a server's JSON API, with its errors said so a person can act on
//! them: the server unreachable, signed out, or the server's own refusal.

use app::error::AppError;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::session::Session;
use super::CliError;

pub struct Api {
    session: Session,
    http: reqwest::Client,
}

impl Api {
    pub fn new(session: Session) -> Result<Self, CliError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("aicockpit-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CliError::Local(e.to_string()))?;
        Ok(Self { session, http })
    }

    /// `POST <path>` with `body`; the answer read as `T`.
    pub async fn call<T: DeserializeOwned>(&self, path: &str, body: Value) -> Result<T, CliError> {
        let url = format!("{}{path}", self.session.url);
        let answer = self
            .http
            .post(&url)
            .bearer_auth(&self.session.token)
            .json(&body)
            .send()
            .await
            .map_err(|e| CliError::Unreachable(self.session.url.clone(), e.to_string()))?;
        let status = answer.status();
        let text = answer
            .text()
            .await
            .map_err(|e| CliError::Unreachable(self.session.url.clone(), e.to_string()))?;
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Err(CliError::SignedOut(Some(self.session.url.clone())));
        }
        if !status.is_success() {
            return Err(match serde_json::from_str::<AppError>(&text) {
                Ok(error) => CliError::Refused(error.to_string()),
                Err(_) => CliError::Refused(format!("{status} from {url}")),
            });
        }
        // A server function with no answer says `null`.
        serde_json::from_str(if text.is_empty() { "null" } else { &text }).map_err(|e| {
            CliError::Refused(format!(
                "an answer this client does not read ({e}); is the server the same version?"
            ))
        })
    }
}
