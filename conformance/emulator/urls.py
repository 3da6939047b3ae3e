"""The route table: the vendor's two routes, then the control API under ``/__emulator__/``."""

from __future__ import annotations

from starlette.routing import Route

from conformance.contract.schemas import CREATE_PATH, FETCH_PATH
from conformance.emulator.responses import EmulatorResponses

CONTROL_PREFIX = "/__emulator__/"


def url_patterns(responses: EmulatorResponses) -> list[Route]:
    """Routes for one emulator instance."""
    control = CONTROL_PREFIX
    return [
        Route(CREATE_PATH, responses.create_conversation, methods=["POST"], name="create"),
        Route(FETCH_PATH, responses.fetch_conversation, methods=["GET"], name="fetch"),
        Route(control + "health", responses.health, methods=["GET"], name="health"),
        Route(control + "reset", responses.reset, methods=["POST"], name="reset"),
        Route(control + "configurations", responses.configurations, methods=["GET"], name="configurations"),
        Route(control + "faults", responses.list_faults, methods=["GET"], name="faults"),
        Route(control + "faults", responses.add_fault, methods=["POST"], name="add_fault"),
        Route(control + "faults", responses.clear_faults, methods=["DELETE"], name="clear_faults"),
    ]
