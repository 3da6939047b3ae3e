"""Recording a run: every HTTP exchange, redacted, as vcrpy cassettes, plus ``run.json`` for replay.

The client hands every answered attempt (retries and read-backs included) to :meth:`Recorder.observe`
as the ``httpx.Response`` it got; the recorder redacts it into the request and response shapes vcrpy's
own httpx stub records, and files it in the cassette of the case's family (the case id up to its last
``/``: ``invalid/participants.maxItems``, ``unknown_configuration``). At the end of the run every
cassette becomes vcrpy ``Request`` objects and response dicts written with vcrpy's serializer through a
temp file and a rename, then ``run.json`` (what a cassette cannot hold: the cases, what they expected,
and which interactions answered them). vcrpy is imported only then: its import pulls in every HTTP
library it can patch, which a run need not wait for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from conformance import __version__
from conformance.cases import Case
from conformance.cassettes.redaction import Redactor
from conformance.exchange import Exchange
from conformance.results import CaseResult, RunResult, write_atomic

if TYPE_CHECKING:
    from conformance.runner import RunOptions
    from conformance.targets import Target

SIDECAR = "run.json"
SIDECAR_FORMAT = 1
CASSETTE_SUFFIX = ".yaml"
AUTOMATIC_HEADERS = frozenset({"host", "accept", "accept-encoding", "connection", "user-agent", "content-length"})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def family(case_id: str) -> str:
    """A case's family: its id up to the last ``/`` (``invalid/name.type/2`` -> ``invalid/name.type``)."""
    return case_id.rpartition("/")[0] or case_id


def cassette_name(family: str) -> str:
    """The cassette file (relative to the cassette folder) for a family, safe as a path."""
    parts = [_UNSAFE.sub("_", part).strip(".") or "_" for part in family.split("/")]
    return "/".join(parts) + CASSETTE_SUFFIX


@dataclass
class CaseRecord:
    """Where one case's exchanges went: its cassette and the interactions of each attempt."""

    cassette: str
    request: list[int] = field(default_factory=list)  # every attempt of the case's request, in order
    fetch: list[int] = field(default_factory=list)  # every attempt of the read-back GET


class Recorder:
    """Collects a run's interactions per cassette and writes them, redacted, into ``directory``."""

    @classmethod
    def for_run(cls, directory: Path, target: Target, options: RunOptions, run_id: str, *, pii: bool,
                deterministic: bool, environ: Mapping[str, str] | None = None) -> Recorder:  # fmt: skip
        """The recorder of one run: its redactor, and the metadata ``run.json`` keeps for replay."""
        redactor = Redactor.for_target(target, pii=pii, deterministic=deterministic, environ=environ)
        shard = f"{options.shard[0]}/{options.shard[1]}" if options.shard else None
        return cls(directory, redactor, {
            "run_id": run_id, "target": target.name, "base_url": redactor.text(target.base_url), "seed": options.seed,
            "max_examples": options.max_examples, "shard": shard, "deterministic": deterministic, "redact_pii": pii,
            "checks": sorted(options.checks) if options.checks is not None else None,
            "account_id": redactor.placeholder(target.account_sid),
            "credential_forms": list(target.forms), "clock_skew_s": options.clock_skew_s,
            "severities": dict(options.severities),
        })  # fmt: skip

    def __init__(self, directory: Path, redactor: Redactor, metadata: Mapping[str, Any] | None = None) -> None:
        self.directory = directory
        self.redactor = redactor
        self.metadata = dict(metadata or {})
        self.cassettes: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}  # vcrpy's dict shapes
        self._files: dict[str, str] = {}  # family -> its cassette file
        self._records: dict[str, CaseRecord] = {}
        self._current: CaseRecord | None = None
        self._attempts: list[int] | None = None

    @property
    def interactions(self) -> int:
        return sum(map(len, self.cassettes.values()))

    # --- during the run (called by the runner and the client) ---

    def begin(self, case: Case) -> None:
        """The next requests belong to ``case``."""
        record = self._records[case.id] = CaseRecord(self._file(family(case.id)))
        self._current, self._attempts = record, record.request
        self.redactor.generated(case.payload)  # synthetic: written verbatim, so the failure can be re-sent

    def begin_fetch(self) -> None:
        """The next requests are the current case's read-back."""
        if self._current is not None:
            self._attempts = self._current.fetch

    def observe(self, response: httpx.Response) -> None:
        """One answered attempt, as the client got it."""
        name = self._current.cassette if self._current else self._file("unassigned")
        interactions = self.cassettes.setdefault(name, [])
        interactions.append((self._request(response.request), self._response(response)))
        if self._attempts is not None:
            self._attempts.append(len(interactions) - 1)

    def end(self, result: CaseResult) -> CaseResult:
        """The case's result as reports may show it: redacted, pointing at its cassette and interactions."""
        record = self._records.get(result.case.id) or CaseRecord("")
        self._current = self._attempts = None
        message = self.redactor.message
        return replace(
            result,
            exchange=self._exchange(result.exchange, record.cassette, record.request),
            fetched=self._exchange(result.fetched, record.cassette, record.fetch),
            checks=[replace(check, message=message(check.message)) for check in result.checks],
            reason=message(result.reason),
        )

    # --- at the end ---

    def save(self, result: RunResult) -> Path:
        """Write every cassette, then ``run.json``; each atomically. Returns the folder."""
        from vcr.request import Request
        from vcr.serialize import serialize
        from vcr.serializers import yamlserializer

        stale = _listed_cassettes(self.directory / SIDECAR) - set(self.cassettes)
        for name, interactions in self.cassettes.items():
            cassette = {
                "requests": [Request(**request) for request, _ in interactions],
                "responses": [{**response, "body": dict(response["body"])} for _, response in interactions],
            }
            write_atomic(self.directory / name, serialize(cassette, yamlserializer))
        sidecar = {
            "format": SIDECAR_FORMAT,
            "tool": {"name": "conformance", "version": __version__},
            **self.metadata,
            "interrupted": result.interrupted,
            "cassettes": sorted(self.cassettes),
            "cases": [self._case(case) for case in result.cases],
        }
        write_atomic(self.directory / SIDECAR, json.dumps(sidecar, indent=2, ensure_ascii=False) + "\n")
        for name in stale:  # a previous recording into the same folder: drop what this one did not write
            path = self.directory / name
            if path.resolve().is_relative_to(self.directory.resolve()):
                path.unlink(missing_ok=True)
        return self.directory

    def _case(self, result: CaseResult) -> dict[str, Any]:
        case, record = result.case, self._records.get(result.case.id)
        return {
            "id": case.id,
            "kind": case.kind,
            "description": case.description,
            "expected_status": case.expected_status,
            "constraint": case.constraint,
            "auth": case.auth,
            "credentials": case.credentials,
            "json_payload": case.is_json_payload,
            "cassette": record.cassette if record and (record.request or record.fetch) else None,
            "request": record.request if record else [],
            "fetch": record.fetch if record else [],
            "outcome": result.outcome,
            "reason": result.reason or None,
            # When the request and its read-back went out and came back (absent on a synthetic clock).
            **{key: value for key, value in _times(result).items() if value is not None},
        }

    # --- building interactions ---

    def _file(self, name: str) -> str:
        """The family's cassette; ``-2``, ``-3``... when another family's name sanitised to the same file."""
        if name not in self._files:
            taken, stem = set(self._files.values()), cassette_name(name)[: -len(CASSETTE_SUFFIX)]
            candidate, n = stem + CASSETTE_SUFFIX, 1
            while candidate in taken:
                n += 1
                candidate = f"{stem}-{n}{CASSETTE_SUFFIX}"
            self._files[name] = candidate
        return self._files[name]

    def _request(self, request: httpx.Request) -> dict[str, Any]:
        redact = self.redactor
        body = redact.body(request.content)
        headers = {name: [value] for name, value in redact.headers(request.headers.items())}
        if len(body) != len(request.content) and "content-length" in headers:
            headers["content-length"] = [str(len(body))]
        return {"method": request.method, "uri": redact.text(str(request.url)), "body": body, "headers": headers}

    def _response(self, response: httpx.Response) -> dict[str, Any]:
        redact = self.redactor
        body = redact.body(response.content, error=response.status_code >= 400)
        headers: dict[str, list[str]] = {}
        for name, value in redact.headers(response.headers.multi_items()):
            headers.setdefault(name, []).append(value)
        if headers.pop("content-encoding", None) is not None or len(body) != len(response.content):
            headers["content-length"] = [str(len(body))]  # the body is stored decoded (and maybe rewritten)
        return {
            "status": {"code": response.status_code, "message": response.reason_phrase},
            "headers": headers,
            "body": {"string": body},
        }

    def _exchange(self, exchange: Exchange | None, cassette: str, attempts: list[int]) -> Exchange | None:
        if exchange is None:
            return None
        redact = self.redactor
        error = redact.message(exchange.error) if exchange.error else None
        if exchange.status is None or not attempts:
            headers = {name: redact.text(value) for name, value in exchange.request_headers.items()}
            return replace(exchange, url=redact.text(exchange.url), request_headers=headers,
                           request_body=redact.body(exchange.request_body), error=error)  # fmt: skip
        request, response = self.cassettes[cassette][attempts[-1]]
        return replace(exchange, url=request["uri"], request_headers=request_headers(request),
                       request_body=request["body"], response_headers=response_headers(response),
                       response_body=response["body"]["string"], error=error, cassette=cassette,
                       interaction=attempts[-1])  # fmt: skip


def _times(result: CaseResult) -> dict[str, float | None]:
    exchange, fetched = result.exchange, result.fetched
    return {
        "sent_at": exchange.sent_at if exchange else None,
        "received_at": exchange.received_at if exchange else None,
        "fetch_received_at": fetched.received_at if fetched else None,
    }


def request_headers(request: Mapping[str, Any]) -> dict[str, str]:
    """A recorded request's headers as an :class:`Exchange` holds them: the ones the case chose, not httpx's."""
    return {name: values[0] for name, values in request["headers"].items()
            if values and name.lower() not in AUTOMATIC_HEADERS}  # fmt: skip


def response_headers(response: Mapping[str, Any]) -> dict[str, str]:
    """A recorded response's headers as an :class:`Exchange` holds them (lower-case, repeats joined)."""
    return {str(name).lower(): ", ".join(map(str, values)) for name, values in response["headers"].items()}


def _listed_cassettes(sidecar: Path) -> set[str]:
    """The cassettes a previous ``run.json`` in the same folder listed (none when there is none)."""
    try:
        listed = json.loads(sidecar.read_text(encoding="utf-8")).get("cassettes", [])
    except (OSError, ValueError, AttributeError):
        return set()
    if not isinstance(listed, list):
        return set()
    return {name for name in listed if isinstance(name, str) and name.endswith(CASSETTE_SUFFIX)}
