"""A Ctrl-C (SIGINT) while `conformance run` is still starting: one line and exit 130, never a traceback, and never
lost when the shell that started the run in the background left SIGINT ignored (`conformance run &` in a script).

The signal is sent by the process to itself at a chosen import (an import hook), so the moment is exact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.cli import INTERRUPTED_STARTING
from conformance.interrupts import Interrupts

CHILD = """
import os, signal, sys

class InterruptAt:  # an import hook: SIGINT arrives while this module is being imported
    def find_spec(self, name, path=None, target=None):
        if name == module:
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, InterruptAt())
module = sys.argv[1]
sys.argv = ["conformance", "run", "--max-examples", "1", "--seed", "3", "--report-dir", "r", "--cassette-dir", "c"]
from conformance.cli import main
main()
"""


def _ignore_sigint() -> None:
    """What a non-interactive shell does to a job it starts with ``&``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize(
    ("module", "ignored"),
    [
        ("conformance.settings", False),  # the command's own imports, in a terminal
        ("conformance.run.run_command", False),  # the run's modules, loaded once the command is known
        ("conformance.run.run_command", True),  # the same, started in the background by a script
    ],
)
def test_a_sigint_while_starting_is_one_line_and_130(tmp_path: Path, module: str, ignored: bool) -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("TWILIO_", "CONFORMANCE_"))}
    child = subprocess.run([sys.executable, "-c", CHILD, module], cwd=tmp_path, env={**environment, "CI": "1"},
                           capture_output=True, text=True, timeout=120,
                           preexec_fn=_ignore_sigint if ignored else None)  # fmt: skip
    assert child.returncode == 130, child.stdout + child.stderr
    assert child.stderr.splitlines() == [INTERRUPTED_STARTING] and child.stdout == ""
    assert not (tmp_path / "r").exists() and not (tmp_path / "c").exists()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the loss itself, as Python reports it
def test_an_interrupt_lost_where_it_was_raised_comes_back_between_cases() -> None:
    """Python drops an exception raised in a garbage-collector callback or a ``__del__`` (Hypothesis installs such a
    callback): a run that met its SIGINT there would run on. The next point between cases raises it again."""
    interrupts = Interrupts()

    class RaisesInDel:
        def __del__(self) -> None:
            interrupts._handler(signal.SIGINT, None)  # as the signal lands while Python runs this

    RaisesInDel()  # Python prints "Exception ignored in ..." and goes on
    with pytest.raises(KeyboardInterrupt):
        interrupts.raise_pending()
    interrupts.raise_pending()  # raised once, not again


def test_an_interrupt_the_run_caught_is_not_raised_again() -> None:
    interrupts = Interrupts()
    with pytest.raises(KeyboardInterrupt):
        interrupts._handler(signal.SIGINT, None)
    interrupts.delivered()
    interrupts.raise_pending()
    assert not interrupts.take_pending()
