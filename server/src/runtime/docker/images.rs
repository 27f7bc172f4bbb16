//! Images on Docker: presence checks, listing, `docker import` of a root filesystem and
//! registry pulls with progress.

use bollard::query_parameters::{CreateImageOptions, ListImagesOptions};
use futures::StreamExt;

use super::DockerRuntime;
use crate::runtime::{ByteStream, PullProgress, RuntimeError};

/// Splits `repo[:tag]` at the tag colon, which comes after the last `/` (a registry
/// address may carry a port).
pub(super) fn split_reference(reference: &str) -> (&str, &str) {
    let name_start = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[name_start..].rfind(':') {
        Some(i) => (
            &reference[..name_start + i],
            &reference[name_start + i + 1..],
        ),
        None => (reference, "latest"),
    }
}

impl DockerRuntime {
    pub(super) async fn image_exists(&self, reference: &str) -> Result<bool, RuntimeError> {
        let docker = self.client()?;
        match self
            .call("inspect image", docker.inspect_image(reference))
            .await
        {
            Ok(_) => Ok(true),
            Err(RuntimeError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub(super) async fn images(&self) -> Result<Vec<String>, RuntimeError> {
        let docker = self.client()?;
        let images = self
            .call("list images", docker.list_images(None::<ListImagesOptions>))
            .await?;
        let mut tags: Vec<String> = images
            .into_iter()
            .flat_map(|image| image.repo_tags)
            .filter(|tag| tag != "<none>:<none>")
            .collect();
        tags.sort();
        Ok(tags)
    }

    pub(super) async fn import(
        &self,
        tarball: ByteStream,
        reference: &str,
        changes: &[String],
    ) -> Result<(), RuntimeError> {
        let docker = self.client()?;
        let (repo, tag) = split_reference(reference);
        let options = CreateImageOptions {
            from_src: Some("-".into()),
            repo: Some(repo.into()),
            tag: Some(tag.into()),
            changes: changes.to_vec(),
            ..Default::default()
        };
        let body = bollard::body_try_stream(tarball);
        let mut progress = docker.create_image(Some(options), Some(body), None);
        self.call_within("import image", self.image_timeout, async {
            while let Some(item) = progress.next().await {
                item?;
            }
            Ok(())
        })
        .await
    }

    pub(super) async fn pull(
        &self,
        reference: &str,
        report: &(dyn Fn(PullProgress) + Send + Sync),
    ) -> Result<(), RuntimeError> {
        let docker = self.client()?;
        let (repo, tag) = split_reference(reference);
        let options = CreateImageOptions {
            from_image: Some(repo.into()),
            tag: Some(tag.into()),
            ..Default::default()
        };
        let mut progress = docker.create_image(Some(options), None, None);
        self.call_within("pull image", self.image_timeout, async {
            while let Some(item) = progress.next().await {
                let info = item?;
                report(PullProgress {
                    layer: info.id,
                    status: info.status.unwrap_or_default(),
                    detail: info
                        .progress_detail
                        .and_then(|d| Some(format!("{} / {} bytes", d.current?, d.total?))),
                });
            }
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::split_reference;

    #[test]
    fn splits_tags_but_not_registry_ports() {
        assert_eq!(
            split_reference("aicockpit/dev:abc"),
            ("aicockpit/dev", "abc")
        );
        assert_eq!(split_reference("debian"), ("debian", "latest"));
        assert_eq!(
            split_reference("reg.local:5000/team/img"),
            ("reg.local:5000/team/img", "latest")
        );
        assert_eq!(
            split_reference("reg.local:5000/img:1.2"),
            ("reg.local:5000/img", "1.2")
        );
    }
}
