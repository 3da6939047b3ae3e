"""The README's emulator-then-live recipe, exactly as printed: the emulator's export lines pasted into another shell,
then the command it prints."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

CREDENTIAL_ENV = ("TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
                  "CONFORMANCE_CONFIGURATION_ID", "CONFORMANCE_BASE_URL")  # fmt: skip


def test_the_printed_exports_and_command_run_the_live_target_against_the_emulator(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_ENV}
    emulator = subprocess.Popen([sys.executable, "-m", "conformance.cli", "emulator", "--port", "0"], env=clean,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)  # fmt: skip
    try:
        assert emulator.stdout is not None
        printed = []
        for line in emulator.stdout:
            printed.append(line.strip())
            if line.startswith("Press Ctrl+C"):
                break
        exports = [line for line in printed if line.startswith("export ")]
        command = next(line for line in printed if line.startswith("then, in that shell: ")).split(": ", 1)[1]
        assert len(exports) == 6 and command.startswith("conformance run --target live")
        script = "\n".join([*exports, command])  # what a person pastes into the other shell
        bin_dir = str(Path(sys.executable).parent)  # the venv's `conformance`, as in an activated shell
        shell = {**clean, "PATH": f"{bin_dir}{os.pathsep}{clean.get('PATH', '')}", "CI": "1"}
        done = subprocess.run(["bash", "-c", script], env=shell, cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)  # fmt: skip
    finally:
        emulator.send_signal(signal.SIGTERM)
        emulator.wait(timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("PASSED: ") and " 0 failed, 0 inconclusive" in done.stdout
    assert (tmp_path / "reports" / "latest" / "report.html").is_file()
