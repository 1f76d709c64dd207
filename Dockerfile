# saas-exporter: a small, non-root image.
# Build: docker build --build-arg REVISION=$(git rev-parse --short=12 HEAD) \
#          --build-arg BUILD_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ) -t saas-exporter .
# VERSION must match saas_exporter.__version__ (a test checks it).
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG BUILD_DATE=unknown

FROM python:3.11-slim AS build
ARG REVISION
ARG BUILD_DATE
WORKDIR /src
COPY requirements.lock pyproject.toml README.md LICENSE ./
COPY exporter ./exporter
# build.json: what --version and saas_exporter_build_info report (saas_exporter/buildinfo.py).
RUN printf '{"revision": "%s", "build_date": "%s"}\n' "$REVISION" "$BUILD_DATE" \
      > exporter/saas_exporter/build.json \
 && python -m venv /opt/saas-exporter \
 && /opt/saas-exporter/bin/pip install --no-cache-dir -r requirements.lock \
 && /opt/saas-exporter/bin/pip install --no-cache-dir --no-deps .

FROM python:3.11-slim
ARG VERSION
ARG REVISION
ARG BUILD_DATE
LABEL org.opencontainers.image.title="saas-exporter" \
      org.opencontainers.image.description="Prometheus exporter and alert-rule pack for SaaS vendor integrations (Klaviyo, Clay, generic vendors)" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION" \
      org.opencontainers.image.created="$BUILD_DATE" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11-slim"
COPY --from=build /opt/saas-exporter /opt/saas-exporter
# No bytecode written at run time: the root filesystem is read-only in Kubernetes.
ENV PATH=/opt/saas-exporter/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
# nobody:nogroup; mount keys read-only, e.g. /run/secrets/klaviyo-private-key
USER 65534:65534
EXPOSE 9879
# Liveness of the exporter itself, never /health (the vendor's state). `healthcheck`
# reads PID 1's own flags, so it follows --web.listen-address and TLS from
# --web.config.file, whatever CMD the container is started with.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["saas-exporter", "healthcheck"]
ENTRYPOINT ["saas-exporter"]
CMD ["--config.file=/etc/saas-exporter/config.yml", "--web.listen-address=:9879"]
