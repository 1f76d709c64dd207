"""On-call commands: preflight, triage, bundle, postmortem (`saas-exporter <command>`).

Each command reads the exporter's config and reuses its probes; the ones that look
back in time read a Prometheus server's HTTP API. All run on one frame (frame.py):
flags → evidence → a typed report → text or JSON.
"""

from __future__ import annotations

from .frame import Command


def commands() -> tuple[Command, ...]:
    """Every on-call command, in the order of an incident."""
    from . import bundle, postmortem, preflight, triage

    return (preflight.COMMAND, triage.COMMAND, bundle.COMMAND, postmortem.COMMAND)
