"""The run's vocabularies, each defined once: case kinds, credential modes and forms, outcomes.

Light on purpose (no contract, no Hypothesis): the report commands and the replay reader
import it, and ``schemas/report.schema.json`` is tested to list exactly these values.
"""

from __future__ import annotations

from enum import StrEnum


class CaseKind(StrEnum):
    """What a case asks of the API, and so which status the contract calls for."""

    VALID = "valid"  # a create the docs allow: 201, echoed, read back
    INVALID = "invalid"  # one documented rule broken: 400
    UNKNOWN_CONFIGURATION = "unknown_configuration"  # a configurationId that does not exist: 404
    AUTH = "auth"  # missing or wrong credentials, on any route: 401
    NOT_FOUND = "not_found"  # GET of a conversation id never created: 404
    CROSS_ACCOUNT = "cross_account"  # one account reaching the other's conversation or configuration: 404


class AuthMode(StrEnum):
    """How a request authenticates; never the credential itself."""

    VALID = "valid"
    NONE = "none"  # no Authorization header
    WRONG_SECRET = "wrong_secret"  # a real username, a wrong password
    EMPTY_SECRET = "empty_secret"  # a real username, an empty password
    OTHER_FORM_SECRET = "other_form_secret"  # a real username with the secret of the account's other form
    SECRET_CASE = "secret_case"  # the real secret with its letter case swapped
    SECRET_SUFFIX = "secret_suffix"  # the real secret with a character appended
    USERNAME_CASE = "username_case"  # the real username in lower case, the real secret
    STRANGER_REAL_SECRET = "stranger_real_secret"  # an unknown SID of the same form with the real secret
    BEARER_CREDENTIALS = "bearer_credentials"  # the real username:secret, base64, under the Bearer scheme
    UNKNOWN_USER = "unknown_user"  # a well-formed SID that is no account or key of ours
    MALFORMED = "malformed"  # an Authorization header that is not valid Basic credentials


class Account(StrEnum):
    """Which of the run's accounts a request authenticates as (never its credentials). The account the run is about
    (TWILIO_*) is the default, written as no account at all (None, absent), so only the other one is named."""

    SECOND = "second"  # the other account of the cross-account cases (CONFORMANCE_SECOND_*)


class CredentialForm(StrEnum):
    """The two username/password forms the docs allow for HTTP Basic auth."""

    API_KEY = "api_key"  # API key SID + secret (the docs recommend it)
    ACCOUNT = "account"  # Account SID + auth token


class CaseOutcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    INCONCLUSIVE = "inconclusive"  # throttled or unanswered: no verdict on the contract
    NOT_RUN = "not_run"  # budget spent or interrupted before it was sent


class CheckOutcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    WARNED = "warned"
    SKIPPED = "skipped"


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)
