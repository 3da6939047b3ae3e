"""The body worker process: parses and validates the big create bodies the serving process sends it.

    python -m conformance.emulator.body_worker CONTRACT_DIR   (started by ``bodies.BodyWorker``)

Frames on stdin (``REQUEST_FRAME``, then the body) and stdout (``ANSWER_FRAME``, then the pickled outcome),
one body at a time, until stdin ends: the emulator stopped, or its process died.
"""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path

from conformance.contract.schemas import load_contract
from conformance.emulator.bodies import ANSWER_FRAME, REQUEST_FRAME, WORKER_NICENESS, Outcome
from conformance.emulator.exceptions import InvalidParameter
from conformance.emulator.models import Backend
from conformance.emulator.rules import parse_json


def admit_body(backend: Backend, raw: bytes, with_fingerprint: bool) -> Outcome:
    """``("json", message)`` when ``raw`` is not acceptable JSON, ``("rules", message)`` when the request breaks
    the contract, else ``("ok", admitted)``; the caller raises the 400s in its own order of checks."""
    try:
        body = parse_json(raw)
    except InvalidParameter as exc:
        return "json", exc.message
    try:
        return "ok", backend.admit(body, raw, with_fingerprint=with_fingerprint)
    except InvalidParameter as exc:
        return "rules", exc.message


def main(argv: list[str]) -> int:
    """The worker: answer framed bodies from stdin on stdout until stdin ends."""
    os.nice(WORKER_NICENESS)
    backend = Backend(contract=load_contract(Path(argv[0])))
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    while True:
        header = requests.read(REQUEST_FRAME.size)
        if len(header) != REQUEST_FRAME.size:
            return 0  # the emulator stopped or died
        size, with_fingerprint = REQUEST_FRAME.unpack(header)
        raw = requests.read(size)
        if len(raw) != size:
            return 0
        answer = pickle.dumps(admit_body(backend, raw, with_fingerprint), protocol=pickle.HIGHEST_PROTOCOL)
        answers.write(ANSWER_FRAME.pack(len(answer)) + answer)
        answers.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
