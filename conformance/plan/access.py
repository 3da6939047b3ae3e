"""Who may call what: the authentication matrix, auth precedence, and ids that were never created.

Every route the suite calls (the create and the read-back GET) x every credential form the run
has x every way to fail (none; a wrong, empty or the other form's secret; an unknown user;
a malformed header) must be 401 with the vendor error body and code 20003. Authentication comes
first: a request that is also invalid, or names an unknown configuration, is still 401. A GET of
an id never created is 404.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from enum import IntEnum, unique
from typing import Any

from conformance.contract.schemas import CREATE_PATH, FETCH_PATH
from conformance.kinds import AuthMode, CaseKind
from conformance.plan.auth_modes import tried_with
from conformance.plan.cases import CREATED_ACCOUNT_ID, CREATED_ID, CREATED_PARTICIPANT_ID, Case
from conformance.plan.credentials import FORM_LABELS, MALFORMED_AUTHORIZATION
from conformance.vendor import CONFIGURATION_ID_PREFIX, CONVERSATION_ID_PREFIX

# The modes sent with a credential form, in plan order, and how a case of each describes itself. The near
# misses of the real credentials (case, suffix, stranger, Bearer) get in where a comparison is lenient.
WITH_A_FORM: dict[str, Callable[[str], str]] = {
    AuthMode.WRONG_SECRET: lambda form: f"wrong secret ({FORM_LABELS[form]})",
    AuthMode.EMPTY_SECRET: lambda form: f"empty secret ({FORM_LABELS[form]})",
    AuthMode.SECRET_CASE: lambda form: f"the secret in another letter case ({FORM_LABELS[form]})",
    AuthMode.SECRET_SUFFIX: lambda form: f"the secret with a character appended ({FORM_LABELS[form]})",
    AuthMode.USERNAME_CASE: lambda form: f"the username in lower case ({FORM_LABELS[form]})",
    AuthMode.STRANGER_REAL_SECRET: lambda form: f"an unknown username with the real secret ({FORM_LABELS[form]})",
    AuthMode.BEARER_CREDENTIALS: lambda form: f"the real credentials under the Bearer scheme ({FORM_LABELS[form]})",
    AuthMode.OTHER_FORM_SECRET: lambda form: f"the other form's secret ({FORM_LABELS[form]} username)",
    AuthMode.UNKNOWN_USER: lambda form: f"unknown user ({FORM_LABELS[form]} form)",
}
_ROUTES = {"create": ("POST", CREATE_PATH), "fetch": ("GET", FETCH_PATH.replace("{id}", CREATED_ID))}


@unique
class NeverCreated(IntEnum):
    """``never_created_id``'s index for each purpose that needs an id never created: one each, so no two purposes
    send the same (random) id. The ``not_found`` cases take 0, 1, ... (their count), below all of these."""

    UNKNOWN_ID_AUTH = 50  # the unauthenticated GETs of an id never created
    UNKNOWN_CONFIGURATION = 99  # an unknown configurationId (credentials judged first)
    CONVERSATION = 1000  # the run's first conversation, read before any create answered
    PARTICIPANT = 1001  # its participant, likewise
    ACCOUNT = 1002  # its account, likewise
    SECOND_CONVERSATION = 1003  # the second account's conversation, likewise
    COMPARED = 1004  # the same caller's GET a cross-account read is compared with


def never_created_id(at_seed: int, index: int = 0, prefix: str = CONVERSATION_ID_PREFIX) -> str:
    """An id of the documented shape (a conversation's by default) that no create returned (seeded)."""
    rng = random.Random(at_seed * 7919 + index)
    return prefix + "".join(rng.choice("0123456789abcdefghjkmnpqrstvwxyz") for _ in range(26))


def auth_cases(configuration_id: str, forms: Sequence[str]) -> Iterator[list[Case]]:
    """The matrix, one family per route and failure mode (so a small budget still touches each)."""
    good = {"configurationId": configuration_id}
    for route, (method, path) in _ROUTES.items():
        where = f"{method} {path.replace(CREATED_ID, '{id}')}"
        request: dict[str, Any] = {"payload": good} if method == "POST" else {"raw_body": b"", "content_type": None}
        common = {"method": method, "path": path, **request}

        def case(mode: str, suffix: str, what: str, route: str = route, where: str = where,
                 common: dict[str, Any] = common, **extra: Any) -> Case:  # fmt: skip
            return Case(f"auth/{route}/{mode}/{suffix}", CaseKind.AUTH, f"credentials: {what} on {where}",
                        auth=mode, **common, **extra)  # fmt: skip

        yield [case(AuthMode.NONE, "0", "none")]
        yield [case(AuthMode.MALFORMED, str(i), f"malformed credentials header ({why})", authorization=header)
               for i, (why, header) in enumerate(MALFORMED_AUTHORIZATION.items())]  # fmt: skip
        # Each mode with the forms it belongs to (auth_modes): the other form's secret needs both; an unknown
        # user needs no credentials of ours, so every form is tried whatever the run has.
        for mode, what in WITH_A_FORM.items():
            family = [case(mode, form, what(form), credentials=form) for form in tried_with(mode, forms)]
            if family:
                yield family


def unknown_id_auth_cases(at_seed: int) -> list[Case]:
    """Unauthenticated GETs of an id that was never created: 401, not 404 (credentials come first)."""
    path = FETCH_PATH.replace("{id}", never_created_id(at_seed, NeverCreated.UNKNOWN_ID_AUTH))
    return [Case(f"auth/fetch_unknown/{mode}/0", CaseKind.AUTH, f"credentials: {mode.replace('_', ' ')} on GET of an "
                 "id never created", raw_body=b"", content_type=None, method="GET", path=path, auth=mode)
            for mode in (AuthMode.NONE, AuthMode.WRONG_SECRET)]  # fmt: skip


def precedence_cases(configuration_id: str, at_seed: int) -> list[Case]:
    """Unauthenticated requests that are also wrong in another way: authentication is judged first."""
    unknown = never_created_id(at_seed, NeverCreated.UNKNOWN_CONFIGURATION, CONFIGURATION_ID_PREFIX)
    what = "credentials checked before the body"
    return [
        Case("auth/precedence/0", CaseKind.AUTH, f"{what}: no credentials and an invalid body",
             {"participants": "not-a-list"}, auth=AuthMode.NONE),
        Case("auth/precedence/1", CaseKind.AUTH, f"{what}: wrong secret and an unknown configuration",
             {"configurationId": unknown}, auth=AuthMode.WRONG_SECRET),
        Case("auth/precedence/2", CaseKind.AUTH, f"{what}: malformed header and a body that is not JSON",
             raw_body=b'{"configurationId": ', auth=AuthMode.MALFORMED,
             authorization=MALFORMED_AUTHORIZATION["not base64"]),
    ]  # fmt: skip


def credential_form_cases(configuration_id: str, forms: Sequence[str], body: dict[str, Any]) -> list[Case]:
    """A valid create (and its read-back) with each credential form the run has, carrying a full ``body``."""
    return [Case(f"valid/credentials/{form}", CaseKind.VALID, f"valid: authenticated with {FORM_LABELS[form]}",
                 {**body, "configurationId": configuration_id, "name": f"Created with {form}"}, credentials=form)
            for form in forms]  # fmt: skip


def not_found_cases(at_seed: int, count: int = 2) -> list[Case]:
    """GET of conversation ids no create returned."""
    return [Case(f"not_found/{i}", CaseKind.NOT_FOUND, "GET of a conversation id that was never created",
                 raw_body=b"", content_type=None, method="GET",
                 path=FETCH_PATH.replace("{id}", never_created_id(at_seed, i))) for i in range(count)]  # fmt: skip


def other_kind_id_cases(configuration_id: str) -> list[Case]:
    """GET, on the conversation route, of ids the run knows that name something else: they name no conversation."""
    others = {"participant": CREATED_PARTICIPANT_ID, "account": CREATED_ACCOUNT_ID, "configuration": configuration_id}
    return [Case(f"not_found/other_kind/{kind}", CaseKind.NOT_FOUND, f"GET of a {kind} id on the conversation route",
                 raw_body=b"", content_type=None, method="GET", path=FETCH_PATH.replace("{id}", value))
            for kind, value in others.items()]  # fmt: skip
