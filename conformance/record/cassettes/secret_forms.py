"""Every form a secret can take in what a vendor sends back, found and blanked.

A vendor that echoes the request (a debug message quoting the ``Authorization`` header, a proxy copying
the whole request into a header) can hand a secret back raw, JSON-escaped, percent-encoded, HTML-escaped,
or inside base64: either alphabet, padded or not, at any byte offset of a longer encoded string, or base64
of base64. Two passes cover all of it, each cheap on text that holds no secret:

- plain forms: one regex alternation of the values, each character spelled every way an escaper writes it
  (``/`` also as ``%2F``, ``%2f``, ``\\u002f``, ``\\/``, ``&#x2F;``...). Escapers leave ASCII letters and
  digits alone, so the regex runs only when the text holds one of the values' alphanumeric cores;
- encoded forms: every run of base64 characters long enough to carry a value is decoded at each of its four
  character offsets (so every byte alignment is tried) and the decoded text is searched the same way, down
  to ``MAX_DEPTH`` encodings. A run that carries a value is replaced whole;
- cut forms: text cut short for a message (``…`` or ``...`` marking the cut, or the text just ending) can leave
  part of a value behind, which the two passes above cannot recognise. The word ending where a text was cut is
  blanked when it ends with the first ``CUT_MIN`` characters or more of a value (raw, unescaped, or as the tail
  of a base64 run), and the word resuming after a cut marker when it starts with a value's last ones. A text that
  is one word (a JSON key, an id) is no cut: only its base64 reading counts (a secret starting with a plain word,
  like the emulator's, would otherwise blank that word wherever it stands alone).
"""

from __future__ import annotations

import binascii
import html
import re
import string
import urllib.parse
from collections.abc import Iterable
from typing import Any

MAX_DEPTH = 3  # base64 of base64 of base64
VERDICTS_KEPT = 4096  # runs already decoded, and short texts already redacted (ids, headers, messages recur)
MEMO_CHARS = 512  # texts and runs up to this long are remembered
CUT_MIN = 8  # characters of a value that, left where a text was cut, give too much of it away
CUT_MARKERS = ("…", "...")
_CUT_BASE64 = -(-4 * CUT_MIN // 3)  # base64 characters that carry CUT_MIN bytes
CUT_WINDOW = 400  # characters either side of a cut searched for the word cut there (a login's base64 is ~100)

_ALNUM = frozenset(string.ascii_letters + string.digits)
_RUN_CHARS = r"A-Za-z0-9+/_%\\-"  # both alphabets, and what percent- and JSON-escaping add to them
_ALPHABET = (string.ascii_letters + string.digits + "+/-_").encode()
# To the standard alphabet, everything else out (padding too: it is put back to fit where decoding starts).
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_NOT_BASE64 = bytes(c for c in range(256) if c not in _ALPHABET)
# Every byte but a run character becomes a space, so ``bytes.split`` cuts the runs out at C speed (a regex scan
# costs several times more, and most bodies hold no secret).
_RUNS_APART = bytes(c if re.fullmatch(f"[{_RUN_CHARS}]", chr(c)) else 32 for c in range(256))
# Every byte that separates words (in prose, JSON, headers) becomes a space, so the word at a cut is one split away.
_WORDS_APART = bytes(32 if chr(c) in " \t\r\n\"'<>(){}[],.?|" or c >= 128 else c for c in range(256))
_QUOTES = " \"'"
_CORE = re.compile(r"[A-Za-z0-9]+")
AnyStr = str | bytes
_SHORT_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
                       "\t": "\\t"}  # fmt: skip


def _hex(text: str) -> str:
    """``text`` as a pattern in which hex letters match either case."""
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in text)


def _spellings(char: str) -> list[str]:
    """Patterns for every way an escaper writes ``char``: as is, percent-encoded, JSON-escaped, HTML-escaped."""
    if char in _ALNUM:
        return [char]
    forms = {re.escape(char), _hex("".join(f"%{byte:02x}" for byte in char.encode()))}
    forms.add("".join(r"\\u" + _hex(f"{unit:04x}") for unit in _utf16(char)))
    if char in _SHORT_JSON_ESCAPES:
        forms.add(re.escape(_SHORT_JSON_ESCAPES[char]))
    if char == " ":
        forms.add(r"\+")  # form encoding
    forms |= {re.escape(html.escape(char)), f"&#0*{ord(char)};", "&#[xX]0*" + _hex(f"{ord(char):x}") + ";"}
    if char == "'":
        forms.add("&apos;")
    return sorted(forms, key=len, reverse=True)


def _utf16(char: str) -> list[int]:
    encoded = char.encode("utf-16-be")
    return [int.from_bytes(encoded[i : i + 2], "big") for i in range(0, len(encoded), 2)]


def spelled(value: str) -> str:
    """A pattern for ``value`` with each character in any of its spellings (mixed, as a partial escaper leaves it)."""
    parts = []
    for char in value:
        forms = _spellings(char)
        parts.append(forms[0] if len(forms) == 1 else "(?:" + "|".join(forms) + ")")
    return "".join(parts)


class _Plain:
    """The plain forms of some values: a gate of alphanumeric cores, then one alternation (over text, or over
    the UTF-8 bytes a decoding gives)."""

    def __init__(self, values: Iterable[str], over_bytes: bool = False) -> None:
        kept = _shortest_covering(values)
        cores = {max(_CORE.findall(value), key=len, default="") for value in kept}
        ordered = sorted(kept, key=len, reverse=True)  # a longer value wins where two start together
        pattern = "|".join(spelled(value) for value in ordered)
        self.cores: tuple[AnyStr, ...] = tuple(c.encode() for c in cores) if over_bytes else tuple(cores)
        self.pattern: re.Pattern[Any] | None = None
        if ordered:
            self.pattern = re.compile(pattern.encode() if over_bytes else pattern)

    def may_hold(self, text: AnyStr) -> bool:
        if self.pattern is not None:
            for core in self.cores:
                if core in text:
                    return True
        return False


def _shortest_covering(values: Iterable[str]) -> list[str]:
    """The values without those that contain another one: blanking the shorter one already hides the longer."""
    unique = sorted({v for v in values if v}, key=len)
    kept: list[str] = []
    for value in unique:
        if not any(shorter in value for shorter in kept):
            kept.append(value)
    return kept


class SecretForms:
    """Finds ``secrets`` (and, once decoded, the ``logins`` sent as ``user:password``) in any form and puts
    ``replacement`` in their place; see the module."""

    def __init__(self, secrets: Iterable[str], logins: Iterable[str] = (), replacement: str = "[REDACTED]") -> None:
        self.replacement = replacement
        secrets = [s for s in secrets if s]
        self._top = _Plain(secrets)
        # A decoded login names its user: hidden even with a wrong password.
        self._decoded = _Plain([*secrets, *logins], over_bytes=True)
        shortest = min((len(v.encode()) for v in _shortest_covering([*secrets, *logins])), default=0)
        # A run carries a value only if it holds all of the value's base64 characters: 4 per 3 bytes at least.
        self._min_length = -(-4 * shortest // 3) if shortest else None
        self._run = re.compile(rf"(?<![{_RUN_CHARS}])[{_RUN_CHARS}]{{{self._min_length or 1},}}(?:=|%3[dD]){{0,2}}")
        self._verdicts: dict[bytes, bool] = {}
        self._memo: dict[str, str] = {}  # short texts already redacted (headers and messages recur)
        # Cut forms, by their first and last bytes: raw, a secret's (a login's user alone is no secret, and its
        # placeholder must survive); decoded, a login's too (its base64 starts with the user's).
        self._cut_plain = _ends(secrets)
        self._cut_decoded = _ends([*secrets, *logins])

    def redact(self, text: str) -> str:
        """``text`` with every plain occurrence, and every base64 run that carries one, replaced."""
        if self._min_length is None or (len(text) < CUT_MIN and not self._top.may_hold(text)):
            return text
        short = len(text) <= MEMO_CHARS
        if short and (known := self._memo.get(text)) is not None:
            return known
        redacted, replacement = text, self.replacement
        if self._top.may_hold(redacted):
            redacted = self._top.pattern.sub(replacement, redacted)  # type: ignore[union-attr]
        if len(redacted) >= self._min_length and self._any_run_carries(redacted.encode("ascii", "replace"), 1):
            carries = self._carries
            redacted = self._run.sub(lambda m: replacement if carries(m.group(0).encode()) else m.group(0), redacted)
        if len(redacted) >= CUT_MIN and self._cut_decoded[0].pattern is not None:
            redacted = self._cuts_blanked(redacted)
        if short:
            if len(self._memo) >= VERDICTS_KEPT:
                self._memo.clear()
            self._memo[text] = redacted
        return redacted

    def _any_run_carries(self, data: bytes, depth: int) -> bool:
        """Whether a run of base64 characters in ``data`` (ASCII, or what a decoding gave) carries a value."""
        minimum = self._min_length or 0
        runs = [run for run in data.translate(_RUNS_APART).split() if len(run) >= minimum]
        return any(self._carries(run, depth) for run in runs)

    def holds(self, text: str) -> bool:
        """Whether ``text`` holds a value in any form."""
        return self.redact(text) != text

    def _holds_decoded(self, data: bytes, depth: int) -> bool:
        plain = self._decoded
        if plain.may_hold(data) and plain.pattern.search(data):  # type: ignore[union-attr]
            return True
        if depth >= MAX_DEPTH or len(data) < (self._min_length or 0):
            return False
        return self._any_run_carries(data, depth + 1)

    def _carries(self, run: bytes, depth: int = 1) -> bool:
        """Whether a base64 run, decoded at any of its four offsets, holds a value."""
        known = self._verdicts.get(run) if depth == 1 else None
        if known is not None:
            return known
        clean = (urllib.parse.unquote_to_bytes(run) if b"%" in run else run).translate(_TO_STANDARD, _NOT_BASE64)
        readings = []
        for offset in range(4):
            part = clean[offset:]
            part = part[: len(part) - 1] if len(part) % 4 == 1 else part + b"=" * (-len(part) % 4)
            try:
                readings.append(binascii.a2b_base64(part))
            except binascii.Error:
                continue
        # The four readings searched as one: a newline is in no value, and ends every run.
        found = self._holds_decoded(b"\n".join(readings), depth)
        if depth == 1 and len(run) <= MEMO_CHARS:  # a megabyte run is not worth keeping (nor likely to recur)
            if len(self._verdicts) >= VERDICTS_KEPT:
                self._verdicts.clear()
            self._verdicts[run] = found
        return found

    # --- cut forms ---

    def _cuts_blanked(self, text: str) -> str:
        """``text`` with the word at each cut (its end, either side of each cut marker) blanked if it holds part of
        a value."""
        ends, starts = [len(text)], []  # a text cut at its start is marked (``…tail``): its bare start is no cut
        for marker in CUT_MARKERS:
            at = text.find(marker)
            while at >= 0:
                ends.append(at)
                starts.append(at + len(marker))
                at = text.find(marker, at + len(marker))
        spans = {span for end in ends if (span := self._word_before(text, end))}
        spans |= {span for start in starts if (span := self._word_after(text, start))}
        for begin, end in sorted(spans, reverse=True):
            text = text[:begin] + self.replacement + text[end:]
        return text

    def _word_before(self, text: str, end: int) -> tuple[int, int] | None:
        """The span of the word ending at ``end`` (quotes and spaces aside), if it ends with a value's head."""
        window = text[max(0, end - CUT_WINDOW) : end].encode("ascii", "replace").translate(_WORDS_APART)
        stripped = window.rstrip()
        word = stripped.rsplit(maxsplit=1)[-1] if stripped else b""
        if len(word) < CUT_MIN:
            return None
        last = end - (len(window) - len(stripped))
        plain = self._cut_plain[0] if len(word) < len(text.strip(_QUOTES)) else None
        decoded = self._cut_decoded[0]
        unescaped = _unescaped(word)
        if (_ends_with_head(word, plain) or (unescaped is not word and _ends_with_head(unescaped, plain))
                or any(_ends_with_head(reading, decoded) for reading in _decodings(word, decoded))):  # fmt: skip
            return last - len(word), last
        return None

    def _word_after(self, text: str, start: int) -> tuple[int, int] | None:
        """The span of the word starting at ``start`` (quotes and spaces aside), if it starts with a value's tail."""
        window = text[start : start + CUT_WINDOW].encode("ascii", "replace").translate(_WORDS_APART)
        stripped = window.lstrip()
        word = stripped.split(maxsplit=1)[0] if stripped else b""
        if len(word) < CUT_MIN:
            return None
        first = start + len(window) - len(stripped)
        plain = self._cut_plain[1] if len(word) < len(text.strip(_QUOTES)) else None
        decoded = self._cut_decoded[1]
        unescaped = _unescaped(word)
        if (_starts_with_tail(word, plain) or (unescaped is not word and _starts_with_tail(unescaped, plain))
                or any(_starts_with_tail(reading, decoded) for reading in _decodings(word, decoded))):  # fmt: skip
            return first, first + len(word)
        return None


class _Edges:
    """Values by their first (or last) ``CUT_MIN`` bytes, and one pattern finding any of those pieces (overlapping)."""

    def __init__(self, values: Iterable[bytes], first: bool) -> None:
        self.by_piece: dict[bytes, list[bytes]] = {}
        for value in values:
            self.by_piece.setdefault(value[:CUT_MIN] if first else value[-CUT_MIN:], []).append(value)
        pieces = b"|".join(re.escape(piece) for piece in self.by_piece)
        self.pattern = re.compile(b"(?=(" + pieces + b"))") if pieces else None
        self.gate = re.compile(pieces) if pieces else None  # a plain alternation: several times faster to rule out
        # Base64 holding a piece holds one of its quantum-aligned 6-byte stretches encoded whole (8 characters,
        # standard alphabet): the gate that spares decoding a word that cannot carry one.
        encoded = {binascii.b2a_base64(piece[shift : shift + 6], newline=False)
                   for piece in self.by_piece for shift in range(CUT_MIN - 5)}  # fmt: skip
        self.encoded = re.compile(b"|".join(re.escape(e) for e in sorted(encoded))) if encoded else None


def _ends(values: Iterable[str]) -> tuple[_Edges, _Edges]:
    """The values longer than ``CUT_MIN`` bytes by their first, and by their last, ``CUT_MIN`` bytes."""
    long = [value for value in {v.encode() for v in values} if len(value) > CUT_MIN]
    return _Edges(long, first=True), _Edges(long, first=False)


def _unescaped(word: bytes) -> bytes:
    """``word`` with percent, JSON and HTML escapes undone (as far as ASCII goes)."""
    if not any(c in word for c in b"%\\&"):
        return word
    text = urllib.parse.unquote(word.decode("ascii", "replace")).replace("\\/", "/")
    return html.unescape(text).encode("utf-8", "replace")


def _decodings(word: bytes, edges: _Edges) -> list[bytes]:
    """``word``'s base64 run decoded at each of its four offsets: its whole quanta only (a cut leaves a partial one),
    and padded (an uncut run's end may be one)."""
    clean = (urllib.parse.unquote_to_bytes(word) if b"%" in word else word).translate(_TO_STANDARD, _NOT_BASE64)
    if len(clean) < _CUT_BASE64 or edges.encoded is None or not edges.encoded.search(clean):
        return []
    readings = []
    for offset in range(4):
        part = clean[offset:]
        for quanta in (part[: len(part) - len(part) % 4], part + b"=" * (-len(part) % 4) if len(part) % 4 > 1 else b""):
            try:
                readings.append(binascii.a2b_base64(quanta))
            except binascii.Error:
                continue
    return readings


def _ends_with_head(data: bytes, heads: _Edges | None) -> bool:
    """Whether ``data`` ends with the first ``CUT_MIN`` or more bytes of a value."""
    if heads is None or heads.gate is None or not heads.gate.search(data):
        return False
    for found in heads.pattern.finditer(data):  # type: ignore[union-attr]
        rest = data[found.start() :]
        if any(value.startswith(rest) for value in heads.by_piece[found.group(1)]):
            return True
    return False


def _starts_with_tail(data: bytes, tails: _Edges | None) -> bool:
    """Whether ``data`` starts with the last ``CUT_MIN`` or more bytes of a value."""
    if tails is None or tails.gate is None or not tails.gate.search(data):
        return False
    for found in tails.pattern.finditer(data):  # type: ignore[union-attr]
        kept = data[: found.start() + CUT_MIN]
        if any(value.endswith(kept) for value in tails.by_piece[found.group(1)]):
            return True
    return False
