//! Images on Docker: presence checks, listing, `docker import` of a root filesystem and
//! registry pulls with progress.

use std::collections::HashMap;

use bollard::errors::Error as BollardError;
use bollard::query_parameters::{BuildImageOptions, CreateImageOptions, ListImagesOptions};
use bytes::Bytes;
use futures::StreamExt;

use super::{timed_out, DockerRuntime};
use crate::runtime::{BuildLine, ByteStream, ImageBuild, PullProgress, RuntimeError};

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

    pub(super) async fn image_id(&self, reference: &str) -> Result<Option<String>, RuntimeError> {
        let docker = self.client()?;
        match self
            .call("inspect image", docker.inspect_image(reference))
            .await
        {
            Ok(image) => Ok(image.id),
            Err(RuntimeError::NotFound(_)) => Ok(None),
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

impl DockerRuntime {
    /// `docker build` through the API, with the classic builder (whose output numbers its
    /// steps); intermediate containers are removed even when a step fails.
    pub(super) async fn build(
        &self,
        context: Bytes,
        build: &ImageBuild,
        report: &(dyn Fn(BuildLine) + Send + Sync),
    ) -> Result<(), RuntimeError> {
        let docker = self.client()?;
        let args: HashMap<String, String> = build.args.clone().into_iter().collect();
        let options = BuildImageOptions {
            dockerfile: build.dockerfile.clone(),
            t: Some(build.reference.clone()),
            buildargs: Some(args),
            rm: true,
            forcerm: true,
            // Steps join the running container's network namespace: its isolation, its
            // level, its loopback (and the egress proxy there).
            networkmode: build
                .network_of
                .as_ref()
                .map(|id| format!("container:{id}")),
            ..Default::default()
        };
        let mut output = docker.build_image(options, None, Some(bollard::body_full(context)));
        let mut step = None;
        let mut emit = |text: &str| {
            for line in text.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
                step = step_of(line).or(step);
                report(BuildLine {
                    step,
                    text: line.to_owned(),
                });
            }
        };
        let started = std::time::Instant::now();
        let result = tokio::time::timeout(self.image_timeout, async {
            while let Some(item) = output.next().await {
                match item {
                    Ok(info) => {
                        if let Some(text) = info.stream.as_deref().or(info.status.as_deref()) {
                            emit(text);
                        }
                        if let Some(error) = info.error_detail.and_then(|d| d.message) {
                            emit(&error);
                            return Err(RuntimeError::BuildFailed(error));
                        }
                    }
                    Err(BollardError::DockerStreamError { error }) => {
                        emit(&error);
                        return Err(RuntimeError::BuildFailed(error));
                    }
                    Err(e) => return Err(self.map_error(e)),
                }
            }
            Ok(())
        })
        .await
        .unwrap_or_else(|_| Err(timed_out("build image", self.image_timeout)));
        crate::metrics::record_docker_call("build image", started, &result);
        result
    }
}

/// The step a classic-builder line starts: "Step 3/7 : RUN make" is `(3, 7)`.
fn step_of(line: &str) -> Option<(u32, u32)> {
    let rest = line.strip_prefix("Step ")?;
    let (numbers, _) = rest.split_once(" :")?;
    let (step, steps) = numbers.split_once('/')?;
    Some((step.parse().ok()?, steps.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::{split_reference, step_of};

    #[test]
    fn build_steps_are_read_from_the_classic_builders_lines() {
        assert_eq!(step_of("Step 3/7 : RUN make"), Some((3, 7)));
        assert_eq!(step_of("Step 10/12 : FROM x"), Some((10, 12)));
        assert_eq!(step_of(" ---> Running in 2f3a"), None);
        assert_eq!(step_of("Step x/7 : RUN"), None);
    }

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
