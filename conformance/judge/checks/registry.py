"""The checks' registry and what a check sees: one case, its answer, and what the run remembers.

A check raises :class:`CheckFailed` with a message that says what was expected and what came
back. Its severity decides what that means: ``fail`` fails the run, ``warn`` is reported (drift,
or what the docs leave open); a run option or the gate policy may change it. Checks that do not
apply to a response (a schema check on a 400, say) are skipped; a check made for some case kinds only
is never even asked about a case of another kind (:meth:`RunState.judging`, worked out once per kind).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from conformance.contract.members import Walked, walk
from conformance.contract.schemas import CREATE_PATH, FETCH_PATH, Contract
from conformance.judge.checks.difference import member_differences, string_difference, summarised
from conformance.kinds import Account, CaseKind, Severity
from conformance.plan.cases import Case
from conformance.send.exchange import Exchange, NotJSON
from conformance.settings import DEFAULT_CLOCK_SKEW_S  # defined with the CLI's defaults; the checks apply it


class CheckFailed(Exception):
    """What the check expected and what came back; ``findings`` lists the items found, for tools."""

    def __init__(self, message: str, findings: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.findings = findings


@dataclass
class RunState:
    """What the checks remember across a run, and the run's policy."""

    contract: Contract
    account_sid: str | None
    conversation_ids: dict[str, str] = field(default_factory=dict)  # id -> case that created it
    participant_ids: dict[str, str] = field(default_factory=dict)
    clock_skew_s: float = DEFAULT_CLOCK_SKEW_S
    severities: dict[str, Severity] = field(default_factory=dict)  # check -> its severity by the user's policy
    seen_accounts: dict[str, str] = field(default_factory=dict)  # accountId -> first case (account not given)
    # configurationId -> (the configuration a create without an override showed, that case)
    shared_configurations: dict[str, tuple[Any, str]] = field(default_factory=dict)
    # (channel, address) sent -> profileId it was sent with (None: none) -> the first case that sent it
    sent_addresses: dict[tuple[Any, Any], dict[Any, str]] = field(default_factory=dict)
    sent_names: dict[str, str] = field(default_factory=dict)  # conversation name sent -> the first case that sent it
    second_account_sid: str | None = None  # the accountId of the second account's conversations, when known
    seen_second_accounts: dict[str, str] = field(default_factory=dict)  # as seen_accounts, for the second account
    # (case kind, allow-list) -> what judging a case of that kind runs: worked out on the first case of each kind
    _judging: dict[tuple[CaseKind, frozenset[str] | None], tuple[Judged, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self.severities = {name: Severity(severity) for name, severity in self.severities.items()}

    def judging(self, kind: CaseKind, allowed: frozenset[str] | None = None) -> tuple[Judged, ...]:
        """Every registered check (of the allow-list, if given), in order, with its severity by this run's policy and
        whether it can apply to a case of ``kind`` at all: one that cannot is skipped without being asked."""
        key = (kind, allowed)
        if key not in self._judging:
            self._judging[key] = tuple(
                Judged(check, self.severities.get(check.name, check.severity), kind in check.kinds)
                for check in CHECKS.values()
                if allowed is None or check.name in allowed
            )
        return self._judging[key]

    def expected_account(self, account: str | None) -> str | None:
        """The accountId conversations created by ``account`` (an Account; None: the first) must carry, if known."""
        return self.second_account_sid if account == Account.SECOND else self.account_sid


@dataclass
class Context:
    case: Case
    response: Exchange
    state: RunState
    # GET /v2/Conversations/{id} after a 201; after a read of another account's conversation, the same caller's
    # GET of an id never created (what that read must look like)
    fetched: Exchange | None = None
    # id of a body -> (the body, kept so its id stays its own; its walk)
    _walked: dict[int, tuple[Any, Walked]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def walked(self, conversation: dict[str, Any]) -> Walked:
        """A conversation this case got back (created or read back), walked beside the schema once for every
        check that reads the walk (the bodies are parsed once: ``Exchange.json``)."""
        key = id(conversation)
        if key not in self._walked:
            self._walked[key] = (conversation, walk(self.state.contract, "conversation", conversation))
        return self._walked[key][1]

    @property
    def status(self) -> int | None:
        return self.response.status

    @property
    def operation(self) -> tuple[str, str]:
        """The documented operation the case's request calls: (path template, method)."""
        return (FETCH_PATH, "GET") if self.case.method == "GET" else (CREATE_PATH, "POST")

    @property
    def body(self) -> Any:
        """The parsed body, or None when it does not parse (content_type_conformance reports that)."""
        try:
            return self.response.json
        except NotJSON:
            return None

    @property
    def created(self) -> dict[str, Any] | None:
        return self.response.created

    @property
    def read_back(self) -> Exchange | None:
        """The GET of the conversation this case created, when there was one."""
        return self.fetched if self.case.kind != CaseKind.CROSS_ACCOUNT else None

    @property
    def fetched_body(self) -> dict[str, Any] | None:
        """The read-back's body when it answered 200 with an object."""
        if self.read_back is None or self.fetched is None or self.fetched.status != 200:
            return None
        try:
            body = self.fetched.json
        except NotJSON:
            return None
        return body if isinstance(body, dict) else None


@dataclass(frozen=True)
class Check:
    name: str
    severity: Severity
    applies: Callable[[Context], bool]  # asked only about cases of ``kinds``
    run: Callable[[Context], None]
    description: str
    kinds: frozenset[CaseKind] = frozenset(CaseKind)  # the case kinds it can apply to


@dataclass(frozen=True)
class Judged:
    """A check as one run judges cases of one kind with it."""

    check: Check
    severity: Severity  # the check's own, or the user's policy for it
    can_apply: bool  # False: the case's kind is not one of the check's, so it is skipped unasked


CHECKS: dict[str, Check] = {}


def check(*, severity: Severity = Severity.FAIL, kinds: Iterable[CaseKind] = CaseKind,
          applies: Callable[[Context], bool] = lambda ctx: True) -> Callable:  # fmt: skip
    """Register a check under its function name (the name users put in allow-lists). ``kinds``: the case kinds it can
    apply to (all by default); ``applies`` then says, per case of those kinds, whether it does."""

    def register(func: Callable[[Context], None]) -> Callable[[Context], None]:
        description = (func.__doc__ or "").strip().splitlines()[0]
        CHECKS[func.__name__] = Check(func.__name__, Severity(severity), applies, func, description, frozenset(kinds))
        return func

    return register


# --- helpers the checks share ------------------------------------------------------------------


def answered(ctx: Context) -> bool:
    return ctx.status is not None


def is_error(ctx: Context) -> bool:
    return ctx.status is not None and ctx.status >= 400


MESSAGE_LIMIT = 200  # characters of the API's own message quoted beside an unexpected status


def why(ctx: Context) -> str:
    """The API's own explanation of an error, to put beside an unexpected status."""
    body = ctx.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return f" ({clipped(body['message'], MESSAGE_LIMIT)})"
    return ""


def clipped(text: str, limit: int) -> str:
    """``text`` within about ``limit`` characters, cut between words (never inside one), marked with "…": a cut is
    always marked, so the redactor can tell a credential cut short (see ``record/cassettes/secret_forms.py``)."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,;:(") + " …"


def json_media_type_problem(content_type: str | None) -> str | None:
    """Why a Content-Type is not JSON's: not ``application/json``, or a charset other than UTF-8 (RFC 8259 8.1)."""
    media_type, *params = (part.strip() for part in (content_type or "").split(";"))
    if media_type.lower() != "application/json":
        return f'Content-Type is {shown(content_type or ABSENT)}, expected "application/json"'
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return f"Content-Type is {shown(content_type)}: JSON is UTF-8 (RFC 8259 8.1), not {value.strip()}"
    return None


# RFC 3339 5.6 date-time: Python's fromisoformat also takes a space or no separator, no offset, basic and week forms
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})\Z")


def instant(value: Any) -> datetime | None:
    """An RFC 3339 timestamp with an offset, or None (the schema check reports malformed ones)."""
    if not isinstance(value, str) or not _RFC3339.match(value):
        return None
    try:  # RFC 3339 allows a lower-case t and z; Python's parser wants them upper case
        parsed = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def timestamped(body: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path prefix, object) for the conversation and each participant: the objects that carry timestamps."""
    yield "", body
    participants = body.get("participants")
    for i, participant in enumerate(participants if isinstance(participants, list) else []):
        if isinstance(participant, dict):
            yield f"participants[{i}].", participant


def schema_problems(contract: Contract, name: str, instance: Any) -> list[str]:
    """Schema violations, except a string outside an enum: ``undocumented_enum_values`` judges those."""
    problems = []
    for error in contract.errors(name, instance):
        if error.validator == "enum" and isinstance(error.instance, str):
            continue
        where = pointer(error.absolute_path) or "(root)"
        problems.append(f"{where}: {error.message}")
    return problems


def pointer(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# --- messages: values as JSON, and differences a reader could not see ----------------------------

ABSENT = object()


def member(body: dict[str, Any], key: str) -> Any:
    """A returned member's value, null included (null is an answer), or ABSENT when the body leaves it out."""
    return body.get(key, ABSENT)


def listed(value: Any) -> list[Any]:
    """A member that should be an array, as one (the schema check reports when it is not)."""
    return value if isinstance(value, list) else []


WHOLE = 100  # characters of a value printed whole in a message; a longer one is cut (and said to be)


def shown(value: Any, limit: int = WHOLE + 20) -> str:
    """A value as JSON (``null``, quoted strings), or ``absent``; long values cut with their length."""
    if value is ABSENT:
        return "absent"
    text = json.dumps(value, ensure_ascii=False)
    if len(text) > limit:
        size = f"{len(value)} characters" if isinstance(value, str) else f"{len(text)} characters of JSON"
        return f"{text[: limit - 20]}… ({size})"
    return text


def how_differs(sent: Any, got: Any, ours: bool = False) -> str:
    """Why two values are not equal, when printing them would not show it: text alike to the eye (letter case,
    spaces, Unicode forms), and a cut. With ``ours`` (``sent`` is what the suite sent), where two strings part and
    the members of lists or objects that differ (:mod:`conformance.judge.checks.difference`): what the vendor changed in
    a value the suite generated, never a stretch of a value that was the vendor's own (personal data, maybe)."""
    if ours and isinstance(sent, dict | list) and isinstance(got, dict | list):
        return f"; differing: {summarised(member_differences(sent, got))}"
    if not (isinstance(sent, str) and isinstance(got, str)) or sent == got:
        return ""
    if sent.lower() == got.lower():
        note = " (differs only in letter case)"
    elif sent.strip() == got.strip():
        note = " (differs only in leading or trailing whitespace)"
    elif unicodedata.normalize("NFC", sent) == unicodedata.normalize("NFC", got):
        return " (same text in another Unicode normalisation form)"  # where they part would only confuse
    elif unicodedata.normalize("NFKC", sent) == unicodedata.normalize("NFKC", got):
        note = " (differs only by compatibility characters)"
    elif ours:
        note = ""
    elif sent.startswith(got) and got:
        return f" (cut to {len(got)} of {len(sent)} characters)"
    elif len(sent) == len(got):
        at = next(i for i, (a, b) in enumerate(zip(sent, got, strict=True)) if a != b)
        return f" (first difference at character {at}: U+{ord(sent[at]):04X} sent, U+{ord(got[at]):04X} returned)"
    else:
        return ""
    window = string_difference(sent, got) if ours else None
    return note + (f"; {window}" if window else "")


def compared(what: str, sent: Any, got: Any) -> str:
    """``what`` sent X, got Y, with how they differ (:func:`how_differs`); two long strings that share a start or
    an end by their lengths and where they part, not by their first characters."""
    long = isinstance(sent, str) and isinstance(got, str) and max(len(sent), len(got)) > WHOLE
    if long and string_difference(sent, got):
        return f"{what} sent {len(sent):,} characters, got {len(got):,}{how_differs(sent, got, ours=True)}"
    return f"{what} sent {shown(sent)}, got {shown(got)}{how_differs(sent, got, ours=True)}"
