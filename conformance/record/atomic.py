"""Files replaced whole: written via a temp file and a rename, so a reader never sees half of one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

_umask: int | None = None  # the process's, read once (:func:`note_umask`)


def note_umask() -> int:
    """The process's umask, read once: from ``/proc`` where there is one, else by setting it and setting it back,
    which is only safe before other threads start; so the run calls this where it starts, not at import."""
    global _umask
    if _umask is None:
        try:
            with open("/proc/self/status", encoding="ascii") as status:
                _umask = next(int(line.split()[1], 8) for line in status if line.startswith("Umask:"))
        except (OSError, StopIteration, ValueError, IndexError):
            _umask = os.umask(0)
            os.umask(_umask)
    return _umask


class atomic_file:  # a context manager, read as a verb phrase: "with atomic_file(path) as handle"
    """A file written via a temp file and a rename, so a reader never sees half of it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> IO[str]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, self.tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        os.fchmod(fd, 0o666 & ~note_umask())  # mkstemp makes 0600; reports are meant to be shared like any file
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
    with atomic_file(path) as handle:
        handle.write(text)


def write_chunks(path: Path, chunks: Iterable[str]) -> None:
    """Write text as it is produced (a rendered report), via a temp file and rename like :func:`write_atomic`."""
    with atomic_file(path) as handle:
        for chunk in chunks:
            handle.write(chunk)
