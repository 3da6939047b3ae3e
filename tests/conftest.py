import sys
from pathlib import Path

import pytest

# Test helpers (docs parsers) live beside the tests, not in the package.
sys.path.insert(0, str(Path(__file__).parent))

ROOT = Path(__file__).resolve().parents[1]
OUTPUT_FOLDERS = ("cassettes", "reports")


def _outputs() -> set[str]:
    return {str(p.relative_to(ROOT)) for folder in OUTPUT_FOLDERS for p in (ROOT / folder).iterdir()}


@pytest.fixture(scope="session", autouse=True)
def _tests_leave_the_work_tree_alone():
    """Tests write runs into tmp dirs; a new entry in cassettes/ or reports/ means one forgot to."""
    before = _outputs()
    yield
    stray = sorted(_outputs() - before)
    assert not stray, (
        f"new in the work tree while the tests ran: {stray}. A test wrote there, or a "
        "`conformance run` in this checkout did meanwhile (run it elsewhere while testing)"
    )
