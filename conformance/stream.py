"""The results stream: one JSON line per judged case, appended as the run goes, and the documents built from it.

``results.jsonl`` starts with a header line (what the run is), gets one line per case as soon as the case
is judged (everything ``results.json`` needs from it), and ends with an end line when the run finishes.
A run killed half way leaves a stream without an end line, and perhaps a torn last line: both are read
as "interrupted", the torn line dropped. ``results.json`` is built from the stream by :class:`Tally`,
which holds the totals, never the cases: the cases are read from the file again while it is written.

This module imports neither generation nor the checks, so report commands can use it.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from conformance import __version__
from conformance.coverage import Coverage, summary, verdict
from conformance.drift import DRIFT_CHECKS

RESULTS_FORMAT = 1
STREAM_FILE = "results.jsonl"
STREAM_KIND = "conformance-results"
Secrets = tuple[str, ...] | Callable[[str], str]  # values to blank out, or a redactor
_LONG_NUMBER = re.compile(rb"[0-9]{19}")  # may not fit 64 bits, where orjson would read a float: json reads it
TAIL_BYTES = 1 << 16  # how far from the end a stream's end line is looked for


def loads_line(raw: bytes) -> Any:
    """One JSON line, as ``json.loads`` reads it, about three times faster (orjson, where it reads the same:
    not for numbers past 64 bits, ``NaN`` or lone surrogates, which the standard parser takes)."""
    if _LONG_NUMBER.search(raw) is None:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(raw)


def dumps_line(value: Any) -> str:
    """One compact JSON line (orjson; the standard encoder for what orjson refuses, such as huge integers)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class StreamError(Exception):
    """A results stream that cannot be read; the message names the file and line."""


# --- writing ---------------------------------------------------------------------------------------


class ResultsWriter:
    """Appends a run's stream: the header at once, a line per case as it is judged, the end line last."""

    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file: IO[str] = path.open("w", encoding="utf-8")
        self._write({"stream": STREAM_KIND, "format": RESULTS_FORMAT, "header": header})

    def case(self, record: dict[str, Any]) -> None:
        self._write({"case": record})

    def end(self, end: dict[str, Any]) -> None:
        self._write({"end": end})
        self.close()

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    def _write(self, line: dict[str, Any]) -> None:
        # One write and a flush per line: the kernel has it when the case is done, so a SIGKILL loses at
        # most the line being written (read back as torn and dropped).
        self._file.write(dumps_line(line) + "\n")
        self._file.flush()


# --- reading ---------------------------------------------------------------------------------------


class ResultsStream:
    """A ``results.jsonl`` read back: its header, its case records (read from disk on each pass), its end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.end: dict[str, Any] | None = None
        lines = self._lines()
        try:
            first = next(lines)
        except StopIteration:
            raise StreamError(f"{path}: empty (the run was stopped before its first line)") from None
        if first.get("stream") != STREAM_KIND or first.get("format") != RESULTS_FORMAT:
            raise StreamError(f"{path}: not a results stream of format {RESULTS_FORMAT}")
        self.header: dict[str, Any] = first["header"]
        lines.close()
        self._find_end()

    def _find_end(self) -> None:
        """The end line, read from the file's tail (absent, or torn, when the run was killed)."""
        with self.path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - TAIL_BYTES))
            tail = handle.read().rstrip(b"\n").rpartition(b"\n")[2]
        if not tail.startswith(b'{"end"'):
            if size > TAIL_BYTES and b"\n" not in tail:  # a last line longer than the tail: read it all
                for _line in self._lines():
                    pass
            return
        try:
            line = loads_line(tail)
        except ValueError:
            return
        if isinstance(line, dict):
            self._seen(line)

    def records(self, unless: bytes | None = None) -> Iterator[dict[str, Any]]:
        """The case records, in order; lines containing the bytes ``unless`` are skipped unparsed (a view that
        wants only failing cases skips ``"failures":[]``: in compact JSON those bytes are never inside a string)."""
        for line in self._lines(unless):
            if "case" in line:
                yield line["case"]

    def _lines(self, unless: bytes | None = None) -> Iterator[dict[str, Any]]:
        try:
            handle = self.path.open("rb")
        except OSError as exc:
            raise StreamError(f"{self.path}: unreadable ({exc.strerror or exc})") from None
        with handle:
            number, pending = 0, None
            for raw in handle:  # one line behind: only the last line may be torn
                if pending is not None and not (unless and unless in pending):
                    yield self._seen(self._parse(pending, number))
                number, pending = number + 1, raw
            if pending is not None and not (unless and unless in pending):
                try:
                    line = self._parse(pending, number)
                except StreamError:
                    return  # torn by a kill: the case it held was never finished
                yield self._seen(line)

    def _seen(self, line: dict[str, Any]) -> dict[str, Any]:
        if "end" in line:
            self.end = line["end"]
        return line

    def _parse(self, raw: bytes, number: int) -> dict[str, Any]:
        try:
            line = loads_line(raw)
        except (ValueError, UnicodeDecodeError):
            raise StreamError(f"{self.path}: line {number} is not JSON") from None
        if not isinstance(line, dict):
            raise StreamError(f"{self.path}: line {number} is not an object")
        return line


# --- the document ----------------------------------------------------------------------------------


class Tally:
    """The totals of ``results.json``, added up case by case (the cases themselves are not kept).

    ``keep`` False: failures and inconclusive cases are counted, not kept either; the document is then given
    them as views of the stream (:class:`Records`), as it is given its cases.
    """

    def __init__(self, header: dict[str, Any], keep: bool = True) -> None:
        self.header = header
        self.keep = keep
        self.failure_count = 0
        self.counts = Counter[str]()
        self.checks: dict[str, dict[str, Any]] = {
            name: {"severity": severity, "description": description, "passed": 0, "failed": 0, "warned": 0}
            for name, (severity, description) in header["check_names"].items()
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
        self.coverage = Coverage(header.get("families"))  # per family; absent from streams of older runs

    def add(self, record: dict[str, Any]) -> None:
        case = record["case"]
        self.coverage.add(case)
        self.counts["cases"] += 1
        self.counts[case["outcome"]] += 1
        self.requests += record.get("requests", 0)
        for outcome in ("passed", "failed", "warned"):
            for name in case[f"{outcome}_checks"]:
                severity = "warn" if outcome == "warned" else "fail"
                self.checks.setdefault(name, {"severity": severity, "description": "", "passed": 0, "failed": 0,
                                              "warned": 0})[outcome] += 1  # fmt: skip
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
            "run_id": header["run_id"],
            "target": header["target"],
            "base_url": header["base_url"],
            "seed": header["seed"],
            "max_examples": header["max_examples"],
            "shard": header["shard"],
            "credential_forms": list(header["credential_forms"]),
            "started_at": header["started_at"],
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
            "cassette_dir": header.get("cassette_dir"),
        }
        if header.get("time_budget_s") is not None:
            document["time_budget_s"] = header["time_budget_s"]
        if header.get("policy"):
            document["policy"] = header["policy"]
        if ended.get("stopped") is not None:
            document["stopped"] = ended["stopped"]
        if ended.get("confirmation"):
            document["confirmation"] = ended["confirmation"]
        if ended.get("reduced"):
            document["reduced"] = ended["reduced"]
        document["cases"] = cases
        return document


class Records:
    """One list of ``results.json`` (its cases, failures or inconclusive cases) as a view of the stream: read
    from disk each time it is iterated, never held; ``len`` is known from the tally."""

    def __init__(self, stream: ResultsStream, pick: Callable[[dict[str, Any]], Iterable[dict[str, Any]]],
                 count: int, unless: bytes | None = None, coverage: Coverage | None = None) -> None:  # fmt: skip
        self._stream, self._pick, self._count, self._unless = stream, pick, count, unless
        self.coverage = coverage  # for the cases: what they judged per family, counted in the tally's pass

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for record in self._stream.records(self._unless):
            yield from self._pick(record)

    def __len__(self) -> int:
        return self._count


def document_from_stream(path: Path) -> dict[str, Any]:
    """``results.json`` for a stream; its cases, failures and inconclusive cases are views that read the stream
    as they are used, so a run of any length is built in the memory of its totals."""
    stream = ResultsStream(path)
    tally = Tally(stream.header, keep=False)
    for record in stream.records():
        tally.add(record)
    cases = Records(stream, lambda record: (record["case"],), tally.counts["cases"],
                    coverage=tally.coverage)  # fmt: skip
    failures = Records(stream, lambda record: record["failures"], tally.failure_count, b'"failures":[]')
    inconclusive = Records(stream, lambda record: (record["inconclusive"],) if record.get("inconclusive") else (),
                           tally.counts["inconclusive"], b'"inconclusive":null')  # fmt: skip
    return tally.document(cases, stream.end, failures, inconclusive)


def write_document(document: dict[str, Any], path: Path) -> Path:
    """``results.json``, written list item by list item (its lists may be views of a stream), atomically."""
    views = {key: value for key, value in document.items() if isinstance(value, Records) or key == "cases"}
    head = {key: f"\x00{key}\x00" if key in views else value for key, value in document.items()}  # placeholders
    text = json.dumps(head, indent=2, ensure_ascii=False)
    with _atomic(path) as handle:
        for key, items in views.items():
            before, _, text = text.partition(json.dumps(head[key]))
            handle.write(before + "[")
            empty = True
            for item in items:
                entry = json.dumps(item, indent=2, ensure_ascii=False).replace("\n", "\n    ")
                handle.write(("\n    " if empty else ",\n    ") + entry)
                empty = False
            handle.write("]" if empty else "\n  ]")
        handle.write(text + "\n")
    return path


# --- small shared helpers (here so report commands need nothing heavier) ---------------------------


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


class _atomic:  # a context manager, read as a verb
    """A file written via a temp file and a rename, so a reader never sees half of it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> IO[str]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, self.tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; reports are meant to be shared like any file
        self.handle = os.fdopen(fd, "w", encoding="utf-8")
        return self.handle

    def __exit__(self, kind: object, *_rest: object) -> None:
        self.handle.close()
        if kind is None:
            os.replace(self.tmp, self.path)
        else:
            Path(self.tmp).unlink(missing_ok=True)


def write_atomic(path: Path, text: str) -> None:
    """Write via a temp file and rename, so a reader never sees half a file."""
    with _atomic(path) as handle:
        handle.write(text)


def write_chunks(path: Path, chunks: Iterable[str]) -> None:
    """Write text as it is produced (a rendered report), via a temp file and rename like :func:`write_atomic`."""
    with _atomic(path) as handle:
        for chunk in chunks:
            handle.write(chunk)
