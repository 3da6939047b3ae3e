"""The results stream: one JSON line per judged case, appended as the run goes, and read back.

``results.jsonl`` starts with a header line (what the run is), gets one line per case as soon as the case
is judged (everything ``results.json`` needs from it), and ends with an end line when the run finishes.
A run killed half way leaves a stream without an end line, and perhaps a torn last line: both are read
as "interrupted", the torn line dropped. ``results.json`` is built from the totals of the stream's cases
(:mod:`conformance.record.tally`), never from the cases held: they are read from the file again while it is written
(:mod:`conformance.record.results_file`).

This module imports neither generation nor the checks, so report commands can use it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from conformance.record.jsonlines import dumps_line, loads_line

RESULTS_FORMAT = 1
STREAM_FILE = "results.jsonl"
STREAM_KIND = "conformance-results"
TAIL_BYTES = 1 << 16  # how far from the end a stream's end line is looked for


class StreamError(Exception):
    """A results stream that cannot be read; the message names the file and line."""


# --- writing ---------------------------------------------------------------------------------------


class ResultsWriter:
    """Appends a run's stream: the header at once, a line per case as it is judged, the end line last.

    Case lines wait in memory until :meth:`flush`, which hands them to the kernel in one write: the caller
    decides when a kill must not lose them (a line the kernel has survives a SIGKILL; a line cut by one is read
    back as torn and dropped)."""

    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file: IO[str] = path.open("w", encoding="utf-8")
        self._pending: list[str] = []
        self._write({"stream": STREAM_KIND, "format": RESULTS_FORMAT, "header": header})
        self.flush()

    def case(self, record: dict[str, Any]) -> None:
        self._write({"case": record})

    def flush(self) -> None:
        if self._pending:
            self._file.write("".join(self._pending))
            self._pending.clear()
        self._file.flush()

    def end(self, end: dict[str, Any]) -> None:
        self._write({"end": end})
        self.close()

    def close(self) -> None:
        if not self._file.closed:
            self.flush()
            self._file.close()

    def _write(self, line: dict[str, Any]) -> None:
        self._pending.append(dumps_line(line) + "\n")


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
