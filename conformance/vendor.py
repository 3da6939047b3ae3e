"""Facts about the vendor that are not schema shapes: error codes, credential forms, wire habits.

One place for them, so the emulator that produces errors and the checks that judge them
cannot drift apart. Source: ../shared/docs/child-properties.md (Transport and auth).
"""

from __future__ import annotations

import re
from typing import Final

DEFAULT_BASE_URL: Final = "https://conversations.twilio.com"

# HTTP status -> the vendor error code the docs state for it as a fact: a different code fails a run.
STATED_ERROR_CODES: Final[dict[int, int]] = {
    401: 20003,  # "Failed authentication ... is 401 with error code 20003"
}
# HTTP status -> the code the docs give only as an example ("e.g. ..."): a different code is reported.
EXAMPLE_ERROR_CODES: Final[dict[int, int]] = {
    400: 20001,  # invalid parameter
    404: 20404,  # not found
    429: 20429,  # too many requests
}
ERROR_CODES: Final[dict[int, int]] = {**EXAMPLE_ERROR_CODES, **STATED_ERROR_CODES}
# Statuses the docs list but give no code for; the emulator's choice is recorded in the README.
ASSUMED_ERROR_CODES: Final[dict[int, int]] = {
    405: 20001,
    409: 20409,
    413: 20001,
    415: 20001,
    500: 20500,
    503: 20503,
}


def more_info_url(code: int) -> str:
    return f"https://www.twilio.com/docs/errors/{code}"


ACCOUNT_SID_PREFIX: Final = "AC"
API_KEY_SID_PREFIX: Final = "SK"
SID_DIGITS: Final = 32  # hex digits after a SID's two-letter prefix
ACCOUNT_SID_PATTERN: Final = re.compile(rf"^{ACCOUNT_SID_PREFIX}[0-9a-fA-F]{{{SID_DIGITS}}}$")
API_KEY_SID_PATTERN: Final = re.compile(rf"^{API_KEY_SID_PREFIX}[0-9a-fA-F]{{{SID_DIGITS}}}$")

CONVERSATION_ID_PREFIX: Final = "conv_conversation_"
PARTICIPANT_ID_PREFIX: Final = "conv_participant_"
CONFIGURATION_ID_PREFIX: Final = "conv_configuration_"

# Environment variables shared by the live target and the emulator, so one shell drives both.
ENV_ACCOUNT_SID: Final = "TWILIO_ACCOUNT_SID"
ENV_AUTH_TOKEN: Final = "TWILIO_AUTH_TOKEN"
ENV_API_KEY: Final = "TWILIO_API_KEY"
ENV_API_SECRET: Final = "TWILIO_API_SECRET"
ENV_CONFIGURATION_ID: Final = "CONFORMANCE_CONFIGURATION_ID"
ENV_BASE_URL: Final = "CONFORMANCE_BASE_URL"
# The second account of the cross-account cases (a subaccount will do), under the names CI secrets set.
ENV_SECOND_API_KEY: Final = "CONFORMANCE_SECOND_API_KEY"
ENV_SECOND_API_SECRET: Final = "CONFORMANCE_SECOND_API_SECRET"
ENV_SECOND_ACCOUNT_SID: Final = "CONFORMANCE_SECOND_ACCOUNT_SID"
ENV_SECOND_AUTH_TOKEN: Final = "CONFORMANCE_SECOND_AUTH_TOKEN"
ENV_SECOND_CONFIGURATION_ID: Final = "CONFORMANCE_SECOND_CONFIGURATION_ID"
# Each account's variables: account SID, auth token, API key SID, API secret (the emulator reads them in this order).
FIRST_ACCOUNT_VARIABLES: Final = (ENV_ACCOUNT_SID, ENV_AUTH_TOKEN, ENV_API_KEY, ENV_API_SECRET)
SECOND_ACCOUNT_VARIABLES: Final = (ENV_SECOND_ACCOUNT_SID, ENV_SECOND_AUTH_TOKEN, ENV_SECOND_API_KEY,
                                   ENV_SECOND_API_SECRET)  # fmt: skip
# Each login's pair of variables (user, password), both accounts, both credential forms; the password variables
# are what redaction hides wherever they are set, and what is refused when too short to be told apart.
LOGIN_VARIABLES: Final = tuple((account[i], account[i + 1]) for account in (FIRST_ACCOUNT_VARIABLES,
                               SECOND_ACCOUNT_VARIABLES) for i in (0, 2))  # fmt: skip
SECRET_VARIABLES: Final = tuple(password for _user, password in LOGIN_VARIABLES)
# Every variable that picks the target or signs in to it (what a test clears so the caller's shell cannot leak in).
TARGET_VARIABLES: Final = (ENV_API_KEY, ENV_API_SECRET, ENV_ACCOUNT_SID, ENV_AUTH_TOKEN, ENV_SECOND_API_KEY,
                           ENV_SECOND_API_SECRET, ENV_SECOND_ACCOUNT_SID, ENV_SECOND_AUTH_TOKEN,
                           ENV_SECOND_CONFIGURATION_ID, ENV_CONFIGURATION_ID, ENV_BASE_URL)  # fmt: skip

# Headers the docs name for this operation.
IDEMPOTENCY_KEY_HEADER: Final = "Idempotency-Key"
CONFLICTING_RESOURCE_ID_HEADER: Final = "X-Conflicting-Resource-Id"


def error_code(status: int) -> int:
    """The vendor error code for an HTTP status: documented where the docs name one, else assumed."""
    return ERROR_CODES.get(status) or ASSUMED_ERROR_CODES.get(status) or ERROR_CODES[400]
