"""saas-exporter: probe SaaS vendors (Klaviyo, Clay, ...) into Prometheus metrics."""

__version__ = "0.1.0"
