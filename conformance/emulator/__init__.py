"""A local stand-in for the Conversations v2 API (create and fetch), laid out like moto.

``models`` (state and rules), ``exceptions`` (vendor errors), ``responses`` (HTTP layer),
``urls`` (routes), ``faults`` (fault injection), ``config`` (settings), ``server`` (app and runner).
"""

from conformance.emulator.config import EmulatorSettings
from conformance.emulator.faults import FAULTS, FaultError
from conformance.emulator.models import Credentials
from conformance.emulator.server import EmulatorServer, create_app

__all__ = ["FAULTS", "Credentials", "EmulatorServer", "EmulatorSettings", "FaultError", "create_app"]
