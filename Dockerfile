# saas-exporter: a small, non-root image. Build: docker build -t saas-exporter .
FROM python:3.11-slim AS build
WORKDIR /src
COPY requirements.lock pyproject.toml README.md ./
COPY exporter ./exporter
RUN python -m venv /opt/saas-exporter \
 && /opt/saas-exporter/bin/pip install --no-cache-dir -r requirements.lock \
 && /opt/saas-exporter/bin/pip install --no-cache-dir --no-deps .

FROM python:3.11-slim
COPY --from=build /opt/saas-exporter /opt/saas-exporter
ENV PATH=/opt/saas-exporter/bin:$PATH PYTHONUNBUFFERED=1
# nobody:nogroup; mount keys read-only, e.g. /run/secrets/klaviyo-private-key
USER 65534:65534
EXPOSE 9879
# Liveness of the exporter itself: never /health, which reports the vendor's state.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:9879/-/healthy', timeout=2).status == 200 else 1)"]
ENTRYPOINT ["saas-exporter"]
CMD ["--config.file=/etc/saas-exporter/config.yml", "--web.listen-address=:9879"]
