"""The incident drill: simulator -> exporter -> Prometheus -> Alertmanager -> receivers.

`python -m saas_tools.drill` (or `make drill`) breaks the simulated vendor on
purpose, scenario by scenario, and checks that the right pages and messages arrive, and
resolve. The same pieces serve the tests: `capture` (a local Slack/PagerDuty/webhook
stand-in), `processes` (real Prometheus and Alertmanager on loopback),
`configs` (drill copies of the Alertmanager config and the rule pack).
"""
