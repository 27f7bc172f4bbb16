//! The catalogue as workspaces see it: the `TemplateSource` port `WorkspaceManager` looks
//! templates up through.

use app::error::AppError;

use super::catalog::Catalog;
use crate::workspaces::{TemplateChoice, TemplateSource};

#[async_trait::async_trait]
impl TemplateSource for Catalog {
    async fn template(&self, id: &str) -> Result<TemplateChoice, AppError> {
        let template = self.find(id).await?;
        let defaults = &template.parsed.defaults;
        Ok(TemplateChoice {
            name: template.name(),
            image: template.image(&self.dev_image),
            setup: template.setup(),
            idle_minutes: defaults.idle_minutes,
            network: defaults.network,
        })
    }

    async fn images(&self) -> Result<Vec<String>, AppError> {
        let mut images = vec![self.dev_image.clone()];
        images.extend(self.all().await?.iter().map(|t| t.image(&self.dev_image)));
        Ok(images)
    }
}
