"""A hostile fake vendor (fault modes on loopback), the fault-injection suite's and the
soak's stand-in for a vendor that sends whatever it likes."""

from .modes import MODES, Mode
from .vendor import HostileVendor

__all__ = ["MODES", "HostileVendor", "Mode"]
