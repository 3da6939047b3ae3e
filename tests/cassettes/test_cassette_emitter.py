"""The cassette emitter: what it writes reads back as the same values in every loader a cassette meets."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from vcr.persisters.filesystem import FilesystemPersister
from vcr.serializers import yamlserializer

from conformance.record.cassettes.emitter import dump_interactions
from conformance.record.cassettes.fastyaml import load_cassette
from conformance.record.cassettes.recording import CASSETTE_HEAD

# What YAML reads as something else, or not at all: indicators, line breaks (\x85, \u2028, \u2029 too),
# characters PyYAML's reader refuses raw, a BOM, scalars that resolve to bool, null, int, float, timestamp.
TRICKY = ["yes", "No", "on", "OFF", "true", "null", "Null", "~", "", "0x1", "0o7", "017", "1e3", "1.5e3", "1_000",
          "-1", "+1", ".inf", "-.Inf", ".nan", "12:30:45", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "<<", "=",
          "'", '"', "''", "\\", "\\u", "\\ud83d", "#", " #", "# ", ":", ": ", "- ", "-", "? ", "?", "|", ">", "!",
          "!!binary", "&a", "*a", "%", "@", "`", "[", "]", "{", "}", ",", " ", "  ", "\t", "\n", "\r", "\r\n",
          "\x00", "\x07", "\x1b", "\x7f", "\x80", "\x84", "\x85", "\x86", "\x9f", "\xa0", "\u2028", "\u2029",
          "\ufeff", "\ufffe", "\uffff", "\ud7ff", "\ue000", "\U00010000", "\U0001f600", "\U0010ffff", "a", "Z", "0",
          "...", "---", "caf\xe9"]  # fmt: skip
# Near-plain: words joined by what may (or may not) sit inside a plain scalar.
pieces = st.one_of(
    st.text(alphabet="aZ09", min_size=1, max_size=3),
    st.sampled_from(
        [" ", "  ", ":", ": ", "#", " #", "-", "- ", " -", "?", "? ", ",", ".", "/", "'", '"', "\\", "%", "@", "~", "!"]
    ),
)
words = st.lists(pieces, max_size=6).map("".join)
strings = st.one_of(
    st.text(), words, st.lists(st.one_of(st.sampled_from(TRICKY), st.text(max_size=3), words), max_size=6).map("".join)
)
# Names too long for a simple key (written ``? name``).
names = st.one_of(strings, st.lists(pieces, min_size=70, max_size=120).map("".join), st.text(min_size=130))
headers = st.dictionaries(names, st.lists(strings, max_size=3), max_size=5)
bodies = st.one_of(st.none(), strings, st.binary(), st.binary(min_size=40, max_size=300), st.text(min_size=200))
interactions = st.lists(st.fixed_dictionaries({
    "request": st.fixed_dictionaries({"body": bodies, "headers": headers, "method": strings, "uri": strings}),
    "response": st.fixed_dictionaries({"body": st.fixed_dictionaries({"string": bodies}), "headers": headers,
                                       "status": st.fixed_dictionaries({"code": st.integers(), "message": strings})}),
}), min_size=1, max_size=3)  # fmt: skip


def interaction(**changes: Any) -> dict[str, Any]:
    request = {"body": '{"name": "x"}', "headers": {"accept": ["*/*"], "content-length": ["13"]}, "method": "POST",
               "uri": "http://emulator.invalid/v2/Conversations"}  # fmt: skip
    response = {"body": {"string": '{"id": "conv_conversation_1"}'}, "headers": {"content-type": ["application/json"]},
                "status": {"code": 201, "message": "Created"}}  # fmt: skip
    return {"request": {**request, **changes.pop("request", {})}, "response": {**response, **changes}}


def vcrpy_reads(text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What vcrpy's filesystem persister makes of a cassette: its requests (as dicts) and responses."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cassette.yaml"
        path.write_text(text, encoding="utf-8")
        requests, responses = FilesystemPersister.load_cassette(path, yamlserializer)
    return [request._to_dict() for request in requests], responses


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(interactions)
@example([interaction(request={"body": None, "headers": {}}, body={"string": b"\xff\xfe\x00"}, headers={})])
@example([interaction(headers={name: ["a #b", "a: b", "a ", "-a", "- a", "a\x7f", "yes", "1e3", "it's", ""]
                              for name in ("a #b", "a: b", "a:b", "-a", "? a", "yes", "1")})])  # fmt: skip
@example([interaction(headers={"x" * 2000: ["long"], "\x85" * 1100: []})])
@example([interaction(request={"body": b""}, body={"string": "\ud7ff\ue000\U0010ffff\x85\u2028\u2029\ufeff"})])
def test_what_it_writes_reads_back_the_same_in_every_loader(items: list[dict[str, Any]]) -> None:
    text = dump_interactions(items)
    assert text.isascii()  # vcrpy's persister reads a cassette in the locale's encoding
    assert yaml.load(text, Loader=yaml.CSafeLoader) == items
    assert yaml.load(text, Loader=yaml.SafeLoader) == items
    cassette = CASSETTE_HEAD + text + text  # a cassette the recorder appended to twice
    assert load_cassette(cassette)["interactions"] == items * 2
    assert load_cassette(cassette.encode("utf-8"))["interactions"] == items * 2
    assert yamlserializer.deserialize(cassette)["interactions"] == items * 2
    try:
        expected: Any = vcrpy_reads(CASSETTE_HEAD + yaml.dump(items, Dumper=yaml.CDumper))
    except Exception as exc:  # what vcrpy refuses in yaml.dump's text (a uri it cannot parse) it must refuse here
        with pytest.raises(type(exc)):
            vcrpy_reads(cassette)
    else:
        assert vcrpy_reads(cassette) == (expected[0] * 2, expected[1] * 2)


def test_it_writes_what_people_read_easily() -> None:
    headers = {"Accept": ["*/*"], "X-Count": ["328"], "X-Flag": ["yes"]}
    item = interaction(request={"headers": headers}, body={"string": "caf\xe9 \U0001f600\n"},
                       status={"code": 400, "message": "Bad Request"})  # fmt: skip
    assert dump_interactions([item]) == (
        "- request:\n"
        '    body: \'{"name": "x"}\'\n'  # single quotes: a JSON body reads as itself
        "    headers:\n"
        "      Accept:\n"
        "      - '*/*'\n"
        "      X-Count:\n"
        "      - '328'\n"  # quoted: plain, it would read back as an int
        "      X-Flag:\n"
        "      - 'yes'\n"
        "    method: POST\n"
        "    uri: http://emulator.invalid/v2/Conversations\n"
        "  response:\n"
        "    body:\n"
        '      string: "caf\\xe9 \\U0001f600\\n"\n'
        "    headers:\n"
        "      content-type:\n"
        "      - application/json\n"
        "    status:\n"
        "      code: 400\n"
        "      message: Bad Request\n"
    )


def test_a_body_that_is_not_utf8_is_binary_as_vcrpy_writes_it() -> None:
    item = interaction(body={"string": bytes(range(256))})
    text = dump_interactions([item])
    assert "      string: !!binary |\n        AAECAwQF" in text
    assert yaml.load(text, Loader=yaml.CSafeLoader) == [item]


def test_another_shape_is_written_by_yaml_dump() -> None:
    odd = [interaction(recorded_at="2025-01-01"), interaction(request={"headers": {"a": "not a list"}}),
           interaction(status={"code": 2.5, "message": None})]  # fmt: skip
    text = dump_interactions(odd)
    assert yaml.load(text, Loader=yaml.CSafeLoader) == odd
    assert load_cassette(CASSETTE_HEAD + text)["interactions"] == odd


def test_nothing_to_write_is_no_text_and_a_lone_surrogate_is_refused_as_yaml_dump_refuses_it() -> None:
    assert dump_interactions([]) == ""
    with pytest.raises(UnicodeEncodeError):
        dump_interactions([interaction(request={"body": "\\ud800 is \ud800"})])
    with pytest.raises(UnicodeEncodeError):
        yaml.dump([interaction(request={"body": "\ud800"})], Dumper=yaml.CDumper)
    assert yaml.safe_load(dump_interactions([interaction(request={"body": "\\ud800 \U0001f600"})])) == [
        interaction(request={"body": "\\ud800 \U0001f600"})
    ]
