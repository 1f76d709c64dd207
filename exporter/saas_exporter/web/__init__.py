"""The exporter's HTTP side: server (server.py), endpoints (app.py), the /metrics body
(metrics.py), and the exporter-toolkit web config with TLS and basic auth
(webconfig.py, tls.py, auth.py)."""

from .listen import parse_listen_address

__all__ = ["parse_listen_address"]
