"""The embedded emulator in a process of its own: ``conformance run``'s default target.

In a thread of the run's process the emulator competed with drawing, checking and recording for one
interpreter lock; in its own process it answers on the other core. The parent binds the loopback socket
and hands it over, so the URL is known at once and nothing races for the port; the child serves on it
until its stdin closes, which happens when the parent stops it, exits or is killed, so no emulator
outlives its run.

    python -m conformance.emulator.process FD [--deterministic --seed N]   (started by EmulatorProcess)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from types import TracebackType

from conformance.emulator.config import EmulatorSettings
from conformance.plan.children import child_command, child_environment

LOOPBACK = "127.0.0.1"
STOP_TIMEOUT_S = 5.0


class EmulatorProcess:
    """An emulator child process on a free loopback port: its ``url`` and the ``settings`` it was started with,
    as ``EmulatorServer`` has them (``targets.target_for`` takes either)."""

    def __init__(self, settings: EmulatorSettings) -> None:
        self.settings = settings
        self.port = 0
        self._child: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> EmulatorProcess:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # the app (and its imports) live in the child
        sock.bind((LOOPBACK, 0))
        sock.listen(1024)
        self.port = sock.getsockname()[1]
        flags = ["--deterministic", "--seed", str(self.settings.seed)] if self.settings.deterministic else []
        try:
            self._child = subprocess.Popen(
                child_command("conformance.emulator.process", str(sock.fileno()), *flags),
                env=child_environment(),
                stdin=subprocess.PIPE,  # the lifeline: EOF on it stops the child
                pass_fds=[sock.fileno()],
                start_new_session=True,  # Ctrl-C goes to the run, which then stops the child itself
            )
        finally:
            sock.close()  # the child holds it now; if the child dies, connecting fails instead of hanging
        return self

    def stop(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def main(argv: list[str]) -> int:
    """The child: serve on the inherited socket until stdin reaches EOF."""
    from conformance.emulator.server import ForegroundServer, create_app, serve, tune_gc, uvicorn_config

    fd, deterministic = int(argv[0]), "--deterministic" in argv
    seed = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 0
    settings = EmulatorSettings(deterministic=deterministic, seed=seed).with_environment(os.environ)
    app = create_app(settings)
    sock = socket.socket(fileno=fd)
    tune_gc()
    server = ForegroundServer(uvicorn_config(app, settings, date_header=not deterministic))

    def lifeline() -> None:
        sys.stdin.buffer.read()  # returns at EOF: the parent closed the pipe, exited or was killed
        server.should_exit = True

    threading.Thread(target=lifeline, name="lifeline", daemon=True).start()
    serve(server, app, sock)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
