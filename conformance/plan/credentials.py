"""Credentials the suite makes up to be refused, and where the real ones come from. No secret lives here.

Light on purpose: the client, the exchange (for reproduce lines) and the redactor all need it.
"""

from __future__ import annotations

import base64
from typing import Final

from conformance import vendor
from conformance.kinds import Account, CredentialForm

WRONG_SECRET: Final = "not-the-secret"  # the password of the wrong-credentials cases
# Well-formed SIDs that are no real account or key, and none of the placeholders the project writes
# (redaction uses AC/SK followed by zeros and a small counter; the emulator's test key is all zeros).
UNKNOWN_USERS: Final[dict[str, str]] = {
    CredentialForm.API_KEY: vendor.API_KEY_SID_PREFIX + "7e57" * 8,
    CredentialForm.ACCOUNT: vendor.ACCOUNT_SID_PREFIX + "7e57" * 8,
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
SECOND_CREDENTIAL_VARIABLES: Final[dict[str, tuple[str, str]]] = {  # the second account's (cross-account cases)
    CredentialForm.API_KEY: (vendor.ENV_SECOND_API_KEY, vendor.ENV_SECOND_API_SECRET),
    CredentialForm.ACCOUNT: (vendor.ENV_SECOND_ACCOUNT_SID, vendor.ENV_SECOND_AUTH_TOKEN),
}


def credential_variables(account: str | None) -> dict[str, tuple[str, str]]:
    """The variables each form of ``account`` (an Account; None: the first) is read from."""
    return SECOND_CREDENTIAL_VARIABLES if account == Account.SECOND else CREDENTIAL_VARIABLES
