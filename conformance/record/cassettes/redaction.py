"""What may reach a file: secrets removed, SIDs replaced by placeholders, personal data pseudonymised.

One :class:`Redactor` per run, applied to every recorded interaction, to the exchanges and messages
the reports show, and (as a last pass) to the results document. Its tables are what keep a run
consistent: the same account SID, name or address becomes the same placeholder or pseudonym in a
request, in the response that echoes it and in the error message that quotes it, so the checks
hold on replay exactly as they did live.

- the ``Authorization`` header is dropped; every password (auth token or API secret), every near-miss the
  run made from one, and every ``user:password`` it sent are replaced by ``[REDACTED]`` wherever and however
  they appear (raw, escaped, base64 at any offset or depth: :mod:`conformance.record.cassettes.secret_forms`),
  never by a stable value;
- every account SID (``AC`` + 32 hex) and API key SID (``SK`` + 32 hex) becomes a placeholder of the
  same shape: the run's own account ``AC000...0``, its key ``SK000...0``, any other one seen
  ``AC000...1``, ``AC000...2``...;
- with personal-data redaction on, participant and conversation names, profile ids, channel ids and
  addresses that came from the vendor become pseudonyms that keep the shape checks rely on (E.164
  stays E.164, a ``whatsapp:`` or ``rcs:`` prefix stays). What the suite generated for a request is
  synthetic, not personal: it stays verbatim (in the request and wherever the vendor echoes it), so a
  failing request can be sent again exactly as it was (:meth:`Redactor.generated`);
- in deterministic runs the emulator's loopback address becomes ``emulator.invalid``.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
import urllib.parse
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from conformance import vendor
from conformance.plan.auth_modes import near_misses, sent_logins
from conformance.record.cassettes.secret_forms import SecretForms

if TYPE_CHECKING:
    from conformance.send.targets import Target

REDACTED = "[REDACTED]"
ACCOUNT_PLACEHOLDER = vendor.ACCOUNT_SID_PREFIX + "0" * 32
API_KEY_PLACEHOLDER = vendor.API_KEY_SID_PREFIX + "0" * 32
DETERMINISTIC_HOST = "emulator.invalid"
DROPPED_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
UNICODE_FORMS = ("NFC", "NFD", "NFKC", "NFKD")  # a generated string in any of them is still generated
SID_LENGTH = len(vendor.ACCOUNT_SID_PREFIX) + vendor.SID_DIGITS
# Generated strings remembered: many cases' worth (a 50-participant body has ~300). Without --redact-pii only
# SID-shaped ones are kept, so a made-up SID is remembered for far longer than 20,000 strings of other text.
GENERATED_KEPT = 20_000
TEXT_MEMO_CHARS = 512  # texts up to this long are remembered once redacted (when they hold no SID) ...
TEXTS_KEPT = 8192  # ... this many at most: the memory stays flat however long the run
PII_MIN_TEXT = 3  # originals shorter than this are replaced only where they are a whole field

# The prefix first, then what precedes it: a pattern that starts with a lookbehind is tried at every position,
# one that starts with AC|SK only where an A or an S is (about 4x faster over a body; the same matches).
_SID = re.compile(
    rf"({vendor.ACCOUNT_SID_PREFIX}|{vendor.API_KEY_SID_PREFIX})(?<![0-9A-Za-z]..)"
    rf"([0-9a-fA-F]{{{vendor.SID_DIGITS}}})(?![0-9A-Za-z])"
)
_PLACEHOLDER_MAX = 1 << 16  # "AC000...0042" is a placeholder (or a test dummy), not a real SID
_E164 = re.compile(r"^\+[0-9]{6,15}$")
_SCHEME = re.compile(r"^([a-z]+:)(.*)$", re.DOTALL)
_TWILIO_SID = re.compile(rf"^([A-Z]{{2}})[0-9a-fA-F]{{{vendor.SID_DIGITS}}}$")
_ID_PREFIX = re.compile(r"^([A-Za-z]+(?:_[A-Za-z]+)*_)")


class Redactor:
    """Turns anything about to be written into something safe to write, consistently within a run."""

    def __init__(self, *, secrets: Iterable[str] = (), credentials: Iterable[tuple[str, str]] = (),
                 account_sid: str | None = None, api_key_sid: str | None = None, pii: bool = False,
                 loopback: str | None = None) -> None:  # fmt: skip
        hidden = {near for secret in secrets if secret for near in near_misses(secret)}
        logins = {f"{user}:{password}" for user, password in credentials if user}
        self._secrets = SecretForms(hidden, logins, REDACTED)
        self.pii = pii
        self._sids: dict[str, str] = {}
        self._next_sid = {vendor.ACCOUNT_SID_PREFIX: 1, vendor.API_KEY_SID_PREFIX: 1}
        for sid, placeholder in ((account_sid, ACCOUNT_PLACEHOLDER), (api_key_sid, API_KEY_PLACEHOLDER)):
            if sid and _SID.fullmatch(sid):
                self._sids[sid] = placeholder
        self._loopback = loopback  # "127.0.0.1:41234" in deterministic runs, else None
        self._pseudonyms: dict[str, str] = {}
        self._counters: dict[str, int] = {}
        self._pii_pattern: re.Pattern[str] | None = None
        # Texts without a SID already redacted: keys, check names and messages recur in every case's outputs.
        self._texts: dict[str, str] = {}
        # Strings the suite made up: synthetic, written verbatim. Only the latest are kept (a response only
        # echoes its own case's), so a long run's memory does not grow with every string it ever sent.
        self._generated: OrderedDict[str, None] = OrderedDict()

    @classmethod
    def for_target(cls, target: Target, *, pii: bool, deterministic: bool = False,
                   environ: Mapping[str, str] | None = None) -> Redactor:  # fmt: skip
        """The redactor for a run against ``target``: every login any of its cases sends, and every credential the
        environment holds (an auth token is a secret even when the run authenticates with an API key)."""
        env = os.environ if environ is None else environ
        username = target.username
        logins = list(target.logins.values())
        second = list(target.second.logins.values()) if target.second is not None else []
        account_sid = target.account_sid or env.get(vendor.ENV_ACCOUNT_SID) or None
        api_key = env.get(vendor.ENV_API_KEY) or None
        # Every login the environment holds, both accounts': a secret even when the run did not use it.
        env_logins = [(env.get(user) or "", env.get(password) or "") for user, password in vendor.LOGIN_VARIABLES]
        key_logins = [user for user, _password in logins if user.startswith(vendor.API_KEY_SID_PREFIX)]
        every = [*logins, *second]
        return cls(
            secrets=(*target.secrets, *(password for _user, password in env_logins)),
            credentials=[*sent_logins(target.logins), *(sent_logins(target.second.logins) if target.second else ()),
                         *every, *env_logins],
            account_sid=account_sid or (username if username.startswith(vendor.ACCOUNT_SID_PREFIX) else None),
            api_key_sid=key_logins[0] if key_logins else api_key,
            pii=pii,
            loopback=urllib.parse.urlsplit(target.base_url).netloc if deterministic else None,
        )  # fmt: skip

    # --- what the run knows ---

    def generated(self, payload: Any) -> None:
        """Every string in a request body the suite generated: synthetic data, so kept as sent.

        Secrets are still replaced wherever they appear, and the run's own account and key SIDs still
        become their placeholders; only pseudonymisation (and made-up SIDs) leave these values alone.
        Without pseudonymisation a made-up SID is all that is looked up again (:meth:`_sid`), so only
        SID-shaped strings are remembered.
        """
        keep, every_text = self._keep_generated, self.pii
        stack = [payload]  # depth first, keys before their values: the order a recursive walk meets them
        while stack:
            node = stack.pop()
            if isinstance(node, str):
                if not every_text:
                    if len(node) == SID_LENGTH and _SID.fullmatch(node):
                        keep(node)
                elif node.isascii():
                    keep(node)
                else:
                    # The same text in another Unicode form is still the suite's: pseudonymised, a message would
                    # show a pseudonym beside "same text in another Unicode normalisation form".
                    for text in {node, *(unicodedata.normalize(form, node) for form in UNICODE_FORMS)}:
                        keep(text)
            elif isinstance(node, dict):
                for key, value in reversed(node.items()):
                    stack.append(value)
                    stack.append(key)
            elif isinstance(node, list):
                stack.extend(reversed(node))

    def _keep_generated(self, text: str) -> None:
        if text and text not in self._pseudonyms:
            self._generated[text] = None
            self._generated.move_to_end(text)
            if len(self._generated) > GENERATED_KEPT:
                self._generated.popitem(last=False)

    def placeholder(self, sid: str | None) -> str | None:
        """The placeholder a SID is written as (the SID itself when it is not one)."""
        return self.text(sid) if sid else None

    # --- text: secrets, SIDs, the loopback host (idempotent) ---

    def text(self, value: str) -> str:
        """``value`` with secrets, SIDs and (deterministic runs) the loopback host replaced."""
        known = self._texts.get(value)
        if known is not None:
            return known
        redacted = self._secrets.redact(value)
        if vendor.ACCOUNT_SID_PREFIX in redacted or vendor.API_KEY_SID_PREFIX in redacted:
            return self._loopback_replaced(_SID.sub(self._sid, redacted))  # placeholders are given as SIDs appear
        redacted = self._loopback_replaced(redacted)
        if len(value) <= TEXT_MEMO_CHARS:  # without a SID, what a text becomes never changes within a run
            if len(self._texts) >= TEXTS_KEPT:
                self._texts.clear()
            self._texts[value] = redacted
        return redacted

    def _loopback_replaced(self, value: str) -> str:
        if self._loopback and self._loopback in value:
            return value.replace(self._loopback, DETERMINISTIC_HOST)
        return value

    __call__ = text  # results.scrub accepts a callable

    def _sid(self, match: re.Match[str]) -> str:
        sid = match.group(0)
        known = self._sids.get(sid)
        if known is not None:
            return known
        if sid in self._generated:  # a made-up SID the suite sent: no one's account
            return sid
        prefix, digits = match.group(1), match.group(2)
        if int(digits, 16) < _PLACEHOLDER_MAX:
            return sid
        placeholder = f"{prefix}{self._next_sid[prefix]:032x}"
        self._next_sid[prefix] += 1
        self._sids[sid] = placeholder
        return placeholder

    def message(self, value: str) -> str:
        """A free-text message (check result, error): :meth:`text` plus known personal data."""
        return self.pii_text(self.text(value))

    # --- bodies and headers ---

    def body(self, data: bytes, error: bool = False) -> bytes:
        """A request or response body; JSON bodies keep their encoding style when rewritten."""
        if not data:
            return data
        text = data.decode("utf-8", errors="surrogateescape")
        if self.pii:
            text = self._pii_body(text, error)
        return self.text(text).encode("utf-8", errors="surrogateescape")

    def headers(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """Header pairs without credentials, values redacted."""
        return [(self.text(name), self.text(value)) for name, value in headers if name.lower() not in DROPPED_HEADERS]

    # --- personal data ---

    def _pii_body(self, text: str, error: bool) -> str:
        stripped = text.lstrip()
        if not stripped.startswith(("{", "[")):
            return self.pii_text(text)
        try:
            parsed = json.loads(text)
        except ValueError:
            return self.pii_text(text)
        redacted = self.pii_json(parsed)
        if error:
            redacted = self._pii_strings(redacted)
        if redacted == parsed:
            return text
        return _dumps_like(text, parsed, redacted)

    def pii_json(self, value: Any) -> Any:
        """A conversation-shaped JSON value (request or response) with its personal fields pseudonymised."""
        if not self.pii:
            return value
        if isinstance(value, list):  # a non-object body (an invalid case) may still carry conversations
            return [self.pii_json(item) for item in value]
        if not isinstance(value, dict):
            return value
        out = dict(value)
        if isinstance(out.get("name"), str):
            out["name"] = self.pseudonym(out["name"], "conversation")
        if isinstance(out.get("participants"), list):
            out["participants"] = [self._participant(p) for p in out["participants"]]
        return out

    def _participant(self, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out = dict(value)
        for key, kind in (("name", "participant"), ("profileId", "profile")):
            if isinstance(out.get(key), str):
                out[key] = self.pseudonym(out[key], kind)
        if isinstance(out.get("addresses"), list):
            out["addresses"] = [self._address(a) for a in out["addresses"]]
        return out

    def _address(self, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out = dict(value)
        for key, kind in (("address", "address"), ("channelId", "channel")):
            if isinstance(out.get(key), str):
                out[key] = self.pseudonym(out[key], kind)
        return out

    def _pii_strings(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.pii_text(value)
        if isinstance(value, list):
            return [self._pii_strings(item) for item in value]
        if isinstance(value, dict):
            return {key: self._pii_strings(item) for key, item in value.items()}
        return value

    def pseudonym(self, original: str, kind: str) -> str:
        """The stable stand-in for one personal value (the empty string stays empty)."""
        if not original or original in self._generated:
            return original
        known = self._pseudonyms.get(original)
        if known is None:
            number = self._counters[kind] = self._counters.get(kind, 0) + 1
            known = self._pseudonyms[original] = _pseudonym(original, kind, number)
            self._pii_pattern = None
        return known

    def pii_text(self, value: str) -> str:
        """Free text with every personal value seen so far (of three characters or more) replaced."""
        if not self.pii or not value:
            return value
        if self._pii_pattern is None:
            originals = sorted((o for o in self._pseudonyms if len(o) >= PII_MIN_TEXT), key=len, reverse=True)
            self._pii_pattern = re.compile("|".join(map(re.escape, originals))) if originals else re.compile(r"(?!)")
        return self._pii_pattern.sub(lambda m: self._pseudonyms[m.group(0)], value)


def _pseudonym(original: str, kind: str, number: int) -> str:
    if kind == "conversation":
        return f"Conversation {number}"
    if kind == "participant":
        return f"Participant {number}"
    if kind == "address":
        scheme, rest = "", original
        match = _SCHEME.match(original)
        if match and not original.startswith("+"):
            scheme, rest = match.group(1), match.group(2)
        if _E164.match(rest):
            return f"{scheme}+1555{number:07d}"  # E.164, in the 555 fictional range
        if "@" in rest:
            return f"{scheme}user{number}@example.invalid"
        return f"{scheme}pseudonym_{number}"
    sid = _TWILIO_SID.match(original)
    if sid:
        return f"{sid.group(1)}{number:032x}"
    prefix = _ID_PREFIX.match(original)
    return f"{prefix.group(1) if prefix else kind + '_'}pseudonym{number}"


def _dumps_like(original: str, parsed: Any, value: Any) -> str:
    """``value`` as JSON in the style ``original`` was written in (so unchanged parts stay byte-equal)."""
    for style in ({"ensure_ascii": False}, {"ensure_ascii": False, "separators": (",", ":")},
                  {"ensure_ascii": True}, {"ensure_ascii": True, "separators": (",", ":")}):  # fmt: skip
        if json.dumps(parsed, **style) == original:  # type: ignore[arg-type]
            return json.dumps(value, **style)  # type: ignore[arg-type]
    return json.dumps(value, ensure_ascii=False)
