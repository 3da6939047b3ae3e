"""Show the difference, not the values: where two strings part, the members that differ; and with personal-data
redaction on, what the vendor changed in a value the suite generated (the returned value whole stays
pseudonymised, secrets stay redacted)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from conformance.cli import cli
from conformance.emulator.config import EmulatorSettings
from conformance.emulator.server import EmulatorServer
from conformance.judge.checks.difference import member_differences, string_difference
from conformance.judge.checks.registry import compared, how_differs

LONG = "Long value " + ("abcdefghij" * 500)[:4989]  # 5,000 characters, as the suite's valid/strings cases send


def test_a_long_string_with_characters_appended_shows_where_they_part_and_what_was_added() -> None:
    message = compared("name", LONG, LONG + "-altered")
    assert message == ('name sent 5,000 characters, got 5,008; they part at character 5,000: '
                       'sent …"bcdefghi" (ends), got …"bcdefghi" + "-altered"')  # fmt: skip


def test_a_change_in_the_middle_shows_a_window_on_both_sides() -> None:
    sent, got = "x" * 3000 + "MID" + "y" * 3000, "x" * 3000 + "MOD" + "y" * 3000
    assert string_difference(sent, got) == ('they part at character 3,001: sent …"xxxxxxxM" + "I" + "Dyyyyyyy"…, '
                                            'got …"xxxxxxxM" + "O" + "Dyyyyyyy"…')  # fmt: skip
    assert string_difference("Solo", "Sol") == 'they part at character 3: sent "Sol" + "o", got "Sol" (ends)'
    assert string_difference("Solo", "Bob") is None  # nothing in common: another value, not a changed one
    assert string_difference("mem_profile_member0", "mem_profile_resolved77") is None  # same shape, not ours
    assert string_difference("mem_profile_01", "mem_profile_resolved77") is None
    assert string_difference("Solo", "") == 'they part at character 0: sent "Solo", got "" (ends)'
    changed = string_difference("Grace", "Grade")
    assert changed == 'they part at character 3: sent "Gra" + "c" + "e", got "Gra" + "d" + "e"'
    assert compared("name", "Solo", "Bob") == 'name sent "Solo", got "Bob"'
    assert "differs only in letter case" in compared("name", "abc", "ABC")
    # Two of the vendor's own values (a read-back against the create): no window into either.
    assert how_differs("John Smith", "John Smithe") == ""
    assert how_differs("John Smith", "John Smyth") == " (first difference at character 7: U+0069 sent, U+0079 returned)"


def test_lists_and_objects_show_the_members_that_differ() -> None:
    sent = {"channel": "SMS", "address": "+15550100", "tags": ["a", "b"]}
    got = {"channel": "SMS", "address": "+15550100-x", "tags": ["a"], "extra": 1}
    assert member_differences(sent, got) == [
        'address: they part at character 9: sent …"15550100" (ends), got …"15550100" + "-x"',
        "tags: 2 items sent, 1 returned",
        "extra: added",
    ]
    message = compared("addresses", [sent], [got])
    assert message.split("; differing: ")[1].startswith("[0].address: they part at character 9")


def test_with_redaction_on_the_change_shows_and_the_returned_value_stays_pseudonymised(tmp_path: Path) -> None:
    env = {"TWILIO_API_KEY": "SK" + "7c" * 16, "TWILIO_API_SECRET": "Zq9/secret+value=", "CI": "1",
           "CONFORMANCE_CONFIGURATION_ID": "conv_configuration_differ01", "TWILIO_ACCOUNT_SID": None,
           "TWILIO_AUTH_TOKEN": None, "CONFORMANCE_BASE_URL": None}  # fmt: skip
    with EmulatorServer(EmulatorSettings().with_environment({k: v for k, v in env.items() if v})) as server:
        server.inject("append_to_names")
        result = CliRunner().invoke(cli, ["run", "--target", "live", "--base-url", server.url, "--rate",
                                                    "10000", "--max-requests", "5000", "--seed", "3", "--max-examples",
                                                    "1", "--checks", "request_echo", "--report-dir",
                                                    str(tmp_path / "r"), "--cassette-dir", str(tmp_path / "c")],
                                    env=env)  # fmt: skip
    assert result.exit_code == 1, result.output
    document = json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))
    short = [f for f in document["failures"] if 'got "Solo" + "-altered"' in f["message"]]
    assert short, [f["message"] for f in document["failures"]][:5]
    for failure in short:  # the difference shows; the value the vendor returned, whole, is a pseudonym
        assert "Solo-altered" not in failure["message"] and 'got "Participant ' in failure["message"]
        assert "Solo-altered" not in failure["response"]["body"]
    for path in (tmp_path / "r").iterdir():
        text = path.read_text(encoding="utf-8")
        assert "Zq9/secret+value=" not in text and "Solo-altered" not in text, path.name
    assert '"Solo" + "-altered"' in result.output  # the console says it too
