"""A run counts its totals as it writes its results stream, and builds results.json from them without reading the
stream once more for them: the document must be the one ``conformance report`` builds from the stream alone."""

from __future__ import annotations

import json
from pathlib import Path

from cassette_helpers import live_run

from conformance.emulator.server import EmulatorServer
from conformance.record.results_file import document_from_stream, write_document
from conformance.record.stream import STREAM_FILE
from conformance.report import write_formats


def test_a_runs_results_json_is_what_its_stream_alone_gives(tmp_path: Path) -> None:
    with EmulatorServer() as server:
        server.inject("extra_field")  # warnings
        server.inject("missing_field", count=15)  # failures
        server.inject("wrong_status", count=5)  # failures grouped by the status each case expected
        server.inject("status_503", count=9)  # inconclusive cases
        code, output = live_run(server, tmp_path, max_examples=12)
    assert code == 1, output
    run_dir = next(path.parent for path in (tmp_path / "reports").rglob(STREAM_FILE))
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
