"""One test stack for the dashboard tests, the on-call tests and the incident drill.

- `stack`: `StackSpec` (what to run) and `Stack` (start, stop, context manager);
- `processes`: real Prometheus and Alertmanager on loopback, stopped by their handles;
- `configs`: the Prometheus config, the capture copy of the Alertmanager config;
- `rules`: the pack's rules on a fast clock;
- `capture`: a local Slack/PagerDuty/webhook stand-in recording what it receives;
- `prometheus_api`, `alertmanager_api`: small clients; `polling`: bounded waits.
"""

from .polling import DeadlineExceeded, poll
from .rules import RuleClock
from .stack import APP_JOB, Alerting, Stack, StackSpec

__all__ = ["APP_JOB", "Alerting", "DeadlineExceeded", "RuleClock", "Stack", "StackSpec", "poll"]
