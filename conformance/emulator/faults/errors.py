"""Faults of the error body: its members and its vendor code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conformance.emulator.faults.registry import Param, Reply, fault, one_of


@fault("transform", params={"mode": Param(str, "missing_more_info")}, on="error",
       check=one_of("mode", ("missing_more_info", "status_mismatch", "more_info_not_link")))  # fmt: skip
def error_body_wrong(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Break an error body: ``mode`` ``missing_more_info`` drops more_info, ``status_mismatch`` lies in status,
    ``more_info_not_link`` makes more_info plain text."""
    if not isinstance(reply.body, dict):
        return False
    if p["mode"] == "status_mismatch":
        reply.body["status"] = 200 if reply.status != 200 else 500
    elif p["mode"] == "more_info_not_link":
        reply.body["more_info"] = f"see error {reply.body.get('code')}"
    else:
        reply.body.pop("more_info", None)
    return True


@fault("transform", params={"status": Param(int, 401), "code": Param(int, 20001)}, on="error")
def error_code(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Give errors of HTTP ``status`` the vendor code ``code`` (and the matching more_info)."""
    if reply.status != p["status"] or not isinstance(reply.body, dict):
        return False
    reply.body["code"] = p["code"]
    reply.body["more_info"] = f"https://www.twilio.com/docs/errors/{p['code']}"
    return True
