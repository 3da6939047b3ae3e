"""Recording a run: every HTTP exchange, redacted, as vcrpy cassettes, plus ``run.json`` for replay.

Each judged case comes to :meth:`Recorder.file` once, carrying every answered attempt the client made
(retries and the read-back included, each with every header that went on the wire); the recorder redacts
them into the request and response shapes vcrpy records, and files them in the cassette of the case's
family (the case id up to its last ``/``: ``invalid/participants.maxItems``, ``unknown_configuration``).

Nothing is held until the end: when a case is done its interactions are appended to their cassette
(YAML that vcrpy's loader reads, ``version`` first so items can be appended), then its ``run.json``
entry to ``cases.jsonl``. ``run.json`` is written at the start naming that file and saying
"interrupted"; a finished run rewrites it with the cases inline (the format replay always read) and
drops ``cases.jsonl``. A run killed half way leaves a recording replay still reads: every case listed
has its interactions on disk, and a torn last interaction belongs to no listed case.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from conformance import __version__
from conformance.judge.verdicts import CaseResult, CheckResult
from conformance.kinds import family_of
from conformance.record.atomic import atomic_file, write_atomic
from conformance.record.cassettes.emitter import dump_interactions
from conformance.record.cassettes.redaction import Redactor
from conformance.record.jsonlines import dumps_line, indented_list, loads_line
from conformance.record.results import RunResult
from conformance.record.run_record import RecordedEntry, RunHeader
from conformance.send.exchange import Attempt, Exchange

try:
    import resource
except ImportError:  # pragma: no cover - not on Windows
    resource = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from conformance.send.targets import Target

SIDECAR = "run.json"
SIDECAR_FORMAT = 1
CASES_FILE = "cases.jsonl"  # a recording's run.json entries while it is being made
CASSETTE_SUFFIX = ".yaml"


# Cassettes (and cases.jsonl) kept open at once: the interleaved families cycle through all of them (about 60),
# so fewer would close one per case again; a quarter of the process's file limit at most.
def _open_files() -> int:
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0] if resource else 256
    return 256 if soft == getattr(resource, "RLIM_INFINITY", -1) else max(8, min(256, soft // 4))


OPEN_FILES = _open_files()
HEAD_CHARS = 1 << 20  # how much of a previous run.json is read for its list of cassettes
_CASES_KEY = '\n  "cases": ['  # where run.json's metadata ends (written with indent=2, the cases last)
CASSETTE_HEAD = "version: 1\ninteractions:\n"  # vcrpy's cassette, with the list last so it can grow
AUTOMATIC_HEADERS = frozenset({"host", "accept", "accept-encoding", "connection", "user-agent", "content-length"})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


family = family_of  # cassettes are filed by case family


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


def _redacted_check(check: CheckResult, message: Callable[[str], str]) -> CheckResult:
    """``check`` with its message redacted; the same object when redaction changes nothing (most checks pass with
    no message, and a copy per check was a tenth of filing's cost)."""
    text = message(check.message)
    return check if text == check.message else replace(check, message=text)


class Recorder:
    """Collects a run's interactions per cassette and writes them, redacted, into ``directory``."""

    @classmethod
    def for_run(cls, directory: Path, target: Target, *, pii: bool, deterministic: bool,
                environ: Mapping[str, str] | None = None) -> Recorder:  # fmt: skip
        """The recorder of one run: its redactor; what ``run.json`` says of the run comes with :meth:`describe`."""
        redactor = Redactor.for_target(target, pii=pii, deterministic=deterministic, environ=environ)
        recorder = cls(directory, redactor)
        recorder.facts = {"deterministic": deterministic, "redact_pii": pii,
                          "account_id": redactor.placeholder(target.account_sid)}  # fmt: skip
        return recorder

    def describe(self, header: RunHeader) -> None:
        """What ``run.json`` says of the run, for replay and parity: the run's (redacted) header, with the recorder's
        own facts."""
        facts = self.facts or {"deterministic": header.policy.deterministic, "redact_pii": False, "account_id": None}
        self.metadata = header.recording(**facts)

    def __init__(self, directory: Path, redactor: Redactor, metadata: Mapping[str, Any] | None = None) -> None:
        self.directory = directory
        self.redactor = redactor
        self.metadata = dict(metadata or {})
        self.facts: dict[str, Any] = {}  # what only the recorder knows of the run (see :meth:`describe`)
        self.unfinished: dict[str, Any] = {}  # what run.json says only until the run finishes
        self.counts: dict[str, int] = {}  # cassette -> interactions written to it
        self._files: dict[str, str] = {}  # family -> its cassette file
        self._records: dict[str, CaseRecord] = {}  # the cases filed and not yet listed
        self._started = False
        self._written: set[str] = set()
        self._open: OrderedDict[str, IO[str]] = OrderedDict()  # files of the recording kept open, oldest first
        self._listed: list[str] = []  # cases.jsonl lines of the cases filed since the last flush

    @property
    def interactions(self) -> int:
        return sum(self.counts.values())

    def file(self, result: CaseResult) -> CaseResult:
        """File a judged case's attempts in its family's cassette, on disk at once (so a run killed later still
        has them); returns the result as outputs may show it: redacted, pointing at its interactions."""
        self.redactor.generated(result.case.payload)  # synthetic: written verbatim, so the failure can be re-sent
        record = self._records[result.case.id] = CaseRecord(self._file(family(result.case.id)))
        filed: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for exchange, indices in ((result.exchange, record.request), (result.fetched, record.fetch)):
            for attempt in exchange.tries if exchange is not None else ():
                indices.append(self.counts.get(record.cassette, 0) + len(filed))
                filed.append((self._request(attempt), self._response(attempt)))
        message = self.redactor.message
        redacted = replace(
            result,
            exchange=self._exchange(result.exchange, record, record.request, filed),
            fetched=self._exchange(result.fetched, record, record.fetch, filed),
            checks=[_redacted_check(check, message) for check in result.checks],
            reason=message(result.reason),
        )
        self._append(record.cassette, filed)
        return redacted

    def redacted(self, result: CaseResult) -> CaseResult:
        """A judged case as outputs may show it, redacted like every filed one, but not filed: a reduced example
        (``conformance.run.shrinking``) is no case of the plan, and a replay never meets it."""
        self.redactor.generated(result.case.payload)
        message = self.redactor.message
        return replace(result, exchange=self._unfiled(result.exchange), fetched=self._unfiled(result.fetched),
                       checks=[_redacted_check(check, message) for check in result.checks],
                       reason=message(result.reason))  # fmt: skip

    def _unfiled(self, exchange: Exchange | None) -> Exchange | None:
        if exchange is None or exchange.status is None or not exchange.tries:
            return self._exchange(exchange, CaseRecord(""), [], [])
        request, response = self._request(exchange.tries[-1]), self._response(exchange.tries[-1])
        error = self.redactor.message(exchange.error) if exchange.error else None
        return replace(exchange, url=request["uri"], request_headers=request_headers(request),
                       request_body=request["body"], response_headers=response_headers(response),
                       response_body=response["body"]["string"], error=error, cassette=None, interaction=None,
                       tries=[])  # fmt: skip

    # --- the sink: what run.json lists ---

    def record(self, result: CaseResult) -> None:
        """List a judged case, as replay will read it: written with the next :meth:`flush`, after its interactions."""
        self._start()
        self._listed.append(dumps_line(self._case(result)) + "\n")

    def flush(self) -> None:
        """What was filed, handed to the kernel (a kill loses nothing of it) in the order a reader of a killed run
        relies on: the cassettes first, then the entries that list their cases."""
        for name, handle in self._open.items():
            if name != CASES_FILE:
                handle.flush()
        if self._listed:
            self._write(CASES_FILE, "".join(self._listed))
            self._listed.clear()
            self._open[CASES_FILE].flush()

    def finish(self, interrupted: bool) -> Path:
        """``run.json`` with every case inline (read back from ``cases.jsonl``, then dropped). Returns the folder."""
        self._start()
        self.flush()
        self._close_files()
        cases = self.directory / CASES_FILE
        sidecar = self._sidecar(interrupted)
        text = json.dumps({**sidecar, "cases": []}, indent=2, ensure_ascii=False)
        with atomic_file(self.directory / SIDECAR) as handle:
            handle.write(text[: text.rindex("[]")])
            handle.writelines(indented_list(listed_cases(cases)))
            handle.write(text[text.rindex("[]") + 2 :] + "\n")
        cases.unlink(missing_ok=True)
        return self.directory

    def save(self, result: RunResult) -> Path:
        """List every case of an in-memory result and finish (for callers that did not stream)."""
        for case in result.cases:
            self.record(case)
        return self.finish(result.interrupted)

    def _start(self) -> None:
        """A recording that says "interrupted" until :meth:`finish`; a previous one in the folder is cleared."""
        if self._started:
            return
        self._started = True
        for name in _listed_cassettes(self.directory / SIDECAR) | {CASES_FILE}:
            path = self.directory / name
            if path.resolve().is_relative_to(self.directory.resolve()):
                path.unlink(missing_ok=True)
        sidecar = {**self._sidecar(True), **self.unfinished, "cases": [], "cases_file": CASES_FILE}
        write_atomic(self.directory / SIDECAR, json.dumps(sidecar, indent=2, ensure_ascii=False) + "\n")

    def _sidecar(self, interrupted: bool) -> dict[str, Any]:
        return {"format": SIDECAR_FORMAT, "tool": {"name": "conformance", "version": __version__}, **self.metadata,
                "interrupted": interrupted, "cassettes": sorted(self.counts)}  # fmt: skip

    def _append(self, name: str, filed: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
        """Append one case's interactions to its cassette (the file is replaced the first time this run uses it:
        one of that name may be left by an earlier, killed run)."""
        if not filed:
            return
        self._start()
        fresh = name not in self._written
        if fresh:  # a path is built only here: building one per case was 15 us a request
            (self.directory / name).parent.mkdir(parents=True, exist_ok=True)
            self._written.add(name)
        text = dump_interactions([_interaction(request, response) for request, response in filed])
        self._write(name, (CASSETTE_HEAD if fresh else "") + text, fresh)
        self.counts[name] = self.counts.get(name, 0) + len(filed)

    def _write(self, name: str, text: str, fresh: bool = False) -> None:
        """Append ``text`` to a file of the recording (:meth:`flush` hands it to the kernel). The files stay open
        between cases (opening one per case was a sixth of a run's own work); the least recently used is closed
        past ``OPEN_FILES`` (which flushes it: cassettes may reach the disk early, never the list of cases)."""
        handle = self._open.pop(name, None)  # never open yet when ``fresh``: that is its first write this run
        if handle is None:
            handle = (self.directory / name).open("w" if fresh else "a", encoding="utf-8")
            if len(self._open) >= OPEN_FILES:
                self._open.popitem(last=False)[1].close()
        self._open[name] = handle
        handle.write(text)

    def _close_files(self) -> None:
        while self._open:
            self._open.popitem()[1].close()

    def _case(self, result: CaseResult) -> dict[str, Any]:
        case, record = result.case, self._records.pop(result.case.id, None)
        exchange, fetched = result.exchange, result.fetched
        return RecordedEntry(
            id=case.id, kind=case.kind, description=case.description, expected_status=case.expected_status,
            constraint=case.constraint, auth=case.auth, credentials=case.credentials,
            malformed_header=case.authorization, account=case.account, json_payload=case.is_json_payload,
            cassette=record.cassette if record and (record.request or record.fetch) else None,
            request=record.request if record else [], fetch=record.fetch if record else [],
            outcome=result.outcome, reason=result.reason or None,
            sent_at=exchange.sent_at if exchange else None, received_at=exchange.received_at if exchange else None,
            fetch_received_at=fetched.received_at if fetched else None,
        ).to_json()  # fmt: skip

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

    def _request(self, attempt: Attempt) -> dict[str, Any]:
        redact = self.redactor
        body = redact.body(attempt.request_body)
        headers = {name: [value] for name, value in redact.headers(attempt.request_headers)}
        if len(body) != len(attempt.request_body) and "content-length" in headers:
            headers["content-length"] = [str(len(body))]
        return {"method": attempt.method, "uri": redact.text(attempt.url), "body": body, "headers": headers}

    def _response(self, attempt: Attempt) -> dict[str, Any]:
        redact = self.redactor
        body = redact.body(attempt.response_body, error=attempt.status >= 400)
        headers: dict[str, list[str]] = {}
        for name, value in redact.headers(attempt.response_headers):
            headers.setdefault(name.lower(), []).append(value)
        if len(body) != len(attempt.response_body) and "content-length" in headers:
            headers["content-length"] = [str(len(body))]  # the body was rewritten by redaction
        return {"status": {"code": attempt.status, "message": attempt.reason}, "headers": headers,
                "body": {"string": body}}  # fmt: skip

    def _exchange(self, exchange: Exchange | None, record: CaseRecord, indices: list[int],
                  filed: list[tuple[dict[str, Any], dict[str, Any]]]) -> Exchange | None:  # fmt: skip
        if exchange is None:
            return None
        redact = self.redactor
        error = redact.message(exchange.error) if exchange.error else None
        if exchange.status is None or not indices:
            headers = {name: redact.text(value) for name, value in exchange.request_headers.items()}
            return replace(exchange, url=redact.text(exchange.url), request_headers=headers,
                           request_body=redact.body(exchange.request_body), error=error, tries=[])  # fmt: skip
        request, response = filed[indices[-1] - self.counts.get(record.cassette, 0)]
        return replace(exchange, url=request["uri"], request_headers=request_headers(request),
                       request_body=request["body"], response_headers=response_headers(response),
                       response_body=response["body"]["string"], error=error, cassette=record.cassette,
                       interaction=indices[-1], tries=[])  # fmt: skip


def _interaction(request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    """One interaction as vcrpy's serializer writes it: bodies as text where they are UTF-8."""
    body = {**response["body"], "string": _text(response["body"]["string"])}
    return {"request": {**request, "body": _text(request["body"])}, "response": {**response, "body": body}}


def _text(body: bytes | str | None) -> bytes | str | None:
    if isinstance(body, bytes):
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            return body  # written as !!binary, as vcrpy does
    return body


def listed_cases(path: Path) -> Iterator[dict[str, Any]]:
    """The entries of a ``cases.jsonl``; a last line torn by a kill is left out (its case was not finished)."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return
    with handle:
        lines = iter(handle)
        pending = next(lines, None)
        for line in lines:
            yield loads_line(pending)  # type: ignore[arg-type]
            pending = line
        if pending is not None:
            try:
                yield loads_line(pending)
            except (ValueError, UnicodeDecodeError):
                return


def request_headers(request: Mapping[str, Any]) -> dict[str, str]:
    """A recorded request's headers as an :class:`Exchange` holds them: the ones the case chose, not the transport's."""
    return {name: values[0] for name, values in request["headers"].items()
            if values and name.lower() not in AUTOMATIC_HEADERS}  # fmt: skip


def response_headers(response: Mapping[str, Any]) -> dict[str, str]:
    """A recorded response's headers as an :class:`Exchange` holds them (lower-case, repeats joined)."""
    return {str(name).lower(): ", ".join(map(str, values)) for name, values in response["headers"].items()}


def _listed_cassettes(sidecar: Path) -> set[str]:
    """The cassettes a previous ``run.json`` in the same folder listed (none when there is none).

    A finished run's ``run.json`` lists every case after its metadata; only the head is parsed when the cases
    start within its first MiB (they do: the metadata is small), so replacing a long run costs no more."""
    try:
        with sidecar.open("r", encoding="utf-8", errors="replace") as handle:
            head = handle.read(HEAD_CHARS)
            start = head.find(_CASES_KEY)
            text = head[:start].rstrip().rstrip(",") + "\n}" if start > 0 else head + handle.read()
        listed = json.loads(text).get("cassettes", [])
    except (OSError, ValueError, AttributeError):
        return set()
    if not isinstance(listed, list):
        return set()
    return {name for name in listed if isinstance(name, str) and name.endswith(CASSETTE_SUFFIX)}
