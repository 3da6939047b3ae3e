"""``results.json`` from a results stream, and written out: its long lists (cases, failures, inconclusive cases)
may be views that read the stream again as they are used, so a run of any length is built in the memory of its
totals."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from conformance.judge.coverage import Coverage
from conformance.record.atomic import atomic_file
from conformance.record.jsonlines import indented_list
from conformance.record.run_record import RunHeader
from conformance.record.stream import ResultsStream
from conformance.record.tally import Answers, Tally

# What a results line holds when it has nothing for a view: such lines are skipped unparsed. Lines are compact JSON
# (``jsonlines.dumps_line``) in which a quote inside a string is escaped, so these bytes are never inside a value.
NO_FAILURES = b'"failures":[]'
NOT_INCONCLUSIVE = b'"inconclusive":null'
NO_FAILED_CHECK = b'"failed_checks":[]'  # the case entry's own list: the case failed no check


class Records:
    """One list of ``results.json`` (its cases, failures or inconclusive cases) as a view of the stream: read
    from disk each time it is iterated, never held; ``len`` is known from the tally."""

    def __init__(self, stream: ResultsStream, pick: Callable[[dict[str, Any]], Iterable[dict[str, Any]]],
                 count: int, unless: bytes | None = None, coverage: Coverage | None = None,
                 answers: Answers | None = None) -> None:  # fmt: skip
        self._stream, self._pick, self._count, self._unless = stream, pick, count, unless
        self.coverage = coverage  # for the cases: what they judged per family, counted in the tally's pass
        self.answers = answers  # ...and what their answers say of the target and the credentials

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self.skipping(self._unless)

    def skipping(self, unless: bytes | None) -> Iterator[dict[str, Any]]:
        """The items of the lines that do not contain ``unless`` (those are skipped unparsed)."""
        for record in self._stream.records(unless):
            yield from self._pick(record)

    def __len__(self) -> int:
        return self._count


def document_from_stream(path: Path, tally: Tally | None = None) -> dict[str, Any]:
    """``results.json`` for a stream; its cases, failures and inconclusive cases are views that read the stream
    as they are used, so a run of any length is built in the memory of its totals. ``tally``: the totals of
    every case in the stream, added up as it was written (a run's own); else they are added up from the stream."""
    stream = ResultsStream(path)
    if tally is None:
        tally = Tally(RunHeader.from_json(stream.header), keep=False)
        for record in stream.records():
            tally.add(record)
    cases = Records(stream, lambda record: (record["case"],), tally.counts["cases"],
                    coverage=tally.coverage, answers=tally.answers)  # fmt: skip
    failures = Records(stream, lambda record: record["failures"], tally.failure_count, NO_FAILURES)
    inconclusive = Records(stream, lambda record: (record["inconclusive"],) if record.get("inconclusive") else (),
                           tally.counts["inconclusive"], NOT_INCONCLUSIVE)  # fmt: skip
    return tally.document(cases, stream.end, failures, inconclusive)


def write_document(document: dict[str, Any], path: Path,
                   each_case: Callable[[dict[str, Any]], None] | None = None) -> Path:  # fmt: skip
    """``results.json``, written list item by list item (its lists may be views of a stream), atomically.
    ``each_case`` is given every case as it is written: the reports add theirs up in this pass, not one of their own."""
    views = {key: value for key, value in document.items() if isinstance(value, Records) or key == "cases"}
    head = {key: f"\x00{key}\x00" if key in views else value for key, value in document.items()}  # placeholders
    text = json.dumps(head, indent=2, ensure_ascii=False)
    with atomic_file(path) as handle:
        for key, items in views.items():
            before, _, text = text.partition(json.dumps(head[key]))
            handle.write(before)
            handle.writelines(indented_list(_seen(items, each_case) if each_case and key == "cases" else items))
        handle.write(text + "\n")
    return path


def _seen(items: Iterable[dict[str, Any]], each: Callable[[dict[str, Any]], None]) -> Iterator[dict[str, Any]]:
    """``items``, each handed to ``each`` as it goes by."""
    for item in items:
        each(item)
        yield item
