"""Starting the run's helper processes (the drawing child, the embedded emulator) on this very package.

``python -m`` would put the working directory first on ``sys.path``: run from a folder holding another
``conformance/`` (an older checkout), a child would import that code instead. ``-P`` leaves the working
directory out, and ``PYTHONPATH`` leads with the folder this package was imported from.
"""

from __future__ import annotations

import os
import sys

from conformance import PACKAGE_DIR

PACKAGE_ROOT = str(PACKAGE_DIR.parent)


def child_command(module: str, *args: str) -> list[str]:
    return [sys.executable, "-P", "-m", module, *args]


def child_environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_ROOT, env.get("PYTHONPATH")]))
    return env
