"""Alertmanager silences for the maintenances vendors announce (`saas-exporter silences
sync`, or inside the exporter with `maintenances.silences` in the config)."""
