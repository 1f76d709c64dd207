"""A fake vendor (API and status page) on loopback, for the demo, tests and fire drills."""

from .scenarios import SCENARIOS
from .server import SimulatorServer, start_simulator

__all__ = ["SCENARIOS", "SimulatorServer", "start_simulator"]
