//! Images on Kubernetes: the cluster's nodes pull them from a registry when a Pod starts,
//! so AiCockpit neither sees nor makes them. Every image is taken as available (a missing
//! one is reported by the start, with the registry's answer); building, importing and
//! pulling are refused with what to do instead.

use bytes::Bytes;

use super::KubernetesRuntime;
use crate::runtime::{
    BuildLine, ByteStream, Engine, ImageBuild, ImageStore, PullProgress, RuntimeError,
};

fn refused(what: &str) -> RuntimeError {
    RuntimeError::Refused {
        engine: Engine::Kubernetes,
        message: format!(
            "{what} is not done on Kubernetes: its nodes pull images from a registry. Build the image elsewhere, push it to a registry the cluster can reach, and name it (a template's `image`, or the create form's image)"
        ),
    }
}

#[async_trait::async_trait]
impl ImageStore for KubernetesRuntime {
    async fn image_exists(&self, _reference: &str) -> Result<bool, RuntimeError> {
        Ok(true)
    }

    /// The cluster's registries know; here a reference is its own id.
    async fn image_id(&self, reference: &str) -> Result<Option<String>, RuntimeError> {
        Ok(Some(reference.to_owned()))
    }

    async fn list_images(&self) -> Result<Vec<String>, RuntimeError> {
        Ok(Vec::new())
    }

    async fn import_image(
        &self,
        _tarball: ByteStream,
        _reference: &str,
        _changes: &[String],
    ) -> Result<(), RuntimeError> {
        Err(refused("Importing an image"))
    }

    async fn build_image(
        &self,
        _context: Bytes,
        _build: &ImageBuild,
        _progress: &(dyn Fn(BuildLine) + Send + Sync),
    ) -> Result<(), RuntimeError> {
        Err(refused("Building an image"))
    }

    async fn pull_image(
        &self,
        _reference: &str,
        _progress: &(dyn Fn(PullProgress) + Send + Sync),
    ) -> Result<(), RuntimeError> {
        Err(refused("Pulling an image ahead"))
    }
}
