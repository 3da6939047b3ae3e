"""Every credentials mode a case can send, each defined once: the header it sends, how a curl line repeats it,
and which credential form it belongs to.

The client sends these headers, reproduce and the reports print the curl lines, parity re-sends the headers,
and the emulator names a refused login by the same modes. Light on purpose (no HTTP, no contract).
"""

from __future__ import annotations

import base64
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from conformance.kinds import AuthMode, CredentialForm
from conformance.plan.credentials import MALFORMED_AUTHORIZATION, UNKNOWN_USERS, WRONG_SECRET


class Belongs(StrEnum):
    """Which credential forms a mode is tried with."""

    EACH_FORM = "each_form"  # every form the run has credentials for
    BOTH_FORMS = "both_forms"  # only when the account has both forms (it mixes them)
    ANY_FORM = "any_form"  # every form, whatever the run has (it needs no credentials of ours)
    NO_FORM = "no_form"  # no username at all


@dataclass(frozen=True)
class Login:
    """The real credentials a mode starts from, and what some modes need beside them."""

    form: str  # a CredentialForm
    user: str = ""
    password: str = ""
    other_password: str | None = None  # the secret of the account's other form (other_form_secret)
    authorization: str | None = None  # the header a malformed case sends as it is


@dataclass(frozen=True)
class CurlNames:
    """What a curl line may name: environment variables for the real credentials, made-up values as they are."""

    user: str  # the variable holding the username
    password: str  # the variable holding the password
    other_password: str  # the variable holding the secret of the account's other form
    username: str | None = None  # the made-up SID the case sent (unknown_user, stranger_real_secret)
    authorization: str | None = None  # the malformed header the case sent


@dataclass(frozen=True)
class ModeDefinition:
    mode: AuthMode
    belongs: Belongs
    basic: Callable[[Login], tuple[str, str]] | None  # the Basic (username, password) it sends; None: not Basic
    curl: Callable[[CurlNames], list[str]]  # the curl arguments that send the same header
    other_scheme: Callable[[Login], str | None] | None = None  # the whole header, when it is not Basic
    made_up_user: bool = False  # the username is none of ours (a reproduce line names it as it was sent)

    def header(self, login: Login) -> str | None:
        """The ``Authorization`` header this mode sends for ``login`` (None: no header)."""
        if self.basic is not None:
            return basic_header(*self.basic(login))
        return self.other_scheme(login) if self.other_scheme is not None else None

    def username(self, login: Login) -> str | None:
        """The username this mode sends, when it is a made-up one (no secret)."""
        return self.basic(login)[0] if self.made_up_user and self.basic is not None else None


def basic_header(username: str, password: str) -> str:
    return "Basic " + _base64(f"{username}:{password}")


def _base64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _user_option(text: str) -> list[str]:
    return ["-u", text]


def _header_option(value: str) -> list[str]:
    # The header name is split by shell quoting so no artifact ever carries an auth header line (leak scans
    # look for one); pasted into a shell it is the header the case sent.
    return ["-H", f'"Author""ization: {value}']


def _swapped_case(secret: str) -> str:
    return secret.swapcase() if secret.swapcase() != secret else secret + "A"


def _other_case(user: str) -> str:
    return user.lower() if user.lower() != user else user.upper()


_DEFINITIONS = (
    ModeDefinition(AuthMode.VALID, Belongs.EACH_FORM, lambda lg: (lg.user, lg.password),
                   lambda n: _user_option(f'"${n.user}:${n.password}"')),
    ModeDefinition(AuthMode.NONE, Belongs.NO_FORM, None, lambda n: []),
    ModeDefinition(AuthMode.WRONG_SECRET, Belongs.EACH_FORM, lambda lg: (lg.user, WRONG_SECRET),
                   lambda n: _user_option(f'"${n.user}:{WRONG_SECRET}"')),
    ModeDefinition(AuthMode.EMPTY_SECRET, Belongs.EACH_FORM, lambda lg: (lg.user, ""),
                   lambda n: _user_option(f'"${n.user}:"')),
    ModeDefinition(AuthMode.OTHER_FORM_SECRET, Belongs.BOTH_FORMS,
                   lambda lg: (lg.user, lg.other_password if lg.other_password is not None else WRONG_SECRET),
                   lambda n: _user_option(f'"${n.user}:${n.other_password}"')),
    ModeDefinition(AuthMode.SECRET_CASE, Belongs.EACH_FORM, lambda lg: (lg.user, _swapped_case(lg.password)),
                   lambda n: _user_option(f'"${n.user}:$(printf %s "${n.password}" | tr a-zA-Z A-Za-z)"')),
    ModeDefinition(AuthMode.SECRET_SUFFIX, Belongs.EACH_FORM, lambda lg: (lg.user, lg.password + "x"),
                   lambda n: _user_option(f'"${n.user}:${{{n.password}}}x"')),
    ModeDefinition(AuthMode.USERNAME_CASE, Belongs.EACH_FORM, lambda lg: (_other_case(lg.user), lg.password),
                   lambda n: _user_option(f'"$(printf %s "${n.user}" | tr A-Z a-z):${n.password}"')),
    ModeDefinition(AuthMode.STRANGER_REAL_SECRET, Belongs.EACH_FORM,
                   lambda lg: (UNKNOWN_USERS[lg.form], lg.password),
                   lambda n: _user_option(f'"{n.username}:${n.password}"'), made_up_user=True),
    ModeDefinition(AuthMode.BEARER_CREDENTIALS, Belongs.EACH_FORM, None,
                   lambda n: _header_option(f'Bearer $(printf %s "${n.user}:${n.password}" | base64 -w0)"'),
                   other_scheme=lambda lg: "Bearer " + _base64(f"{lg.user}:{lg.password}")),
    ModeDefinition(AuthMode.UNKNOWN_USER, Belongs.ANY_FORM, lambda lg: (UNKNOWN_USERS[lg.form], WRONG_SECRET),
                   lambda n: _user_option(shlex.quote(f"{n.username}:{WRONG_SECRET}")), made_up_user=True),
    ModeDefinition(AuthMode.MALFORMED, Belongs.NO_FORM, None,
                   lambda n: _header_option(f'"{shlex.quote(n.authorization)}') if n.authorization else [],
                   other_scheme=lambda lg: lg.authorization or MALFORMED_AUTHORIZATION["not base64"]),
)  # fmt: skip
MODES: dict[str, ModeDefinition] = {d.mode: d for d in _DEFINITIONS}

REFUSED: tuple[str, ...] = tuple(mode for mode in MODES if mode != AuthMode.VALID)  # every mode that must get 401


def definition(mode: str) -> ModeDefinition:
    """The definition of ``mode``; a name no mode has is a ValueError (replay and parity validate first)."""
    try:
        return MODES[mode]
    except KeyError:
        raise ValueError(f"unknown credentials mode {mode!r} (known: {', '.join(MODES)})") from None


def tried_with(mode: str, forms: Sequence[str]) -> tuple[str, ...]:
    """The credential forms ``mode`` is tried with, when the run has credentials of ``forms``."""
    belongs = definition(mode).belongs
    if belongs == Belongs.ANY_FORM:
        return tuple(CredentialForm)
    if belongs == Belongs.BOTH_FORMS:
        return tuple(forms) if len(forms) > 1 else ()
    return tuple(forms) if belongs == Belongs.EACH_FORM else ()


def other_form(form: str | None) -> str:
    """The credential form that is not ``form`` (the default form when ``form`` is None)."""
    return CredentialForm.API_KEY if form == CredentialForm.ACCOUNT else CredentialForm.ACCOUNT


def sent_pair(mode: str, login: Login) -> tuple[str, str] | None:
    """The (username, password) ``mode`` sends for ``login``, under Basic or inside another scheme's token
    (bearer_credentials); None when it sends no pair of credentials (none, malformed)."""
    chosen = definition(mode)
    if chosen.basic is not None:
        return chosen.basic(login)
    return (login.user, login.password) if mode == AuthMode.BEARER_CREDENTIALS else None


def sent_logins(logins: Mapping[str, tuple[str, str]]) -> set[tuple[str, str]]:
    """Every (username, password) a run with these logins (form -> pair) can send, in any mode and form: what
    redaction hunts for, in every encoding a vendor could echo it."""
    pairs: set[tuple[str, str]] = set()
    for mode in MODES:
        for form in tried_with(mode, tuple(logins)):
            user, password = logins.get(form, ("", ""))
            others = [secret for name, (_user, secret) in logins.items() if name != form]
            if (pair := sent_pair(mode, Login(form, user, password, others[0] if others else None))) is not None:
                pairs.add(pair)
    return pairs


def near_misses(secret: str) -> set[str]:
    """``secret`` and every password a mode makes from it (the made-up wrong and empty ones are no secret)."""
    made = {pair[1] for mode in MODES if (pair := sent_pair(mode, Login(CredentialForm.API_KEY, "", secret)))}
    return (made - {WRONG_SECRET, ""}) | {secret}
