"""Benchmark: what redaction costs per string a run writes, this tree's redactor beside another ref's.

A run redacts every body, header value, URL and message it records (about 90 strings per request), so the
redactor is on the hot path. The strings are typical ones: a create's 201 body, a request URL, a header value, a
check message, and a 401 body that quotes the ``Authorization`` header (the slow path: a secret to blank). Each
call gets a string it has not seen (ids and numbers vary), but the header value, which recurs in a run too. The
redactor is the one a run against the embedded emulator builds (both credential forms). Rounds alternate the
two redactors; the table shows microseconds per call for the median round.

    python bench/redaction/bench_redaction.py [--compare main] [--rounds 7] [--calls 2000] [--no-write]
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ for results_md
from results_md import load_average, machine, when, write_section

from conformance.emulator.models import DEFAULT_CREDENTIALS
from conformance.send.targets import Target, emulator_logins

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Redaction"
MODULE = "conformance/record/cassettes/redaction.py"
FORMS_MODULE = "conformance/record/cassettes/secret_forms.py"


def samples(variant: int) -> dict[str, str]:
    """The strings of one call; ``variant`` makes their ids and numbers its own."""
    credentials = DEFAULT_CREDENTIALS
    conversation = f"conv_conversation_01kabcdefghjkmnpqrst{variant:07d}"
    participant = {"id": f"conv_participant_01kaaaaaaaaaaaaaa{variant:09d}", "accountId": credentials.account_sid,
                   "conversationId": conversation, "name": "Ada Lovelace",
                   "type": "CUSTOMER", "addresses": [{"channel": "SMS", "address": "+14155550123"}],
                   "createdAt": "2026-12-07T03:37:50Z", "updatedAt": "2026-12-07T03:37:50Z"}  # fmt: skip
    body = {"id": conversation, "accountId": credentials.account_sid,
            "configurationId": "conv_configuration_01k000000000000000000000", "status": "ACTIVE",
            "name": "Support chat", "participants": [participant] * 3, "createdAt": "2026-12-07T03:37:50Z",
            "updatedAt": "2026-12-07T03:37:50Z"}  # fmt: skip
    header = "Basic " + base64.b64encode(f"{credentials.api_key}:{credentials.api_secret}x".encode()).decode()
    echo = {"code": 20003, "message": f"Authentication Error {variant} (Authorization: {header})", "status": 401,
            "more_info": "https://www.twilio.com/docs/errors/20003"}  # fmt: skip
    return {
        "201 body": json.dumps(body),
        "URL": f"http://127.0.0.1:41234/v2/Conversations/{conversation}",
        "header value": "application/json",
        "check message": f"expected 201, got 400: Invalid parameter participants[{variant}].type",
        "401 body quoting the header": json.dumps(echo),
    }


def load(ref: str | None) -> ModuleType:
    """The redaction module of ``ref`` (None: this tree's), with the ref's own secret forms (the matching is there)."""
    if ref is None:
        from conformance.record.cassettes import redaction

        return redaction
    forms_name = "conformance.record.cassettes.secret_forms"
    ours = importlib.import_module(forms_name)
    sys.modules[forms_name] = _module_at(ref, FORMS_MODULE, "secret_forms")  # what the ref's redaction imports
    try:
        return _module_at(ref, MODULE, "redaction")
    finally:
        sys.modules[forms_name] = ours


def _module_at(ref: str, file: str, name: str) -> ModuleType:
    source = subprocess.run(["git", "show", f"{ref}:{file}"], cwd=ROOT, capture_output=True, text=True, check=True)
    path = Path(tempfile.mkdtemp()) / f"{name}_ref.py"
    path.write_text(source.stdout, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"{name}_{ref}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def per_call(text: Callable[[str], str], values: list[str]) -> float:
    started = time.perf_counter()
    for value in values:
        text(value)
    return (time.perf_counter() - started) / len(values) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", default="main", help="the git ref whose redactor is measured beside this one")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--no-write", action="store_true", help="print, do not update bench/RESULTS.md")
    args = parser.parse_args()
    load_before = load_average()
    settings = DEFAULT_CREDENTIALS
    target = Target("emulator", "http://127.0.0.1:41234", emulator_logins(settings), "conv_configuration_x",
                    settings.account_sid)  # fmt: skip
    subjects = {"this tree": load(None), args.compare: load(args.compare)}
    redactors = {name: module.Redactor.for_target(target, pii=False, environ={}) for name, module in subjects.items()}
    strings = samples(0)
    for name, redactor in redactors.items():  # both blank the echoed secret: same work, not a shortcut
        assert "[REDACTED]" in redactor.text(strings["401 body quoting the header"]), name
    timings: dict[tuple[str, str], list[float]] = {}
    for round_ in range(args.rounds):
        calls = [samples(round_ * args.calls + i) for i in range(args.calls)]  # unseen by either redactor
        order = list(redactors.items()) if round_ % 2 == 0 else list(reversed(redactors.items()))
        for name, redactor in order:
            for label in strings:
                values = [call[label] for call in calls]
                timings.setdefault((name, label), []).append(per_call(redactor.text, values))
    rows = ["| string | chars | " + " | ".join(f"{name} (µs)" for name in redactors) + " |",
            "|---|---:|" + "---:|" * len(redactors)]  # fmt: skip
    for label, value in strings.items():
        cells = " | ".join(f"{statistics.median(timings[(name, label)]):.2f}" for name in redactors)
        rows.append(f"| {label} | {len(value)} | {cells} |")
    text = "\n".join([
        SECTION, "",
        f"Measured {when()} by `python bench/redaction/bench_redaction.py --compare {args.compare}` on this machine "
        f"({machine()}). Load average before: {load_before} (the "
        f"machine is shared, so rates vary). {args.rounds} rounds of {args.calls} calls per string, the two "
        "redactors alternating; median round. The redactor is the one a run against the embedded emulator builds.",
        "", *rows, "",
    ])  # fmt: skip
    print(text)
    if not args.no_write:
        write_section(SECTION, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
