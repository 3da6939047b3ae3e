"""A run counts its totals as it writes its results stream, and builds results.json from them without reading the
stream once more for them: the document must be the one ``conformance report`` builds from the stream alone. The
reports skip, unparsed, the lines that hold nothing for them: the bytes they look for must mean exactly that."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from cassette_helpers import live_run

from conformance.emulator.server import EmulatorServer
from conformance.record import results_file
from conformance.record.results_file import (
    NO_FAILED_CHECK,
    NO_FAILURES,
    NOT_INCONCLUSIVE,
    document_from_stream,
    write_document,
)
from conformance.record.stream import STREAM_FILE
from conformance.record.tally import Tally
from conformance.report import html, write_formats, write_from_stream


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Tally | None]]:
    """A run with failures, warnings and inconclusive cases; and the tallies the reports were given."""
    directory = tmp_path_factory.mktemp("tally")
    given: list[Tally | None] = []
    build = results_file.document_from_stream

    def spy(path: Path, tally: Tally | None = None) -> dict[str, Any]:
        given.append(tally)
        return build(path, tally)

    with pytest.MonkeyPatch.context() as patch, EmulatorServer() as server:
        patch.setattr(results_file, "document_from_stream", spy)
        server.inject("extra_field")  # warnings
        server.inject("missing_field", count=15)  # failures
        server.inject("wrong_status", count=5)  # failures grouped by the status each case expected
        server.inject("status_503", count=9)  # inconclusive cases
        code, output = live_run(server, directory, max_examples=12)
    assert code == 1, output
    return next(path.parent for path in (directory / "reports").rglob(STREAM_FILE)), given


def test_a_runs_results_json_is_what_its_stream_alone_gives(faulty_run: tuple[Path, list[Tally | None]],
                                                            tmp_path: Path) -> None:  # fmt: skip
    run_dir, given = faulty_run
    assert len(given) == 1 and given[0] is not None, "the run re-counted its stream instead of handing over its tally"
    written = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    counts = written["counts"]
    assert counts["cases"] > 20 and counts["inconclusive"] and written["failures"] and written["warnings"], counts

    rebuilt = write_document(document_from_stream(run_dir / STREAM_FILE), tmp_path / "rebuilt.json")
    assert json.loads(rebuilt.read_text(encoding="utf-8")) == written

    # The reports read the stream's lines again, skipping some unparsed: they say what the same document in memory says.
    in_memory = tmp_path / "in_memory"
    in_memory.mkdir()
    write_formats(written, in_memory)
    for name in ("summary.md", "junit.xml", "report.html"):
        shown = (in_memory / name).read_text(encoding="utf-8").replace(str(in_memory), str(run_dir))
        assert shown == (run_dir / name).read_text(encoding="utf-8"), name  # the reproduce lines name the folder


def test_the_reports_fed_by_results_jsons_pass_say_what_they_say_reading_the_cases_themselves(
    faulty_run: tuple[Path, list[Tally | None]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """junit.xml and report.html add up a run's cases in the pass that writes results.json (``CasePass``); a
    document in memory has them add up its cases on their own. The two must not differ, the HTML overview of a
    long run included (shown here for a short one)."""
    run_dir, _given = faulty_run
    monkeypatch.setattr(html, "CASE_ROWS", 5)
    streamed, in_memory = tmp_path / "streamed", tmp_path / "in_memory"
    streamed.mkdir()
    in_memory.mkdir()
    shutil.copy(run_dir / STREAM_FILE, streamed / STREAM_FILE)
    document = write_from_stream(streamed)
    write_formats(json.loads((streamed / "results.json").read_text(encoding="utf-8")), in_memory)
    assert "case-families" in (streamed / "report.html").read_text(encoding="utf-8")
    for name in ("junit.xml", "report.html"):
        shown = (in_memory / name).read_text(encoding="utf-8").replace(str(in_memory), str(streamed))
        assert shown == (streamed / name).read_text(encoding="utf-8"), name
    assert document["counts"]["cases"] > 5


def test_a_line_holds_a_skip_marker_exactly_when_it_has_nothing_for_that_view(
    faulty_run: tuple[Path, list[Tally | None]],
) -> None:
    """Were a key renamed, the views would quietly parse every line again, or skip lines they need."""
    run_dir, _given = faulty_run
    lines = [raw for raw in (run_dir / STREAM_FILE).read_bytes().splitlines() if raw.startswith(b'{"case"')]
    seen = {NO_FAILED_CHECK: [0, 0], NO_FAILURES: [0, 0], NOT_INCONCLUSIVE: [0, 0]}
    for raw in lines:
        record = json.loads(raw)["case"]
        empty = {NO_FAILED_CHECK: not record["case"]["failed_checks"], NO_FAILURES: not record["failures"],
                 NOT_INCONCLUSIVE: not record.get("inconclusive")}  # fmt: skip
        for marker, nothing in empty.items():
            assert (marker in raw) == nothing, (marker, raw[:300])
            seen[marker][nothing] += 1
    assert all(without and with_ for without, with_ in seen.values()), seen  # each marker seen present and absent
