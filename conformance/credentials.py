"""Credentials the suite makes up to be refused, and where the real ones come from. No secret lives here.

Light on purpose: the client, the exchange (for reproduce lines) and the redactor all need it.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Final

from conformance import vendor
from conformance.kinds import AuthMode, CredentialForm

WRONG_SECRET: Final = "not-the-secret"  # the password of the wrong-credentials cases
# Well-formed SIDs that are no real account or key, and none of the placeholders the project writes
# (redaction uses AC/SK followed by zeros and a small counter; the emulator's test key is all zeros).
UNKNOWN_USERS: Final[dict[str, str]] = {
    CredentialForm.API_KEY: "SK" + "7e57" * 8,
    CredentialForm.ACCOUNT: "AC" + "7e57" * 8,
}
# Authorization headers that are not valid Basic credentials, by what is wrong with them.
MALFORMED_AUTHORIZATION: Final[dict[str, str]] = {
    "not base64": "Basic !!not-base64!!",
    "no colon": "Basic " + base64.b64encode(UNKNOWN_USERS[CredentialForm.API_KEY].encode()).decode(),
    "another scheme": "Bearer " + "0" * 32,
}
FORM_LABELS: Final[dict[str, str]] = {
    CredentialForm.API_KEY: "API key SID + secret",
    CredentialForm.ACCOUNT: "Account SID + auth token",
}
# The environment variables each form is read from (live target, emulator), as a reproduce line names them.
CREDENTIAL_VARIABLES: Final[dict[str, tuple[str, str]]] = {
    CredentialForm.API_KEY: (vendor.ENV_API_KEY, vendor.ENV_API_SECRET),
    CredentialForm.ACCOUNT: (vendor.ENV_ACCOUNT_SID, vendor.ENV_AUTH_TOKEN),
}


def near_miss(mode: str, user: str, password: str) -> str:
    """The password a credentials mode sends for a real ``user``/``password`` pair (the pair itself when valid)."""
    if mode == AuthMode.WRONG_SECRET:
        return WRONG_SECRET
    if mode == AuthMode.EMPTY_SECRET:
        return ""
    if mode == AuthMode.SECRET_CASE:
        return password.swapcase() if password.swapcase() != password else password + "A"
    if mode == AuthMode.SECRET_SUFFIX:
        return password + "x"
    return password  # valid, other_form_secret (swapped by the caller), username_case (the user changes)


def sent_login(mode: str, form: str, logins: Mapping[str, tuple[str, str]]) -> tuple[str, str] | None:
    """The (username, password) a credentials mode sends for ``form`` (under Basic, or Bearer for
    ``bearer_credentials``); None when it sends no header of its own making (none, malformed)."""
    if mode in (AuthMode.NONE, AuthMode.MALFORMED):
        return None
    if mode == AuthMode.UNKNOWN_USER:  # needs no login of that form
        return UNKNOWN_USERS[form], WRONG_SECRET
    user, password = logins[form]
    if mode == AuthMode.BEARER_CREDENTIALS:
        return user, password
    if mode == AuthMode.STRANGER_REAL_SECRET:
        return UNKNOWN_USERS[form], password
    if mode == AuthMode.USERNAME_CASE:
        user = user.lower() if user.lower() != user else user.upper()
    if mode == AuthMode.OTHER_FORM_SECRET:
        password = next(secret for other, (_user, secret) in logins.items() if other != form)
    return user, near_miss(mode, user, password)


def sent_logins(logins: Mapping[str, tuple[str, str]]) -> set[tuple[str, str]]:
    """Every (username, password) a run with these logins can send, in any mode and form: what redaction hunts."""
    return {pair for mode in AuthMode for form in logins
            if not (mode == AuthMode.OTHER_FORM_SECRET and len(logins) < 2)
            and (pair := sent_login(mode, form, logins)) is not None}  # fmt: skip


def near_misses(secret: str) -> set[str]:
    """``secret`` and every password a mode makes from it (the made-up wrong and empty ones are no secret)."""
    return {near_miss(mode, "", secret) for mode in AuthMode} - {WRONG_SECRET, ""} | {secret}
