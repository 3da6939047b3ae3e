"""The run's vocabularies, each defined once: case kinds, credential modes and forms, outcomes, case families.

Light on purpose (no contract, no Hypothesis): the report commands and the replay reader
import it, and ``schemas/report.schema.json`` is tested to list exactly these values.
"""

from __future__ import annotations

from enum import StrEnum


class CaseKind(StrEnum):
    """What a case asks of the API, and so the status the contract calls for: :meth:`expected_status`, the one
    place each kind's status is written (the cases, the checks and the schemathesis adapter read it)."""

    VALID = "valid", 201, 200  # a create the docs allow: 201, echoed, read back (a read of what exists: 200)
    INVALID = "invalid", 400  # one documented rule broken
    UNKNOWN_CONFIGURATION = "unknown_configuration", 404  # a configurationId that does not exist
    AUTH = "auth", 401  # missing or wrong credentials, on any route
    NOT_FOUND = "not_found", 404  # GET of a conversation id never created
    CROSS_ACCOUNT = "cross_account", 404  # one account reaching the other's conversation or configuration

    _create_status: int
    _read_status: int

    def __new__(cls, value: str, create_status: int, read_status: int | None = None) -> CaseKind:
        member = str.__new__(cls, value)
        member._value_ = value
        member._create_status = create_status
        member._read_status = create_status if read_status is None else read_status
        return member

    def expected_status(self, method: str) -> int:
        """The status the contract calls for on a case of this kind sent with ``method``."""
        return self._read_status if method == "GET" else self._create_status


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


UNJUDGED = frozenset({CaseOutcome.INCONCLUSIVE, CaseOutcome.NOT_RUN})  # no verdict on the contract either way


class CheckOutcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    WARNED = "warned"
    SKIPPED = "skipped"


FOUND = frozenset({CheckOutcome.FAILED, CheckOutcome.WARNED})  # a check that found something, at either severity


class Severity(StrEnum):
    """What a check's failure means: ``fail`` fails the run, ``warn`` is reported (the user's policy may change it)."""

    FAIL = "fail"
    WARN = "warn"

    @property
    def failure(self) -> CheckOutcome:
        """The outcome a check of this severity has when it finds something."""
        return CheckOutcome.FAILED if self is Severity.FAIL else CheckOutcome.WARNED


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


def family_of(case_id: str) -> str:
    """A case's family: its id up to the last '/' (``invalid/name.type/3`` -> ``invalid/name.type``)."""
    return case_id.rsplit("/", 1)[0] if "/" in case_id else case_id
