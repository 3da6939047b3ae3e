"""`conformance replay`: every check again, over a recorded run's cassettes, with the network off.

``run.json`` names the cases, what each expected and which interactions answered it; the
cassettes (vcrpy YAML, read with vcrpy's own safe loader) hold the exchanges. Each case is
rebuilt from its recorded request and judged by the same code a run uses (``judge/verdicts.py``), in
the recorded order, so run-wide checks (unique ids) see what they saw live. Anything unreadable
is a :class:`ReplayError`: one line naming the file and the interaction.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from conformance.contract.config_files import RUN_RECORD, problem
from conformance.contract.schemas import Contract, load_contract
from conformance.judge.checks import CHECKS, RunState
from conformance.judge.verdicts import CaseResult, judge
from conformance.plan.cases import Case
from conformance.record.cassettes.fastyaml import load_cassette
from conformance.record.cassettes.recording import (
    CASES_FILE,
    CASSETTE_HEAD,
    CASSETTE_SUFFIX,
    SIDECAR,
    SIDECAR_FORMAT,
    listed_cases,
    request_headers,
    response_headers,
)
from conformance.record.results import RunResult
from conformance.record.run_record import RecordedEntry, RunPolicy, now
from conformance.record.stream import ResultsStream, StreamError
from conformance.send.exchange import Exchange


class ReplayError(Exception):
    """A recording that cannot be replayed; the message is one line naming the file (and interaction)."""


class NetworkBlocked(OSError):
    """Replay tried to open a connection."""


@contextlib.contextmanager
def no_network() -> Iterator[None]:
    """Refuse every outgoing connection and name lookup in this process while the block runs."""

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise NetworkBlocked("replay is offline: a network connection was attempted")

    saved = socket.socket.connect, socket.socket.connect_ex, socket.create_connection, socket.getaddrinfo
    socket.socket.connect = socket.socket.connect_ex = refuse  # type: ignore[method-assign]
    socket.create_connection = socket.getaddrinfo = refuse  # type: ignore[assignment]
    try:
        yield
    finally:
        socket.socket.connect, socket.socket.connect_ex, socket.create_connection, socket.getaddrinfo = saved  # type: ignore[method-assign,assignment]


# --- reading ---------------------------------------------------------------------------------------


class Cassettes:
    """The cassettes of one recording, loaded (and validated) on first use."""

    def __init__(self, directory: Path, unfinished: bool = False) -> None:
        self.directory = directory
        self.unfinished = unfinished  # a recording whose run was killed: a cassette may end in a torn interaction
        self._loaded: dict[str, list[dict[str, Any]]] = {}

    def interaction(self, name: str, index: int, where: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(request, response) number ``index`` of cassette ``name``; ``where`` says who asked."""
        interactions = self._loaded.get(name)
        if interactions is None:
            interactions = self._loaded[name] = self._load(name, where)
        if not 0 <= index < len(interactions):
            raise ReplayError(f"{self.directory / name}: interaction {index}: missing, the cassette has "
                              f"{len(interactions)} ({where} points at it)")  # fmt: skip
        interaction = interactions[index]
        return interaction["request"], interaction["response"]

    def _load(self, name: str, where: str) -> list[dict[str, Any]]:
        path = self.directory / name
        if not name.endswith(CASSETTE_SUFFIX) or not path.resolve().is_relative_to(self.directory.resolve()):
            raise ReplayError(f"{self.directory / where}: cassette {name!r} is not a .yaml file "
                              "inside the recording")  # fmt: skip
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise ReplayError(f"{path}: cassette missing ({where} points at it)") from None
        except OSError as exc:
            raise ReplayError(f"{path}: unreadable cassette ({_one_line(exc)})") from None
        try:
            data = load_cassette(raw)  # what vcrpy's own (safe) loader returns, faster
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            torn = raw.rfind(b"\n- request:")
            if not (self.unfinished and raw.startswith(CASSETTE_HEAD.encode()) and torn > 0):
                raise ReplayError(f"{path}: not valid YAML ({_one_line(exc)})") from None
            data = load_cassette(raw[: torn + 1])  # drop the interaction a kill cut short
        if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
            raise ReplayError(f"{path}: not a vcrpy cassette (no 'interactions' list)")
        if data.get("version") != 1:
            raise ReplayError(f"{path}: cassette version {data.get('version')!r}, expected 1")
        for index, interaction in enumerate(data["interactions"]):
            problem = _interaction_problem(interaction)
            if problem:
                raise ReplayError(f"{path}: interaction {index}: {problem}")
        return data["interactions"]


def _interaction_problem(interaction: Any) -> str | None:
    """What is wrong with one recorded interaction, or None; bodies become bytes as vcrpy reads them."""
    if not isinstance(interaction, dict):
        return "not a mapping with 'request' and 'response'"
    request, response = interaction.get("request"), interaction.get("response")
    if not isinstance(request, dict):
        return "'request' is missing or not a mapping"
    if not isinstance(response, dict):
        return "'response' is missing or not a mapping"
    for key in ("method", "uri"):
        if not isinstance(request.get(key), str):
            return f"request.{key} must be a string, got {request.get(key)!r}"
    status = response.get("status")
    if not isinstance(status, dict):
        return f"response.status must be a mapping with an HTTP status code, got {status!r}"
    code = status.get("code")
    if not isinstance(code, int) or isinstance(code, bool) or not 100 <= code <= 599:
        return f"response.status.code must be an HTTP status, got {code!r}"
    for where, headers in (("request", request.get("headers")), ("response", response.get("headers"))):
        if not isinstance(headers, dict) or not all(
            isinstance(v, list) and all(isinstance(i, str) for i in v) for v in headers.values()
        ):
            return f"{where}.headers must map names to lists of strings"
    body = request.get("body")
    if body is not None and not isinstance(body, str | bytes):
        return f"request.body must be a string, got {type(body).__name__}"
    request["body"] = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    response_body = response.get("body")
    string = response_body.get("string") if isinstance(response_body, dict) else None
    if not isinstance(string, str | bytes):
        return "response.body.string must be a string"
    response_body["string"] = string.encode("utf-8") if isinstance(string, str) else string  # type: ignore[index]
    return None


def read_sidecar(directory: Path) -> dict[str, Any]:
    """``run.json``, checked against ``schemas/run-record.schema.json``."""
    path = directory / SIDECAR
    if not directory.is_dir():
        raise ReplayError(f"{directory}: not a folder of cassettes")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReplayError(f"{path}: missing (is {directory} a recording made by `conformance run`?)") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ReplayError(f"{path}: unreadable ({_one_line(exc)})") from None
    if not isinstance(data, dict):
        raise ReplayError(f"{path}: expected a JSON object")
    if data.get("cases_file") == CASES_FILE:  # a recording whose run never finished: the cases listed so far
        try:
            data["cases"] = list(islice(listed_cases(directory / CASES_FILE), _streamed(data)))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ReplayError(f"{directory / CASES_FILE}: unreadable ({_one_line(exc)})") from None
    if data.get("format") != SIDECAR_FORMAT:
        raise ReplayError(f"{path}: format {data.get('format')!r}, expected {SIDECAR_FORMAT}")
    said = problem(data, RUN_RECORD, path)
    if said:
        raise ReplayError(said)
    unknown = sorted({*(data.get("checks") or ()), *(data.get("severities") or {})} - CHECKS.keys())
    if unknown:
        raise ReplayError(f"{path}: unknown check(s) {', '.join(unknown)}")
    for index, case in enumerate(data["cases"]):
        if (case["request"] or case["fetch"]) and case.get("cassette") is None:
            raise ReplayError(f"{path}: cases[{index}] ({case['id']}): lists interactions but names no cassette")
    return data


def _streamed(sidecar: dict[str, Any]) -> int | None:
    """How many cases the unfinished run's results stream holds (the recording may list one more: a kill between
    the two), or None when that stream is not there or is another run's."""
    location = sidecar.get("results_stream")
    if not isinstance(location, str) or not Path(location).is_file():
        return None
    try:
        stream = ResultsStream(Path(location))
        if stream.header.get("run_id") != sidecar.get("run_id"):
            return None
        return sum(1 for _ in stream.records())
    except StreamError:
        return None


# --- the recording as cases ------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedCase:
    """One case of a recording: rebuilt from ``run.json`` and its recorded request, with what answered it."""

    entry: RecordedEntry  # its run.json entry
    where: str  # "run.json cases[3] (valid/0001)": who points at the interactions, for messages
    case: Case
    exchange: Exchange | None = None  # the judged answer (the last attempt); None when it was never sent
    fetched: Exchange | None = None  # the read-back (its last attempt), when there was one
    request: dict[str, Any] | None = None  # the recorded request and read-back as vcrpy reads them
    fetch_request: dict[str, Any] | None = None


class Recording:
    """A recording (``run.json`` and its cassettes) read case by case; the source replay and parity share."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.meta = read_sidecar(directory)
        self.cassettes = Cassettes(directory, unfinished="cases_file" in self.meta)

    def cases(self) -> Iterator[RecordedCase]:
        """Every case in the recorded order; raises :class:`ReplayError` for an interaction it cannot read."""
        for index, entry in enumerate(self.meta["cases"]):
            yield self._case(RecordedEntry.from_json(entry), f"run.json cases[{index}] ({entry['id']})")

    def _case(self, entry: RecordedEntry, where: str) -> RecordedCase:
        if entry.outcome == "not_run" or not entry.request or entry.cassette is None:
            return RecordedCase(entry, where, rebuild_case(entry, None, where, entry.cassette or "", 0))
        name, attempts = entry.cassette, entry.request
        request, response = self.cassettes.interaction(name, attempts[-1], where)
        case = rebuild_case(entry, request, where, str(self.directory / name), attempts[-1])
        exchange = _exchange(request, response, case.auth, len(attempts), name, attempts[-1])
        exchange.credentials, exchange.account = case.credentials, case.account
        exchange.sent_at, exchange.received_at = entry.sent_at, entry.received_at
        fetched, fetch_request = None, None
        if entry.fetch:
            index = entry.fetch[-1]
            fetch_request, fetch_response = self.cassettes.interaction(name, index, where)
            fetched = _exchange(fetch_request, fetch_response, "valid", len(entry.fetch), name, index)
            fetched.credentials, fetched.received_at = case.credentials, entry.fetch_received_at
            fetched.account = case.account
        return RecordedCase(entry, where, case, exchange, fetched, request, fetch_request)


# --- judging -------------------------------------------------------------------------------------


def replay(directory: Path, contract: Contract | None = None) -> RunResult:
    """Judge every recorded case again; raises :class:`ReplayError` for input it cannot read."""
    recording = Recording(directory)
    meta = recording.meta
    contract = contract or load_contract()
    policy = RunPolicy.of_recording(meta)
    allowed = frozenset(policy.checks) if policy.checks is not None else None
    started = time.monotonic()
    severities = policy.severities
    names = {c.name: (severities.get(c.name, c.severity), c.description) for c in CHECKS.values()
             if allowed is None or c.name in allowed}  # fmt: skip
    result = RunResult(
        run_id=meta["run_id"],
        target=f"replay:{meta['target']}",
        base_url=meta["base_url"],
        seed=meta["seed"],
        max_examples=meta["max_examples"],
        started_at=now(),
        interrupted=meta["interrupted"] or "cases_file" in meta,  # a recording its run never finished
        shard=meta.get("shard"),
        check_names=names,
        cassette_dir=str(directory),
        credential_forms=list(meta.get("credential_forms") or []),
        families=dict(meta.get("families") or {}),
        policy=policy,
    )  # fmt: skip
    state = RunState(contract, meta.get("account_id"), severities=dict(severities), clock_skew_s=policy.skew)
    for recorded in recording.cases():
        result.requests += len(recorded.entry.request) + len(recorded.entry.fetch)
        result.add(judge_recorded(recorded, state, allowed), contract)
    result.finished_at = now()
    result.duration_s = time.monotonic() - started
    return result


def judge_recorded(recorded: RecordedCase, state: RunState, allowed: frozenset[str] | None = None) -> CaseResult:
    """The verdict on a recorded case, as the run that recorded it reached it (``not_run`` stays unsent)."""
    entry = recorded.entry
    if recorded.exchange is None:
        return CaseResult(recorded.case, "not_run" if entry.outcome == "not_run" else "inconclusive",
                          reason=entry.reason or "")  # fmt: skip
    return judge(recorded.case, recorded.exchange, recorded.fetched, state, allowed)


def rebuild_case(entry: RecordedEntry, request: dict[str, Any] | None, where: str, cassette: str,
                 index: int) -> Case:  # fmt: skip
    """The case a ``run.json`` entry and its recorded request describe (the request says what was sent)."""
    fixed = entry.case_fields()
    if request is None:
        return Case(**fixed)
    body: bytes = request["body"]
    content_type = next((v[0] for k, v in request["headers"].items() if k.lower() == "content-type" and v), None)
    path = urlsplit(request["uri"]).path
    if not entry.json_payload:
        return Case(**fixed, raw_body=body, content_type=content_type, method=request["method"], path=path)
    try:
        payload = json.loads(body)
    except ValueError:
        raise ReplayError(f"{cassette}: interaction {index}: request body is not the JSON object {where} says "
                          "was sent") from None  # fmt: skip
    return Case(**fixed, payload=payload, content_type=content_type, method=request["method"], path=path)


def _exchange(request: dict[str, Any], response: dict[str, Any], auth: str, attempts: int, cassette: str,
              index: int) -> Exchange:  # fmt: skip
    return Exchange(request["method"], request["uri"], request_headers(request), request["body"], auth,
                    status=response["status"]["code"], response_headers=response_headers(response),
                    response_body=response["body"]["string"], attempts=attempts, cassette=cassette,
                    interaction=index)  # fmt: skip


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
