"""Valid requests at the documented edges, read off the schemas: what the API must accept and echo.

- every enum member, every channel, null for each optional member (null means absent where the
  docs do not tell the two apart);
- every object that requires nothing, empty; both ends of every array: empty, and exactly ``maxItems``
  (the next one up is in :mod:`negative`);
- every free string at its edges at once: thousands of characters, padded with whitespace,
  astral-plane, combining marks, right-to-left, empty. Echoed byte for byte, so a vendor that trims,
  truncates or normalises is caught by ``request_echo``;
- every member that names an existing thing (``x-references``) at the same edges, made of the real id:
  padded, lengthened, cut, in another case, with a mark, a look-alike or an astral letter. Each names
  nothing that exists, so the API must say so (404, or 400 for a form it refuses);
- every array holding the same item twice (no array is documented unique): all of it comes back.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from hypothesis import strategies as st

from conformance.contract.schemas import Contract
from conformance.contract.surface import minimal, place, request_sites
from conformance.plan.generation import from_schema, request_overrides

LONG_STRING_CHARS = 5000  # "a few thousand", far inside any body limit even six times over
STRING_EDGES: dict[str, str] = {
    "long": ("Long value " + "abcdefghij" * (LONG_STRING_CHARS // 10))[:LONG_STRING_CHARS],
    "padded": "  \tpadded with whitespace \t ",
    "astral": "\U0001d49c\U0001d4c8\U0001d4c9\U0001d4c7\U0001d4b6\U0001d4c1 \U0001f600\U0001f680 \U0002070e\U00020731",
    "combining": "Cafe\u0301 Zoe\u0308 n\u0303",  # decomposed (NFD): a normalising server changes it
    "markup": "<b>Tom & \"Jerry\"</b> 'it''s' \\ / %20 {{name}} ${x} &amp;",
    "rtl": "\u05e9\u05dc\u05d5\u05dd \u200f\u0645\u0631\u062d\u0628\u0627\u200e end",  # Hebrew, Arabic, marks
    "empty": "",
    "controls": "line one\nline two\r\n\ttab \u0000 nul \u001b esc \u007f del",  # kept, not stripped
    "invisible": "zero\u200bwidth\u200cnon\u200djoiner\ufeffbom\u00adsoft hyphen",  # format characters
    "fullwidth": "\uff26\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48 \u2460 \ufb01",  # NFKC changes them
}
_CYRILLIC = str.maketrans(
    "aceopxyACEOPXY", "\u0430\u0441\u0435\u043e\u0440\u0445\u0443\u0410\u0421\u0415\u041e\u0420\u0425\u0423"
)


def _lookalike(real: str) -> str:
    """The id with its first Latin letter that has a Cyrillic twin swapped for it (appended when none has)."""
    at = next((i for i, c in enumerate(real) if c.translate(_CYRILLIC) != c), None)
    return real + "\u0430" if at is None else real[:at] + real[at].translate(_CYRILLIC) + real[at + 1 :]


def _fullwidth(real: str) -> str:
    """The id with its first ASCII letter in its fullwidth form (NFKC folds it back)."""
    at = next((i for i, c in enumerate(real) if c.isascii() and c.isalpha()), None)
    return real + "\uff41" if at is None else real[:at] + chr(ord(real[at]) + 0xFEE0) + real[at + 1 :]


# A real id changed at one edge: each result names nothing that exists.
REFERENCE_EDGES: dict[str, Callable[[str], str]] = {
    "padded": lambda real: f"  {real}\t",
    "long": lambda real: real + "0" * LONG_STRING_CHARS,
    "cut": lambda real: real[:-1],
    "case": lambda real: real.swapcase() if real.swapcase() != real else real + "A",
    "combining": lambda real: real + "\u0301",
    "lookalike": _lookalike,
    "astral": lambda real: real + "\U0001d49c",
    "rtl": lambda real: "\u200f" + real,
    "markup": lambda real: f"<b>{real}</b>",
    "empty": lambda _real: "",
    "nul": lambda real: real + "\u0000",  # a C string ends there
    "invisible": lambda real: real[: len(real) // 2] + "\u200b" + real[len(real) // 2 :],
    "fullwidth": lambda real: _fullwidth(real),
}
Draw = Callable[[st.SearchStrategy[Any], int, int], list[Any]]


def edge_cases(contract: Contract, configuration_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(description, body) of the fixed valid edges: enum members, channels, names, explicit nulls."""
    channels = contract.enum("address", "channel")
    types = contract.enum("participant", "type")
    forms = contract.schema("address")["x-address-forms"]
    request = contract.schema("request")
    base = {"configurationId": configuration_id}
    yield "only the required field", dict(base)
    yield "unicode name", {**base, "name": "Ünïcødé 会話 🚀"}
    for name in request["properties"]:
        if name not in request.get("required", []):
            yield f"{name} explicitly null", {**base, name: None}
    yield "participant members explicitly null", {**base, "participants": [
        {"name": None, "type": None, "profileId": None, "addresses": None}]}  # fmt: skip
    yield "one participant", {**base, "participants": [{"name": "Solo", "type": types[0]}]}
    for participant_type in types:
        participant = {"name": participant_type.title(), "type": participant_type, "profileId": "mem_profile_01"}
        yield f"participant type {participant_type}", {**base, "participants": [participant]}
    everything = {"name": "Every channel", "type": types[0], "addresses": [
        {"channel": c, "address": forms[c]["example"], "channelId": f"id-{c.lower()}"} for c in channels]}  # fmt: skip
    yield "one participant on every channel", {**base, "participants": [everything]}


def full_body(contract: Contract, configuration_id: str) -> dict[str, Any]:
    """A valid body using every documented request member (for cases that vary something else)."""
    channels = contract.enum("address", "channel")
    types = contract.enum("participant", "type")
    forms = contract.schema("address")["x-address-forms"]
    ids_limit = contract.node("request", "configuration", "intelligenceConfigurationIds")["maxItems"]
    return {
        "configurationId": configuration_id,
        "name": "Every member",
        "configuration": {"intelligenceConfigurationIds": [f"intelligence_{i}" for i in range(min(2, ids_limit))]},
        "participants": [
            {"name": f"Member {i}", "type": participant_type, "profileId": f"mem_profile_member{i}",
             "addresses": [{"channel": channel, "address": forms[channel]["example"], "channelId": f"member-{i}"}]}
            for i, (participant_type, channel) in enumerate(zip(types, channels, strict=False))
        ],
    }  # fmt: skip


def container_edges(contract: Contract, configuration_id: str, draw: Draw,
                    at_seed: int) -> Iterator[tuple[str, Any]]:  # fmt: skip
    """(description, body) with every object that requires nothing empty, every array empty, and every
    bounded array exactly full."""
    overrides = request_overrides(contract, configuration_id)
    base = {"configurationId": configuration_id}
    for site in request_sites(contract):
        if site.location and site.json_type == "object" and not site.node.get("required"):
            yield f"{site.location} an empty object", place(contract, base, site.location, {})
    for index, site in enumerate(s for s in request_sites(contract) if s.json_type == "array"):
        yield f"{site.location} empty", place(contract, base, site.location, [])
        limit = site.node.get("maxItems")
        if limit is not None:
            item = from_schema(contract, site.node.get("items", {}), f"{site.location}[]", overrides)
            items = draw(item, limit, at_seed + index)
            while len(items) < limit:  # Hypothesis may stop early on a tiny space: repeat what it drew
                items.append(items[len(items) % max(1, len(items))] if items else minimal(contract, {}))
            yield f"{site.location} at maxItems ({limit})", place(contract, base, site.location, items)


def duplicate_items(contract: Contract, configuration_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(description, body): every array of the request holding one valid item twice, one array at a time and all at
    once. No array in the docs is unique, so the API must keep both, and give both back."""
    full = full_body(contract, configuration_id)
    arrays = [s.location for s in request_sites(contract) if s.json_type == "array"]
    for location in arrays:
        item = _first_item(full, location)
        body = place(contract, {"configurationId": configuration_id}, location, [item, copy.deepcopy(item)])
        yield f"{location} holds the same item twice", body
    together = full
    for location in reversed(arrays):  # the deepest first, so the doubled items carry doubled arrays
        item = _first_item(together, location)
        together = place(contract, together, location, [item, copy.deepcopy(item)])
    yield f"every array holds the same item twice ({', '.join(arrays)})", together


def _first_item(body: Any, location: str) -> Any:
    """The first item of the array at ``location`` in ``body`` (``participants[].addresses``: the first
    participant's first address)."""
    for part in location.split("."):
        body = body[part[:-2]][0] if part.endswith("[]") else body[part]
    return copy.deepcopy(body[0])


def isolation_pairs(contract: Contract, configuration_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(description, body): a full body with an override, then the same body without one. In a plan the second
    follows the first, so an override (or anything else) that sticks shows in it."""
    full = full_body(contract, configuration_id)
    yield "every member, with an override", full
    yield "every member, with no override after one", {k: v for k, v in full.items() if k != "configuration"}


def string_edges(contract: Contract, configuration_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(description, body): every free string of the request set to one edge value at a time."""
    sites = [s for s in request_sites(contract) if s.is_free_string]
    free_channel = free_form_channel(contract)
    for edge, value in STRING_EDGES.items():
        body: dict[str, Any] = {"configurationId": configuration_id}
        for site in sites:
            if site.location.endswith("addresses[].address"):
                # The address must stay valid for its channel: use the channel whose form is free text.
                holder = site.location.rpartition(".")[0]
                body = place(contract, body, holder, {"channel": free_channel, "address": value})
            else:
                body = place(contract, body, site.location, value)
        yield f"every free string {edge} ({', '.join(s.location for s in sites)})", body


def reference_edges(contract: Contract, configuration_id: str) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(referenced kind, location, edge, body) for every member that names an existing thing, at each edge of the
    real id: alone, and (every other one) in a body using every member."""
    real = {"configuration": configuration_id}  # the one existing thing of each kind the run knows
    full = full_body(contract, configuration_id)
    for site in request_sites(contract):
        if site.references is None:
            continue
        for i, (edge, change) in enumerate(REFERENCE_EDGES.items()):
            base = full if i % 2 else {"configurationId": configuration_id}
            value = change(real[site.references])
            yield site.references, site.location, edge, place(contract, base, site.location, value)


def free_form_channel(contract: Contract) -> str:
    """The channel whose address the docs leave to the customer (``x-address-forms`` says ``free``)."""
    forms = contract.schema("address")["x-address-forms"]
    return next(channel for channel, form in forms.items() if isinstance(form, dict) and form.get("free"))
