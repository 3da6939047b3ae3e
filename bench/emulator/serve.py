"""Serve one benchmark subject under uvicorn (single process) on a free loopback port.

``python serve.py emulator|bare [--db PATH]`` prints ``PORT <n>`` once listening, then serves
until terminated. Both subjects run with the emulator's own uvicorn settings (uvloop, httptools).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import uvicorn

from conformance.emulator.server import bind, create_app, tune_gc, uvicorn_config

# What the bare app answers: a Conversation of the size the emulator returns for the benchmark body.
FIXED_BODY = json.dumps({
    "id": "conv_conversation_01k1etk2y5f1y9fpe2epfdtvv2", "accountId": "AC" + "0" * 32,
    "configurationId": "conv_configuration_0000000000000000000default", "status": "ACTIVE", "name": "Support Chat",
    "createdAt": "2025-01-01T00:00:00Z", "updatedAt": "2025-01-01T00:00:00Z",
    "configuration": {"displayName": "Emulator configuration", "memoryExtractionEnabled": False},
    "participants": [{"id": "conv_participant_01k1etk2y5f1y9fpe2epfdtvv3", "name": "Ada", "type": "CUSTOMER"}] * 2,
}).encode()  # fmt: skip
FIXED_HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(FIXED_BODY)).encode())]


async def bare_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The floor: read the request body, answer a fixed 201. No routing, no validation, no storage."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 201, "headers": FIXED_HEADERS})
    await send({"type": "http.response.body", "body": FIXED_BODY})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("subject", choices=["emulator", "bare"])
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    app = create_app(db_path=args.db) if args.subject == "emulator" else bare_app
    tune_gc()  # as `conformance emulator` does; the same for both subjects
    sock = bind("127.0.0.1", 0)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    uvicorn.Server(uvicorn_config(app)).run(sockets=[sock])


if __name__ == "__main__":
    sys.exit(main())
