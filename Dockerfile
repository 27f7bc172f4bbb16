# AiCockpit's own image, from the release build (`cargo leptos build --release`): the
# program (the terminal holder is inside it) and its site, nothing else. The base needs
# glibc (Debian bookworm or newer); CA certificates are added when it lacks them.
# `scripts/test` builds it on the dev image:
#   --build-arg BASE=$(target/release/aicockpit image reference)
#
# Docker runtime: docker run -p 127.0.0.1:3000:3000 -v /var/run/docker.sock:/var/run/docker.sock \
#   --group-add "$(stat -c %g /var/run/docker.sock)" -v aicockpit-data:/data aicockpit
# Kubernetes runtime: deploy/kubernetes/.
ARG BASE=debian:bookworm-slim
FROM ${BASE}
COPY target/release/aicockpit /app/aicockpit
COPY target/site /app/site
USER 0
# CA certificates for AI providers over HTTPS (slim bases lack them).
RUN if [ ! -e /etc/ssl/certs/ca-certificates.crt ]; then \
      apt-get update && apt-get install -y --no-install-recommends ca-certificates \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
    && mkdir -p /data && chown 1000:1000 /data
USER 1000:1000
WORKDIR /app
ENV LEPTOS_SITE_ROOT=/app/site \
    AICOCKPIT_BIND=0.0.0.0:3000 \
    AICOCKPIT_DATABASE=/data/aicockpit.db
VOLUME /data
EXPOSE 3000
ENTRYPOINT ["/app/aicockpit"]
