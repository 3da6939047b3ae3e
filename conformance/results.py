"""What a run found, and its machine-readable record ``results.json``.

Other tools read this file (reports, diff, gate, merge), so its keys are a contract of their
own: ``schemas/report.schema.json`` describes them and the tests validate against it.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from conformance import __version__
from conformance.cases import Case
from conformance.checks import field_paths
from conformance.contract import Contract
from conformance.drift import DRIFT_CHECKS
from conformance.exchange import Exchange

RESULTS_FORMAT = 1
Outcome = Literal["passed", "failed", "warned", "skipped"]
CaseOutcome = Literal["passed", "failed", "inconclusive", "not_run"]
BODY_LIMIT = 4096  # bytes of a body kept in results.json; the cassette has it whole
Secrets = tuple[str, ...] | Callable[[str], str]  # values to blank out, or a redactor


@dataclass
class CheckResult:
    check: str
    severity: str
    outcome: Outcome
    message: str = ""
    findings: tuple[str, ...] = ()  # the items a drift check found (field paths, enum values, headers)


@dataclass
class CaseResult:
    case: Case
    outcome: CaseOutcome
    exchange: Exchange | None = None
    fetched: Exchange | None = None
    checks: list[CheckResult] = field(default_factory=list)
    reason: str = ""  # for inconclusive / not_run


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

    def add(self, case: CaseResult, contract: Contract) -> None:
        """Append a judged case, noting the response field paths its created conversation showed."""
        self.cases.append(case)
        created = case.exchange.created if case.exchange is not None else None
        if created is not None:
            self.observed_fields.update(field_paths(contract, "conversation", created))

    @property
    def failures(self) -> list[tuple[CaseResult, CheckResult]]:
        return [(c, r) for c in self.cases for r in c.checks if r.outcome == "failed"]

    @property
    def warnings(self) -> list[tuple[CaseResult, CheckResult]]:
        return [(c, r) for c in self.cases for r in c.checks if r.outcome == "warned"]

    @property
    def verdict(self) -> str:
        return "failed" if self.failures else "passed"

    @property
    def exit_code(self) -> int:
        return 1 if self.failures else 0

    def to_json(self, secrets: Secrets = ()) -> dict[str, Any]:
        exchanges = [e for c in self.cases for e in (c.exchange, c.fetched) if e is not None and e.status is not None]
        document = {
            "format": RESULTS_FORMAT,
            "tool": {"name": "conformance", "version": __version__},
            "run_id": self.run_id,
            "target": self.target,
            "base_url": self.base_url,
            "seed": self.seed,
            "max_examples": self.max_examples,
            "shard": self.shard,
            "credential_forms": list(self.credential_forms),
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_s": round(self.duration_s, 3),
            "interrupted": self.interrupted,
            "verdict": self.verdict,
            "counts": {
                "requests": self.requests,
                "cases": len(self.cases),
                "failures": len(self.failures),
                "warnings": len(self.warnings),
                "inconclusive": sum(c.outcome == "inconclusive" for c in self.cases),
                "not_run": sum(c.outcome == "not_run" for c in self.cases),
                "passed_cases": sum(c.outcome == "passed" for c in self.cases),
            },
            "checks": self._per_check(),
            "failures": [self._failure(c, r) for c, r in self.failures],
            "warnings": self._warnings(),
            "inconclusive": [
                {"case": c.case.id, "reason": c.reason, "curl": c.exchange.curl() if c.exchange else None}
                for c in self.cases
                if c.outcome == "inconclusive"
            ],
            "created_conversations": sorted(
                {c.exchange.created_id for c in self.cases if c.exchange is not None and c.exchange.created_id}
            ),
            "status_codes": dict(sorted(Counter(str(e.status) for e in exchanges).items())),
            "latency_ms": latency_summary([round(e.elapsed_ms, 2) for e in exchanges]),  # as the cases list them
            "observed_fields": sorted(self.observed_fields),
            "undocumented": self._undocumented(),
            "cassette_dir": self.cassette_dir,
            "cases": [self._case(c) for c in self.cases],
        }
        return scrub(document, secrets)

    def _per_check(self) -> dict[str, Any]:
        table: dict[str, dict[str, Any]] = {
            name: {"severity": severity, "description": description, "passed": 0, "failed": 0, "warned": 0}
            for name, (severity, description) in self.check_names.items()
        }
        for case in self.cases:
            for result in case.checks:
                if result.outcome != "skipped":
                    table.setdefault(result.check, {"severity": result.severity, "description": "", "passed": 0,
                                                    "failed": 0, "warned": 0})[result.outcome] += 1  # fmt: skip
        return table

    def _failure(self, case: CaseResult, result: CheckResult) -> dict[str, Any]:
        exchange = case.fetched if result.check == "read_back" and case.fetched else case.exchange
        return {
            "check": result.check,
            "severity": result.severity,
            "message": result.message,
            "case": case.case.id,
            "case_description": case.case.description,
            "seed": self.seed,
            "curl": exchange.curl() if exchange else None,
            "request": _request(exchange),
            "response": _response(exchange),
            "cassette": exchange.cassette if exchange else None,
            "interaction": exchange.interaction if exchange else None,
        }

    def _warnings(self) -> list[dict[str, Any]]:
        grouped: dict[tuple[str, str], list[tuple[CaseResult, CheckResult]]] = {}
        for case, result in self.warnings:
            grouped.setdefault((result.check, result.message), []).append((case, result))
        out = []
        for (check, message), items in grouped.items():
            first = items[0][0].exchange
            out.append({
                "check": check, "severity": "warn", "message": message, "occurrences": len(items),
                "cases": [case.case.id for case, _ in items[:10]], "curl": first.curl() if first else None,
                "cassette": first.cassette if first else None, "interaction": first.interaction if first else None,
            })  # fmt: skip
        return out

    def _undocumented(self) -> dict[str, list[str]]:
        found: dict[str, set[str]] = {key: set() for key in DRIFT_CHECKS.values()}
        for _case, result in [*self.warnings, *self.failures]:  # a drift check's severity is policy
            if result.check in DRIFT_CHECKS:
                found[DRIFT_CHECKS[result.check]].update(result.findings)
        return {name: sorted(values) for name, values in found.items()}

    def _case(self, case: CaseResult) -> dict[str, Any]:
        exchange = case.exchange
        return {
            "id": case.case.id,
            "kind": case.case.kind,
            "auth": case.case.auth,
            "credentials": case.case.credentials,
            "method": case.case.method,
            "description": case.case.description,
            "expected_status": case.case.expected_status,
            "status": exchange.status if exchange else None,
            "outcome": case.outcome,
            "reason": case.reason or None,
            "elapsed_ms": round(exchange.elapsed_ms, 2) if exchange else None,
            "fetched_elapsed_ms": round(case.fetched.elapsed_ms, 2) if _answered(case.fetched) else None,
            "passed_checks": [r.check for r in case.checks if r.outcome == "passed"],
            "failed_checks": [r.check for r in case.checks if r.outcome == "failed"],
            "warned_checks": [r.check for r in case.checks if r.outcome == "warned"],
            "cassette": exchange.cassette if exchange else None,
            "interaction": exchange.interaction if exchange else None,
        }


def _answered(exchange: Exchange | None) -> bool:
    return exchange is not None and exchange.status is not None


def _text(body: bytes) -> str:
    text = body[:BODY_LIMIT].decode("utf-8", errors="replace")
    return text + ("…" if len(body) > BODY_LIMIT else "")


def _request(exchange: Exchange | None) -> dict[str, Any] | None:
    if exchange is None:
        return None
    return {"method": exchange.method, "url": exchange.url, "headers": exchange.request_headers,
            "auth": exchange.auth, "credentials": exchange.credentials,
            "body": _text(exchange.request_body)}  # fmt: skip


def _response(exchange: Exchange | None) -> dict[str, Any] | None:
    if exchange is None or exchange.status is None:
        return None
    return {"status": exchange.status, "headers": exchange.response_headers, "body": _text(exchange.response_body),
            "elapsed_ms": round(exchange.elapsed_ms, 2)}  # fmt: skip


def latency_summary(samples: list[float]) -> dict[str, Any]:
    if not samples:
        return {"count": 0}
    ordered = sorted(samples)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 2)

    edges = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000]
    histogram = Counter(next((f"<={e}" for e in edges if s <= e), f">{edges[-1]}") for s in ordered)
    return {
        "count": len(ordered),
        "mean": round(statistics.fmean(ordered), 2),
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "max": round(ordered[-1], 2),
        "histogram": {bucket: histogram.get(bucket, 0) for bucket in [*(f"<={e}" for e in edges), f">{edges[-1]}"]},
    }


def scrub(value: Any, secrets: Secrets) -> Any:
    """Replace any secret that slipped into a string (an echoed body, an error message).

    ``secrets`` is the values to replace, or a function from text to safe text (a run's ``Redactor``).
    """
    if not callable(secrets):
        secrets = tuple(s for s in secrets if s)
        if not secrets:
            return value
    if isinstance(value, str):
        if callable(secrets):
            return secrets(value)
        for secret in secrets:
            value = value.replace(secret, "[REDACTED]")
        return value
    if isinstance(value, dict):
        return {scrub(k, secrets): scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, secrets) for v in value]
    return value


_UMASK = os.umask(0)
os.umask(_UMASK)


def write_atomic(path: Path, text: str) -> None:
    """Write via a temp file and rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; reports are meant to be shared like any file
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_results(result: RunResult, directory: Path, secrets: Secrets = ()) -> Path:
    path = directory / "results.json"
    write_atomic(path, json.dumps(result.to_json(secrets), indent=2, ensure_ascii=False) + "\n")
    return path
