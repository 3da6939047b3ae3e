"""One account never reaches another's conversations (broken object-level authorization, OWASP API1).

The docs make every resource belong to an account, and the vendor's error model answers a resource the
caller cannot see with 404. So, with every credential form each account has:

- the second account reading a conversation the first created is 404, and looks exactly like a GET of an
  id that never existed (same status, code and body members: each such read is followed by that GET, by the
  same caller, as its second request);
- the second account creating with the first's configurationId is 404;
- the second account creating with its own configuration is 201, and the conversation is its own;
- the first account reading that conversation is 404;
- wrong credentials for either account are 401 before any of that.

Without a second account (a live run with no ``CONFORMANCE_SECOND_*``) the cases are planned all the same
and listed as not run, with the reason (:data:`conformance.send.targets.SECOND_ACCOUNT_MISSING`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from conformance.contract.schemas import CREATE_PATH, FETCH_PATH
from conformance.kinds import Account, AuthMode, CaseKind, CredentialForm
from conformance.plan.cases import CREATED_BY_SECOND, CREATED_ID, Case
from conformance.plan.credentials import FORM_LABELS

FAMILY = "cross_account/"
LISTED_FORMS = (CredentialForm.API_KEY,)  # the second account's forms when the run has none (listed, not sent)
_READ: dict[str, Any] = {"raw_body": b"", "content_type": None, "method": "GET"}


def cross_account_cases(configuration_id: str, forms: Sequence[str], second_forms: Sequence[str],
                        second_configuration_id: str | None, body: dict[str, Any]) -> list[Case]:  # fmt: skip
    """The family, in the order its cases depend on each other (the second's create before reads of it)."""
    seconds = tuple(second_forms) or LISTED_FORMS
    of_first, of_second = FETCH_PATH.replace("{id}", CREATED_ID), FETCH_PATH.replace("{id}", CREATED_BY_SECOND)
    second = Account.SECOND
    cases: list[Case] = []
    cases += [Case(f"{FAMILY}auth/second_reads_first/{form}", CaseKind.AUTH,
                   f"credentials: the second account's wrong secret ({FORM_LABELS[form]}) reading the first's "
                   "conversation", **_READ, path=of_first, auth=AuthMode.WRONG_SECRET, credentials=form,
                   account=second) for form in seconds]  # fmt: skip
    cases += [Case(f"{FAMILY}read/second_reads_first/{form}", CaseKind.CROSS_ACCOUNT,
                   f"the second account ({FORM_LABELS[form]}) reading the first's conversation", **_READ,
                   path=of_first, credentials=form, account=second) for form in seconds]  # fmt: skip
    cases += [Case(f"{FAMILY}configuration/second_uses_first/{form}", CaseKind.CROSS_ACCOUNT,
                   f"the second account ({FORM_LABELS[form]}) creating with the first's configurationId",
                   {**body, "configurationId": configuration_id}, path=CREATE_PATH, credentials=form,
                   account=second) for form in seconds]  # fmt: skip
    cases += [Case(f"{FAMILY}create/second/{form}", CaseKind.VALID,
                   f"valid: the second account ({FORM_LABELS[form]}) creating with its own configuration",
                   {**body, "configurationId": second_configuration_id or "", "name": f"Second account, {form}"},
                   credentials=form, account=second) for form in seconds]  # fmt: skip
    cases += [Case(f"{FAMILY}auth/first_reads_second/{form}", CaseKind.AUTH,
                   f"credentials: the first account's wrong secret ({FORM_LABELS[form]}) reading the second's "
                   "conversation", **_READ, path=of_second, auth=AuthMode.WRONG_SECRET,
                   credentials=form) for form in forms]  # fmt: skip
    cases += [Case(f"{FAMILY}read/first_reads_second/{form}", CaseKind.CROSS_ACCOUNT,
                   f"the first account ({FORM_LABELS[form]}) reading the second's conversation", **_READ,
                   path=of_second, credentials=form) for form in forms]  # fmt: skip
    return cases


def compared_with_never_created(case: Case) -> bool:
    """Whether the case is a read of another account's conversation (its second request: an id never created)."""
    return case.kind == CaseKind.CROSS_ACCOUNT and case.method == "GET"


def crosses(case: Case) -> bool:
    """Whether ``case`` needs the second account: it authenticates as it, or reads what it created."""
    return case.account == Account.SECOND or CREATED_BY_SECOND in case.path
