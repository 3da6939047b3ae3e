"""The tally of a run: the totals of ``results.json`` added up case by case (never the cases), and the document
built from them. A run tallies its cases as it files them; ``conformance report`` tallies a stream read back."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from conformance import __version__
from conformance.judge.coverage import Coverage, summary, verdict
from conformance.judge.drift import DRIFT_CHECKS
from conformance.kinds import AuthMode
from conformance.record.latency import latency_summary
from conformance.record.run_record import RunHeader
from conformance.record.stream import RESULTS_FORMAT
from conformance.send.transport import NOT_THE_API


class Answers:
    """What the answers say of the target and of the run's credentials, counted case by case: the cases sent with an
    account's real credentials of one form and how many got 401, and the answers that were not the API's own."""

    def __init__(self) -> None:
        self.tried = Counter[tuple[str | None, str]]()  # (account, credential form) -> cases with real credentials
        self.refused = Counter[tuple[str | None, str]]()  # ...of which answered 401
        self.answered = 0
        self.foreign = Counter[str]()  # reason -> answered cases whose answer was not the API's

    def add(self, case: dict[str, Any]) -> None:
        """One case entry of results.json."""
        if case["status"] is None:
            return
        self.answered += 1
        if (case["reason"] or "").startswith(NOT_THE_API):
            self.foreign[case["reason"]] += 1
        if case.get("auth") == AuthMode.VALID and case.get("credentials"):
            key = (case.get("account"), case["credentials"])
            self.tried[key] += 1
            self.refused[key] += case["status"] == 401


class Tally:
    """The totals of ``results.json``, added up case by case (the cases themselves are not kept).

    ``keep`` False: failures and inconclusive cases are counted, not kept either; the document is then given
    them as views of the stream (:class:`Records`), as it is given its cases.
    """

    def __init__(self, header: RunHeader, keep: bool = True) -> None:
        self.header = header
        self.keep = keep
        self.failure_count = 0
        self.counts = Counter[str]()
        self.checks: dict[str, dict[str, Any]] = {
            name: {"severity": severity, "description": description, "passed": 0, "failed": 0, "warned": 0}
            for name, (severity, description) in header.check_names.items()
        }
        self.failures: list[dict[str, Any]] = []
        self.warnings: dict[tuple[str, str], dict[str, Any]] = {}
        self.inconclusive: list[dict[str, Any]] = []
        self.created: set[str] = set()
        self.statuses = Counter[str]()
        self.latencies: list[float] = []
        self.observed: set[str] = set()
        self.undocumented: dict[str, set[str]] = {key: set() for key in DRIFT_CHECKS.values()}
        self.requests = 0
        self.answers = Answers()
        self.coverage = Coverage(header.families)  # per family; absent from streams of older runs

    def add(self, record: dict[str, Any]) -> None:
        case = record["case"]
        self.coverage.add(case)
        self.answers.add(case)
        self.counts["cases"] += 1
        self.counts[case["outcome"]] += 1
        self.requests += record.get("requests", 0)
        checks = self.checks
        for outcome, listed in (("passed", "passed_checks"), ("failed", "failed_checks"), ("warned", "warned_checks")):
            for name in case[listed]:
                entry = checks.get(name)  # a check the header did not name is added (built only then: 20 a case)
                if entry is None:
                    severity = "warn" if outcome == "warned" else "fail"
                    entry = checks[name] = {"severity": severity, "description": "", "passed": 0, "failed": 0,
                                            "warned": 0}  # fmt: skip
                entry[outcome] += 1
        self.failure_count += len(record["failures"])
        if self.keep:
            self.failures.extend(record["failures"])
        for warning in record["warnings"]:
            group = self.warnings.setdefault((warning["check"], warning["message"]), {
                "check": warning["check"], "severity": "warn", "message": warning["message"], "occurrences": 0,
                "cases": [], "curl": warning["curl"], "cassette": warning["cassette"],
                "interaction": warning["interaction"]})  # fmt: skip
            group["occurrences"] += 1
            if len(group["cases"]) < 10:
                group["cases"].append(case["id"])
        if record.get("inconclusive") and self.keep:
            self.inconclusive.append(record["inconclusive"])
        if record.get("created"):
            self.created.add(record["created"])
        for status, elapsed in record["answered"]:
            self.statuses[str(status)] += 1
            self.latencies.append(elapsed)
        self.observed.update(record["observed"])
        for key, found in record["undocumented"].items():
            self.undocumented.setdefault(key, set()).update(found)

    def document(self, cases: Iterable[dict[str, Any]], end: dict[str, Any] | None,
                 failures: Iterable[dict[str, Any]] | None = None,
                 inconclusive: Iterable[dict[str, Any]] | None = None) -> dict[str, Any]:  # fmt: skip
        """``results.json`` as a dict; ``cases`` (and, when not kept, ``failures`` and ``inconclusive``) are placed
        as given: lists, or re-readable views of the stream."""
        header, counts = self.header, self.counts
        ended = end or {"finished_at": "", "duration_s": 0.0, "interrupted": True}
        warnings = sum(group["occurrences"] for group in self.warnings.values())
        families = self.coverage.table()
        covered = summary(families)
        stuck = self.coverage.undecided() is not None
        ruling = verdict(interrupted=ended["interrupted"], failed=bool(self.failure_count), undecided=stuck,
                         unjudged=len(covered["unjudged"]))  # fmt: skip
        document: dict[str, Any] = {
            "format": RESULTS_FORMAT,
            "tool": {"name": "conformance", "version": __version__},
            "run_id": header.run_id,
            "target": header.target,
            "base_url": header.base_url,
            "seed": header.seed,
            "max_examples": header.max_examples,
            "shard": header.shard,
            "credential_forms": list(header.credential_forms),
            "started_at": header.started_at,
            "finished_at": ended["finished_at"],
            "duration_s": round(ended["duration_s"], 3),
            "interrupted": ended["interrupted"],
            "verdict": ruling.value,
            "counts": {
                "requests": ended.get("requests", self.requests),
                "cases": counts["cases"],
                "failures": self.failure_count,
                "warnings": warnings,
                "inconclusive": counts["inconclusive"],
                "not_run": counts["not_run"],
                "not_drawn": sum(row["not_drawn"] or 0 for row in families.values()),
                "passed_cases": counts["passed"],
            },
            "coverage": covered,
            "families": families,
            "checks": self.checks,
            "failures": self.failures if failures is None else failures,
            "warnings": list(self.warnings.values()),
            "inconclusive": self.inconclusive if inconclusive is None else inconclusive,
            "created_conversations": sorted(self.created),
            "status_codes": dict(sorted(self.statuses.items())),
            "latency_ms": latency_summary(self.latencies),
            "observed_fields": sorted(self.observed),
            "undocumented": {name: sorted(values) for name, values in self.undocumented.items()},
            "cassette_dir": header.cassette_dir,
        }
        if header.time_budget_s is not None:
            document["time_budget_s"] = header.time_budget_s
        if policy := header.policy.to_json():
            document["policy"] = policy
        if ended.get("stopped") is not None:
            document["stopped"] = ended["stopped"]
        if ended.get("confirmation"):
            document["confirmation"] = ended["confirmation"]
        if ended.get("reduced"):
            document["reduced"] = ended["reduced"]
        document["cases"] = cases
        return document
