"""What a run found, and its machine-readable record ``results.json``.

Other tools read this file (reports, diff, gate, merge), so its keys are a contract of their
own: ``schemas/report.schema.json`` describes them and the tests validate against it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance.judge.drift import DRIFT_CHECKS
from conformance.judge.verdicts import CaseResult, CheckResult
from conformance.record import RESULTS_FILE
from conformance.record.atomic import write_atomic
from conformance.record.run_record import CaseEntry, RunHeader, RunPolicy
from conformance.record.scrubbing import Secrets, scrub
from conformance.record.stream import RESULTS_FORMAT
from conformance.record.tally import Tally
from conformance.send.exchange import Exchange

if TYPE_CHECKING:
    from conformance.contract.schemas import Contract

BODY_LIMIT = 4096  # bytes of a body kept in results.json; the cassette has it whole
LONG_STRING = 200  # in a JSON body past BODY_LIMIT, a string longer than this keeps only its two ends...
STRING_ENDS = 60  # ...of this many characters each, so the body still parses and a changed end still shows
__all__ = ["RESULTS_FORMAT", "RunResult", "case_record", "failure_record", "write_results"]


@dataclass
class RunResult:
    run_id: str
    target: str
    base_url: str
    seed: int
    max_examples: int
    started_at: str
    finished_at: str = ""
    duration_s: float = 0.0
    interrupted: bool = False
    shard: str | None = None
    requests: int = 0
    cases: list[CaseResult] = field(default_factory=list)
    check_names: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (severity, description)
    observed_fields: set[str] = field(default_factory=set)
    cassette_dir: str | None = None
    credential_forms: list[str] = field(default_factory=list)  # the forms the run authenticated with
    policy: RunPolicy = field(default_factory=RunPolicy)  # what the user chose that changes what is sent or judged
    time_budget_s: float | None = None  # --max-time, for a time-boxed run
    stopped: str | None = None  # which budget ended the run before its plan did
    families: dict[str, int | None] = field(default_factory=dict)  # cases planned per family (None: no end)
    confirmation: list[dict[str, Any]] = field(default_factory=list)  # each failure group re-sent (confirmation.py)
    reduced: list[dict[str, Any]] = field(default_factory=list)  # large groups' examples shrunk (shrinking.py)

    def add(self, case: CaseResult, contract: Contract) -> None:
        """Append a judged case, noting the response field paths its created conversation showed."""
        self.cases.append(case)
        self.observed_fields.update(observed_paths(case, contract))

    @property
    def failures(self) -> list[tuple[CaseResult, CheckResult]]:
        return [(c, r) for c in self.cases for r in c.checks if r.outcome == "failed"]

    @property
    def warnings(self) -> list[tuple[CaseResult, CheckResult]]:
        return [(c, r) for c in self.cases for r in c.checks if r.outcome == "warned"]

    def header(self) -> RunHeader:
        """What the run is: the results stream's first line."""
        return RunHeader(run_id=self.run_id, target=self.target, base_url=self.base_url, seed=self.seed,
                         max_examples=self.max_examples, started_at=self.started_at, shard=self.shard,
                         credential_forms=list(self.credential_forms), check_names=dict(self.check_names),
                         cassette_dir=self.cassette_dir, time_budget_s=self.time_budget_s, policy=self.policy,
                         families=dict(self.families))  # fmt: skip

    def end(self) -> dict[str, Any]:
        """How the run ended: the results stream's last line."""
        end = {"finished_at": self.finished_at, "duration_s": self.duration_s, "interrupted": self.interrupted,
               "requests": self.requests, "stopped": self.stopped}  # fmt: skip
        if self.confirmation:
            end["confirmation"] = self.confirmation
        if self.reduced:
            end["reduced"] = self.reduced
        return end

    def to_json(self, secrets: Secrets = ()) -> dict[str, Any]:
        """``results.json`` for the cases held in memory (replay, tests); a run streams them instead."""
        tally = Tally(self.header())
        entries = []
        for case in self.cases:
            record = case_record(case, self.seed)
            tally.add(record)
            entries.append(record["case"])
        document = tally.document(entries, self.end())
        document["observed_fields"] = sorted(self.observed_fields)
        return scrub(document, secrets)


def observed_paths(case: CaseResult, contract: Contract) -> set[str]:
    """The field paths of the conversation a case created (none when it created none)."""
    from conformance.contract.members import field_paths

    created = case.exchange.created if case.exchange is not None else None
    return field_paths(contract, "conversation", created) if created is not None else set()


def case_record(case: CaseResult, seed: int, observed: Iterable[str] = ()) -> dict[str, Any]:
    """Everything ``results.json`` needs from one judged case: a line of the results stream."""
    exchange, fetched = case.exchange, case.fetched
    answered = [e for e in (exchange, fetched) if _answered(e)]
    warned = [r for r in case.checks if r.outcome == "warned"]
    where: dict[str, Any] = {}  # where the case's evidence is, for the warnings and an inconclusive case (only then)
    if warned or case.outcome == "inconclusive":
        where = {"curl": exchange.curl() if exchange else None, "cassette": exchange.cassette if exchange else None,
                 "interaction": exchange.interaction if exchange else None}  # fmt: skip
    undocumented: dict[str, list[str]] = {}
    for result in case.checks:  # a drift check's severity is policy: its findings count either way
        if result.check in DRIFT_CHECKS and result.outcome in ("failed", "warned"):
            undocumented.setdefault(DRIFT_CHECKS[result.check], []).extend(result.findings)
    inconclusive = {"case": case.case.id, "reason": case.reason, "curl": where["curl"]} if where else None
    return {
        "case": CaseEntry.of(case).to_json(),
        "failures": [failure_record(case, r, seed) for r in case.checks if r.outcome == "failed"],
        "warnings": [{"check": r.check, "message": r.message, **where} for r in warned],
        "inconclusive": inconclusive if case.outcome == "inconclusive" else None,
        "created": exchange.created_id if exchange is not None else None,
        "answered": [[e.status, round(e.elapsed_ms, 2)] for e in answered if e is not None],
        "observed": sorted(observed),
        "undocumented": undocumented,
        "requests": sum(e.attempts for e in (exchange, fetched) if e is not None),
    }


def failure_record(case: CaseResult, result: CheckResult, seed: int) -> dict[str, Any]:
    """One failed check of a judged case, as ``failures`` of results.json lists it."""
    exchange = case.fetched if result.check == "read_back" and case.fetched else case.exchange
    return {
        "check": result.check,
        "severity": result.severity,
        "message": result.message,
        "case": case.case.id,
        "case_description": case.case.description,
        "seed": seed,
        "curl": exchange.curl() if exchange else None,
        "request": _request(exchange),
        "response": _response(exchange),
        "cassette": exchange.cassette if exchange else None,
        "interaction": exchange.interaction if exchange else None,
    }


def _answered(exchange: Exchange | None) -> bool:
    return exchange is not None and exchange.status is not None


def _text(body: bytes) -> str:
    """The body as results.json keeps it: whole up to BODY_LIMIT; a longer JSON body with its long strings cut in
    the middle (marked) when that brings it under the limit, so reports can still find a member in it; else cut."""
    if len(body) > BODY_LIMIT and (shortened := _long_strings_shortened(body)) is not None:
        return shortened
    text = body[:BODY_LIMIT].decode("utf-8", errors="replace")
    return text + ("…" if len(body) > BODY_LIMIT else "")


def _long_strings_shortened(body: bytes) -> str | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None

    def shorten(node: Any) -> Any:
        if isinstance(node, str) and len(node) > LONG_STRING:
            left_out = len(node) - 2 * STRING_ENDS
            return f"{node[:STRING_ENDS]}…[{left_out:,} characters left out]…{node[-STRING_ENDS:]}"
        if isinstance(node, list):
            return [shorten(item) for item in node]
        if isinstance(node, dict):
            return {key: shorten(item) for key, item in node.items()}
        return node

    text = json.dumps(shorten(value), ensure_ascii=False)
    return text if len(text.encode("utf-8")) <= BODY_LIMIT else None


def _request(exchange: Exchange | None) -> dict[str, Any] | None:
    if exchange is None:
        return None
    return {"method": exchange.method, "url": exchange.url, "headers": exchange.request_headers,
            "auth": exchange.auth, "credentials": exchange.credentials, "account": exchange.account,
            "body": _text(exchange.request_body)}  # fmt: skip


def _response(exchange: Exchange | None) -> dict[str, Any] | None:
    if exchange is None or exchange.status is None:
        return None
    return {"status": exchange.status, "headers": exchange.response_headers, "body": _text(exchange.response_body),
            "elapsed_ms": round(exchange.elapsed_ms, 2)}  # fmt: skip


def write_results(document: dict[str, Any], directory: Path) -> Path:
    """``results.json`` for a document built in memory (:meth:`RunResult.to_json`)."""
    path = directory / RESULTS_FILE
    write_atomic(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return path
