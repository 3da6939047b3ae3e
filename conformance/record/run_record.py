"""The run's record, one model: what the run is (:class:`RunHeader`), what the user chose (:class:`RunPolicy`), and
one judged case as ``results.json`` lists it (:class:`CaseEntry`).

Each is written by ``to_json`` and read back by ``from_json``; the run's stream, ``results.json``, the recording's
``run.json``, replay, merge, reproduce and parity all go through them, so each fact has one shape.
``schemas/report.schema.json`` describes the JSON (the tests validate what ``to_json`` gives against it).
This module imports neither generation nor the checks, so report commands can use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from conformance.settings import DEFAULT_CLOCK_SKEW_S, TARGET_DEFAULTS

if TYPE_CHECKING:
    from conformance.judge.verdicts import CaseResult
    from conformance.settings import RunOptions


def now() -> str:
    """The time now, as the run's record writes it (UTC, to the second)."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class RunPolicy:
    """What the user chose that differs from the defaults and changes what is sent or judged, so the run's reproduce
    line, a replay and parity repeat it. ``None`` (or empty) is "not chosen": the JSON leaves it out."""

    max_requests: int | None = None  # which cases the budget reaches
    rate: float | None = None  # what a rate-limited target throttles
    deterministic: bool = False
    checks: list[str] | None = None  # --checks, sorted
    severities: dict[str, str] = field(default_factory=dict)  # check -> fail|warn, where the user moved it
    clock_skew_s: float | None = None
    rotation: dict[str, str] | None = None  # the history's ledger the plan's order came from

    @classmethod
    def of(cls, options: RunOptions, target: str) -> RunPolicy:
        """The policy a run's options and target make (what differs from the target's defaults)."""
        defaults = TARGET_DEFAULTS.get(target)
        return cls(
            max_requests=options.max_requests if defaults and options.max_requests != defaults.max_requests else None,
            rate=options.rate if defaults and options.rate != defaults.rate else None,
            deterministic=options.deterministic,
            checks=sorted(options.checks) if options.checks is not None else None,
            severities=dict(options.severities),
            clock_skew_s=options.clock_skew_s if options.clock_skew_s != DEFAULT_CLOCK_SKEW_S else None,
        )

    @property
    def skew(self) -> float:
        """The clock skew the checks allow under this policy."""
        return DEFAULT_CLOCK_SKEW_S if self.clock_skew_s is None else self.clock_skew_s

    def to_json(self) -> dict[str, Any]:
        chosen: dict[str, Any] = {}
        if self.max_requests is not None:
            chosen["max_requests"] = self.max_requests
        if self.rate is not None:
            chosen["rate"] = self.rate
        if self.deterministic:
            chosen["deterministic"] = True
        if self.checks is not None:
            chosen["checks"] = list(self.checks)
        if self.severities:
            chosen["severities"] = dict(self.severities)
        if self.clock_skew_s is not None:
            chosen["clock_skew_s"] = self.clock_skew_s
        if self.rotation is not None:
            chosen["rotation"] = dict(self.rotation)
        return chosen

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> RunPolicy:
        data = data if isinstance(data, Mapping) else {}
        checks, rotation = data.get("checks"), data.get("rotation")
        return cls(max_requests=data.get("max_requests"), rate=data.get("rate"),
                   deterministic=bool(data.get("deterministic")), checks=list(checks) if checks is not None else None,
                   severities=dict(data.get("severities") or {}), clock_skew_s=data.get("clock_skew_s"),
                   rotation=dict(rotation) if rotation is not None else None)  # fmt: skip

    @classmethod
    def of_recording(cls, sidecar: Mapping[str, Any]) -> RunPolicy:
        """The policy of a recording's ``run.json``: its ``policy``, or, in a recording made without one, the
        options it always lists (checks, severities, clock skew)."""
        if isinstance(sidecar.get("policy"), Mapping):
            return cls.from_json(sidecar["policy"])
        skew = sidecar.get("clock_skew_s")
        return cls(checks=sidecar.get("checks"), severities=dict(sidecar.get("severities") or {}),
                   clock_skew_s=None if skew in (None, DEFAULT_CLOCK_SKEW_S) else skew)  # fmt: skip


@dataclass
class RunHeader:
    """What the run is: the first line of its results stream, the head of ``results.json`` and of ``run.json``."""

    run_id: str
    target: str
    base_url: str
    seed: int
    max_examples: int
    started_at: str
    shard: str | None = None
    credential_forms: list[str] = field(default_factory=list)  # the forms the run authenticated with
    check_names: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (severity, description)
    cassette_dir: str | None = None
    time_budget_s: float | None = None  # --max-time, for a time-boxed run
    policy: RunPolicy = field(default_factory=RunPolicy)
    families: dict[str, int | None] | None = None  # cases planned per family (None: no end); absent in older runs

    def to_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "target": self.target, "base_url": self.base_url, "seed": self.seed,
                "max_examples": self.max_examples, "shard": self.shard,
                "credential_forms": list(self.credential_forms), "started_at": self.started_at,
                "check_names": {name: list(value) for name, value in self.check_names.items()},
                "cassette_dir": self.cassette_dir, "time_budget_s": self.time_budget_s,
                "policy": self.policy.to_json(), "families": self.families}  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunHeader:
        return cls(run_id=data["run_id"], target=data["target"], base_url=data["base_url"], seed=data["seed"],
                   max_examples=data["max_examples"], started_at=data["started_at"], shard=data.get("shard"),
                   credential_forms=list(data.get("credential_forms") or []),
                   check_names={name: (value[0], value[1]) for name, value in (data.get("check_names") or {}).items()},
                   cassette_dir=data.get("cassette_dir"), time_budget_s=data.get("time_budget_s"),
                   policy=RunPolicy.from_json(data.get("policy")),
                   families=data.get("families"))  # fmt: skip

    def recording(self, *, deterministic: bool, redact_pii: bool, account_id: str | None) -> dict[str, Any]:
        """What the recording's ``run.json`` says of the run (replay and parity read it), with what only the recorder
        knows: whether it was deterministic and redacted personal data, and the account's placeholder."""
        policy = self.policy
        return {"run_id": self.run_id, "target": self.target, "base_url": self.base_url, "seed": self.seed,
                "max_examples": self.max_examples, "shard": self.shard, "deterministic": deterministic,
                "redact_pii": redact_pii, "checks": policy.checks, "account_id": account_id,
                "credential_forms": list(self.credential_forms), "clock_skew_s": policy.skew,
                "severities": dict(policy.severities), "families": self.families,
                "policy": policy.to_json()}  # fmt: skip


@dataclass
class CaseEntry:
    """One judged case as ``results.json`` lists it (``cases``): what it was, what came back, which checks said what."""

    id: str
    kind: str  # a CaseKind (conformance.kinds)
    auth: str  # an AuthMode
    credentials: str | None
    account: str | None
    method: str
    description: str
    expected_status: int
    status: int | None
    outcome: str  # a CaseOutcome
    reason: str | None = None
    elapsed_ms: float | None = None
    fetched_elapsed_ms: float | None = None
    passed_checks: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    warned_checks: list[str] = field(default_factory=list)
    cassette: str | None = None
    interaction: int | None = None

    @classmethod
    def of(cls, result: CaseResult) -> CaseEntry:
        case, exchange, fetched = result.case, result.exchange, result.fetched
        return cls(
            id=case.id, kind=case.kind, auth=case.auth, credentials=case.credentials, account=case.account,
            method=case.method, description=case.description, expected_status=case.expected_status,
            status=exchange.status if exchange else None, outcome=result.outcome, reason=result.reason or None,
            elapsed_ms=round(exchange.elapsed_ms, 2) if exchange else None,
            fetched_elapsed_ms=round(fetched.elapsed_ms, 2) if fetched is not None and fetched.status is not None
            else None,
            passed_checks=[r.check for r in result.checks if r.outcome == "passed"],
            failed_checks=[r.check for r in result.checks if r.outcome == "failed"],
            warned_checks=[r.check for r in result.checks if r.outcome == "warned"],
            cassette=exchange.cassette if exchange else None, interaction=exchange.interaction if exchange else None,
        )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "auth": self.auth, "credentials": self.credentials,
                "account": self.account, "method": self.method, "description": self.description,
                "expected_status": self.expected_status, "status": self.status, "outcome": self.outcome,
                "reason": self.reason, "elapsed_ms": self.elapsed_ms, "fetched_elapsed_ms": self.fetched_elapsed_ms,
                "passed_checks": list(self.passed_checks), "failed_checks": list(self.failed_checks),
                "warned_checks": list(self.warned_checks), "cassette": self.cassette,
                "interaction": self.interaction}  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CaseEntry:
        return cls(id=data["id"], kind=data["kind"], auth=data["auth"], credentials=data["credentials"],
                   account=data.get("account"), method=data["method"], description=data["description"],
                   expected_status=data["expected_status"], status=data["status"], outcome=data["outcome"],
                   reason=data["reason"], elapsed_ms=data["elapsed_ms"], fetched_elapsed_ms=data["fetched_elapsed_ms"],
                   passed_checks=list(data["passed_checks"]), failed_checks=list(data["failed_checks"]),
                   warned_checks=list(data["warned_checks"]), cassette=data["cassette"],
                   interaction=data["interaction"])  # fmt: skip


@dataclass
class RecordedEntry:
    """One case as the recording's ``run.json`` lists it: enough to rebuild the case (with its recorded request) and
    where its interactions are, so replay and parity judge it again."""

    id: str
    kind: str
    description: str
    expected_status: int
    auth: str
    outcome: str
    constraint: str | None = None
    credentials: str | None = None
    malformed_header: str | None = None  # a malformed case's made-up header (no credential in it): re-sent as it was
    account: str | None = None  # which account, never its secrets; None: the first
    json_payload: bool = True
    cassette: str | None = None
    request: list[int] = field(default_factory=list)  # every attempt of the case's request, in order
    fetch: list[int] = field(default_factory=list)  # every attempt of the read-back GET
    reason: str | None = None
    sent_at: float | None = None  # when the request and its read-back went out and came back (not on a synthetic
    received_at: float | None = None  # clock)
    fetch_received_at: float | None = None

    def to_json(self) -> dict[str, Any]:
        times = {"sent_at": self.sent_at, "received_at": self.received_at, "fetch_received_at": self.fetch_received_at}
        return {
            "id": self.id, "kind": self.kind, "description": self.description, "expected_status": self.expected_status,
            "constraint": self.constraint, "auth": self.auth, "credentials": self.credentials,
            **({"malformed_header": self.malformed_header} if self.malformed_header is not None else {}),
            **({"account": self.account} if self.account is not None else {}),
            "json_payload": self.json_payload, "cassette": self.cassette, "request": list(self.request),
            "fetch": list(self.fetch), "outcome": self.outcome, "reason": self.reason,
            **{key: value for key, value in times.items() if value is not None},
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RecordedEntry:
        """An entry of ``run.json``, checked by the reader first (``conformance.run.replay``)."""
        return cls(id=data["id"], kind=data["kind"], description=data["description"],
                   expected_status=data["expected_status"], auth=data["auth"], outcome=data["outcome"],
                   constraint=data.get("constraint"), credentials=data.get("credentials"),
                   malformed_header=data.get("malformed_header"), account=data.get("account"),
                   json_payload=data["json_payload"], cassette=data.get("cassette"), request=list(data["request"]),
                   fetch=list(data["fetch"]), reason=data.get("reason"), sent_at=data.get("sent_at"),
                   received_at=data.get("received_at"), fetch_received_at=data.get("fetch_received_at"))  # fmt: skip

    def case_fields(self) -> dict[str, Any]:
        """What the entry says of the case itself (the recorded request says what was sent)."""
        return {"id": self.id, "kind": self.kind, "description": self.description,  # the status follows from the kind
                "constraint": self.constraint, "auth": self.auth,
                "credentials": self.credentials, "authorization": self.malformed_header,
                "account": self.account}  # fmt: skip
