"""Which checks report drift (what the docs do not name), and where results.json lists their findings.

Its own module so the report commands can know it without importing the checks and the contract.
"""

from __future__ import annotations

from typing import Final

# check name -> key of results.json's "undocumented" object
DRIFT_CHECKS: Final[dict[str, str]] = {
    "undocumented_fields": "fields",
    "undocumented_enum_values": "enum_values",
    "undocumented_headers": "headers",
}
