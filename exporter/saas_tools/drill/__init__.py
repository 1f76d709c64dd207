"""The incident drill: simulator -> exporter -> Prometheus -> Alertmanager -> receivers.

`python -m saas_tools.drill` (or `make drill`) breaks the simulated vendor on
purpose, scenario by scenario, and checks that the right pages and messages arrive, and
resolve. It runs on the test stack (`saas_tools.stack`) with Alertmanager and the
capture server; `rules` reads the pack's alerts on the drill's clock, `scenarios` says
what each fault must produce, `notifications` and `expectations` read what arrived.
"""
