"""Faults of authentication: credentials let in that must be refused, or quoted back to whoever sent them."""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from conformance.emulator.faults.registry import Inbound, Param, Reply, Stage, fault, header_field, one_of
from conformance.kinds import CredentialForm
from conformance.plan.auth_modes import REFUSED

if TYPE_CHECKING:
    from conformance.emulator.models import Backend

AUTH_FAILURES = ("any", *REFUSED)  # what ignore_auth may let in: every credentials mode that must get 401
CREDENTIAL_FORMS = ("any", *(str(form) for form in CredentialForm))  # a caller's username form, or any of them
_REQUEST_ENCODINGS: dict[str, Callable[[str], str]] = {
    "base64": lambda text: base64.b64encode(text.encode("latin-1")).decode(),
    "base64url": lambda text: base64.urlsafe_b64encode(text.encode("latin-1")).decode().rstrip("="),
    "percent": lambda text: urllib.parse.quote(text, safe=""),
    "json": lambda text: json.dumps(text),
}


@fault("switch", params={"mode": Param(str, "any"), "form": Param(str, "any")}, stage=Stage.AUTH_REFUSED,
       check=lambda p: one_of("mode", AUTH_FAILURES)(p) or one_of("form", CREDENTIAL_FORMS)(p))  # fmt: skip
def ignore_auth(p: Mapping[str, Any], backend: Backend, mode: str, form: str) -> str | None:
    """Accept requests whose credentials fail (as the primary account): every failure, or only ``mode``
    (none, malformed, bearer_credentials, wrong_secret, empty_secret, other_form_secret, secret_case,
    secret_suffix, username_case, stranger_real_secret, unknown_user) and only for username ``form``
    (api_key, account)."""
    return backend.primary_account if p["mode"] in ("any", mode) and p["form"] in ("any", form) else None


@fault("switch", routes=("create",), stage=Stage.AUTH_ORDER)
def auth_after_validation(p: Mapping[str, Any]) -> bool:
    """Judge the body (400) before the credentials, so an unauthenticated invalid request learns why it is invalid."""
    return True


@fault(
    "transform",
    params={"padding": Param(int, 0, nullable=True, minimum=0, maximum=1_000_000)},
    on="error",
    sees_request=True,
)
def echo_authorization(reply: Reply, p: Mapping[str, Any], state: dict[str, Any], request: Inbound) -> bool:
    """Quote the request's Authorization header in error bodies, as debug messages and some proxies do: in
    ``message`` (after ``padding`` characters of trace id, so a long message can be made), and in ``more_info``
    percent-encoded in the query with its credentials raw in the fragment."""
    header = request.header("authorization")
    if header is None or not isinstance(reply.body, dict):
        return False
    trace = f" trace {'0' * p['padding']}" if p["padding"] else ""
    reply.body["message"] = f"{reply.body.get('message', '')}{trace} (Authorization: {header})"
    if isinstance(reply.body.get("more_info"), str):
        credentials = header.partition(" ")[2]
        reply.body["more_info"] += f"?authorization={urllib.parse.quote(header, safe='')}#{credentials}"
    return True


@fault("transform", params={"name": Param(str, "X-Echo-Request"), "encoding": Param(str, "base64")}, on="any",
       sees_request=True,
       check=lambda p: one_of("encoding", tuple(_REQUEST_ENCODINGS))(p) or header_field("name")(p))  # fmt: skip
def echo_request(reply: Reply, p: Mapping[str, Any], state: dict[str, Any], request: Inbound) -> bool:
    """Copy the whole request (its line and every header, credentials included) into response header ``name``,
    encoded as ``encoding``: ``base64``, ``base64url`` (unpadded), ``percent`` or ``json``, as debugging proxies do."""
    reply.headers[p["name"]] = _REQUEST_ENCODINGS[p["encoding"]](request.text())
    return True
