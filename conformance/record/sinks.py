"""Where a run's judged cases go, each once, as it is judged: the results stream and the recording.

The redactor is applied here, at the output boundary: the recorder has already redacted the exchanges
it filed (and the messages that quote them); the results line is scrubbed as it is written, so nothing
that reaches a file has not been through it. The totals are counted as the stream gets each line; at the
end, ``results.json`` and the reports are built from them and from the stream's lines (``conformance report``
counts them again from a stream a killed run left).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conformance.contract.schemas import Contract
from conformance.interrupts import INTERRUPTS
from conformance.judge.verdicts import CaseResult
from conformance.kinds import CaseOutcome
from conformance.record.cassettes.recording import Recorder
from conformance.record.results import RunResult, case_record, observed_paths
from conformance.record.run_record import RunHeader
from conformance.record.scrubbing import scrub
from conformance.record.stream import STREAM_FILE, ResultsWriter
from conformance.record.tally import Tally

FLUSH_EVERY_S = 0.05  # how long filed cases may wait in memory: what a SIGKILL can lose (failed cases never wait)


class RunSinks:
    """The results stream in ``report_dir`` and the recording, fed case by case."""

    def __init__(self, report_dir: Path, recorder: Recorder, contract: Contract,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.report_dir = report_dir
        self.recorder = recorder
        self.contract = contract
        self._header: dict[str, Any] | None = None
        self._writer: ResultsWriter | None = None
        self._tally: Tally | None = None
        self._complete = False  # every line the tally counted is in the stream, and the stream is ended
        self._seed = 0
        self._clock = clock
        self._flushed = self._clock()

    @property
    def stream(self) -> Path:
        return self.report_dir / STREAM_FILE

    def start(self, result: RunResult) -> None:
        result.cassette_dir = str(self.recorder.directory)
        header = scrub(result.header().to_json(), self.recorder.redactor)
        self.recorder.describe(RunHeader.from_json(header))  # the plan's families and the policy: a replay repeats them
        # A kill may land after a case is listed in the recording and before its results line: a replay of the
        # unfinished recording reads no further than this stream.
        self.recorder.unfinished["results_stream"] = str(self.stream.absolute())
        self._header, self._seed = header, result.seed
        self._tally = Tally(RunHeader.from_json(header), keep=False)

    def case(self, result: CaseResult) -> CaseResult:
        """Its interactions to the cassette, then the recording lists it, then the results stream: once each,
        redacted. Returns the case as the outputs show it. The files get what was filed at least every
        ``FLUSH_EVERY_S``, and at once after a failed case: a kill loses at most that much, never a failure."""
        with INTERRUPTS.atomic():  # a Ctrl-C waits until the case is in all three
            shown = self.recorder.file(result)
            self.recorder.record(shown)
            record = case_record(shown, self._seed, observed_paths(shown, self.contract))
            line = scrub(record, self.recorder.redactor)
            self._open().case(line)
            assert self._tally is not None
            self._tally.add(line)  # the reports' totals, counted as the stream gets the line
            if shown.outcome == CaseOutcome.FAILED or self._clock() - self._flushed >= FLUSH_EVERY_S:
                self.flush()
        return shown

    def flush(self) -> None:
        """In the order a reader of a killed run relies on: the cassettes, the recording's list of cases, then the
        results stream (a case in the stream is always in the recording, with its interactions)."""
        self.recorder.flush()
        if self._writer is not None:
            self._writer.flush()
        self._flushed = self._clock()

    def end(self, result: RunResult) -> None:
        self.flush()
        self._open().end(scrub(result.end(), self.recorder.redactor))
        self._complete = True
        self.recorder.finish(result.interrupted)

    @property
    def tally(self) -> Tally | None:
        """The totals of every case in the stream, once the stream is whole; None before, or when a write failed
        (the stream then holds fewer cases than were counted, and is counted again when read)."""
        return self._tally if self._complete else None

    def _open(self) -> ResultsWriter:
        # Opened with the first case, so a run that never got an answer (unreachable) writes nothing.
        if self._writer is None:
            assert self._header is not None, "start() first"
            self._writer = ResultsWriter(self.stream, self._header)
        return self._writer
