"""On-call commands: preflight, triage, bundle, postmortem (`saas-exporter <command>`).

Each command reads the exporter's config and reuses its probes; the ones that look
back in time read a Prometheus server's HTTP API.
"""
