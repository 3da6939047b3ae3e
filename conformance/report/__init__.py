"""Stage 6, reports of a run: results.json plus junit.xml, summary.md and report.html, all built from the results dict.

``write_from_stream`` is what ``conformance run`` calls (with the totals it counted as it wrote the stream) and
``conformance report build`` (which counts them again); ``write_all`` writes a run held in memory (replay);
``write_document`` is for tools that only have a results dict (``report merge``). Imports happen on use so the
CLI starts fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance.record import RESULTS_FILE

if TYPE_CHECKING:
    from conformance.record.results import RunResult
    from conformance.record.tally import Tally
    from conformance.report.history import HistoryStore, HistoryView

FORMATS = ("junit.xml", "summary.md", "report.html")


Document = dict[str, Any]


def write_all(result: RunResult, directory: Path, secrets: tuple[str, ...] | Callable[[str], str],
              baseline: Document | None = None) -> list[Path]:  # fmt: skip
    """Write results.json (scrubbed of ``secrets``: values, or a redactor), then every other format from the same
    document (built once, never read back)."""
    from conformance.record.results import write_results

    document = result.to_json(secrets)
    path = write_results(document, directory)
    return [path, *write_formats(document, directory, baseline)]


def write_from_stream(directory: Path, baseline: Document | None = None, history: HistoryStore | None = None,
                      tally: Tally | None = None) -> dict[str, Any]:  # fmt: skip
    """results.json and every other format from the results stream in ``directory`` (a finished run's, or
    one a killed run left); returns the document, its ``cases`` read from the stream as they are used.
    With a ``history``, the run is recorded into it first and the reports show the nights. ``tally``: the
    stream's totals as its run added them up, so the stream is not read once more to count them."""
    from conformance.record.results_file import document_from_stream
    from conformance.record.results_file import write_document as write_results_document
    from conformance.record.stream import STREAM_FILE

    document = document_from_stream(directory / STREAM_FILE, tally)
    cases = CasePass()
    write_results_document(document, directory / RESULTS_FILE, cases.add)
    trends, unrecorded = _recorded(history, document)
    write_formats(document, directory, baseline, trends, cases)
    if unrecorded is not None:  # the reports are written all the same, without the nights
        raise unrecorded
    return document


def write_document(document: Document, directory: Path, baseline: Document | None = None,
                   history: HistoryStore | None = None) -> list[Path]:  # fmt: skip
    """Write a results dict as results.json and every other format (recorded into ``history`` when given)."""
    from conformance.record.atomic import write_atomic

    path = directory / RESULTS_FILE
    write_atomic(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    trends, unrecorded = _recorded(history, document)
    written = [path, *write_formats(document, directory, baseline, trends)]
    if unrecorded is not None:
        raise unrecorded
    return written


def _recorded(history: HistoryStore | None, document: Document) -> tuple[HistoryView | None, Exception | None]:
    """The run recorded into ``history``: the history as of it, or the error that kept it out."""
    if history is None:
        return None, None
    from conformance.report.history import HistoryError, record_run

    try:
        return record_run(history, document), None
    except HistoryError as exc:
        return None, exc


class CasePass:
    """What junit.xml and report.html add up over every case, fed by the pass that writes ``results.json``: a run's
    cases are a view of its stream, and each report reading it once more cost a parse of every line."""

    def __init__(self) -> None:
        from conformance.report.html import CaseOverview
        from conformance.report.junit import CaseGroups

        self.groups, self.overview = CaseGroups(), CaseOverview()

    def add(self, case: dict[str, Any]) -> None:
        self.groups.add(case)
        self.overview.add(case)


def write_formats(document: Document, directory: Path, baseline: Document | None = None,
                  trends: HistoryView | None = None, cases: CasePass | None = None) -> list[Path]:  # fmt: skip
    """junit.xml, summary.md and report.html for a results dict; the digest is marked against ``baseline``;
    ``trends`` (the history as of this run) adds each group's nights and the history section; ``cases``: every case
    of the document already added up (else each report reads the cases again).

    Each file is written as it is rendered (atomically), and the digest is built once for both that show it.
    Every failing case they show carries the line that reproduces it from ``directory``.
    """
    from conformance.record.atomic import write_chunks
    from conformance.report.digest import build_digest
    from conformance.report.html import html_chunks
    from conformance.report.junit import junit_chunks
    from conformance.report.summary import render_summary

    digest = build_digest(document, baseline)
    renderers: dict[str, Callable[[], Iterable[str]]] = {
        "junit.xml": lambda: junit_chunks(document, directory, cases.groups if cases else None),
        "summary.md": lambda: (render_summary(document, baseline, digest, trends, directory),),
        "report.html": lambda: html_chunks(
            document, baseline, digest, trends, directory, cases.overview if cases else None
        ),
    }
    written = []
    for name in FORMATS:
        path = directory / name
        write_chunks(path, renderers[name]())
        written.append(path)
    return written


__all__ = ["FORMATS", "RESULTS_FILE", "write_all", "write_document", "write_formats", "write_from_stream"]
