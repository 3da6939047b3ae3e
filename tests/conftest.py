import sys
from pathlib import Path

# Test helpers (docs parsers) live beside the tests, not in the package.
sys.path.insert(0, str(Path(__file__).parent))
