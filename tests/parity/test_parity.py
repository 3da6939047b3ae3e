"""Parity end to end: recordings of a faithful and of a faulty emulator, replayed against the faithful one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from parity_helpers import BASELINE, conformance, groups, parity, parity_json, record

from conformance.emulator.config import EmulatorSettings
from conformance.emulator.server import EmulatorServer

POST, GET = "POST /v2/Conversations", "GET /v2/Conversations/{id}"


@pytest.fixture(scope="module")
def faithful(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with EmulatorServer() as server:
        return record(server, tmp_path_factory.mktemp("faithful"))


def test_the_baseline_recording_passes_parity(tmp_path: Path) -> None:
    code, output = parity(BASELINE, tmp_path)
    assert code == 0, output
    doc = parity_json(tmp_path)
    cases = len(json.loads((BASELINE / "run.json").read_text(encoding="utf-8"))["cases"])
    assert doc["verdict"] == "matches"
    assert doc["counts"]["compared"] == cases and doc["counts"]["skipped"] == 0
    assert doc["counts"]["interactions"] > cases  # read-backs were re-pointed and compared too
    assert doc["groups"] == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["parity.html", "parity.json", "parity.md"]


def test_a_faithful_recording_reports_no_difference(faithful: Path, tmp_path: Path) -> None:
    code, output = parity(faithful, tmp_path)
    assert code == 0, output
    doc = parity_json(tmp_path)
    assert doc["verdict"] == "matches" and doc["groups"] == [] and doc["counts"]["differences"] == 0
    assert doc["recording"]["target"] == "live"
    assert "✅" in (tmp_path / "parity.md").read_text(encoding="utf-8")


FAULTS: list[tuple[str, dict[str, Any], set[tuple[str, str, str, str, str]]]] = [
    # (fault, params: the first `count` answers it changes, the groups parity must report: exactly these)
    ("extra_field", {"field": "metadata", "value": {"k": 1}, "count": 2}, {
        (POST, "member_missing", "metadata", "object", "absent"),
        (GET, "member_missing", "metadata", "object", "absent"),
        (POST, "check", "undocumented_fields", "warned", "passed"),
    }),
    ("wrong_status", {"status": 418, "count": 1}, {(POST, "status", "status", "418", "201")}),
    ("error_body_wrong", {"mode": "missing_more_info", "route": "create", "count": 1}, {
        (POST, "member_extra", "more_info", "absent", "string"),
        (POST, "check", "error_body_conformance", "failed", "passed"),
    }),
    ("wrong_type", {"field": "name", "route": "create", "count": 1}, {
        (POST, "member_type", "name", "integer", "null"),
        (POST, "check", "response_schema_conformance", "failed", "passed"),  # no name was sent: nothing to echo
        (POST, "check", "read_back", "failed", "passed"),
    }),
]  # fmt: skip


@pytest.mark.parametrize(("fault", "params", "expected"), FAULTS, ids=[f[0] for f in FAULTS])
def test_a_recorded_fault_is_exactly_the_difference_parity_reports(
    tmp_path: Path, fault: str, params: dict[str, Any], expected: set[tuple[str, str, str, str, str]]
) -> None:
    with EmulatorServer() as server:
        server.inject(fault, **params)
        recording = record(server, tmp_path / "run")
    code, output = parity(recording, tmp_path / "parity")
    assert code == 1, output
    doc = parity_json(tmp_path / "parity")
    assert groups(tmp_path / "parity") == expected
    assert {g["occurrences"] for g in doc["groups"]} == {1}
    assert len({e["case"] for g in doc["groups"] for e in g["examples"]}) == 1  # one faulty answer, one case
    assert doc["verdict"] == "differs" and all(g["status"] == "differs" for g in doc["groups"])
    example = doc["groups"][0]["examples"][0]
    assert example["cassette"] and isinstance(example["interaction"], int)
    summary = (tmp_path / "parity" / "parity.md").read_text(encoding="utf-8")
    assert "❌" in summary and all(f"`{g[2]}`" in summary for g in expected)
    assert "DIFF " in output


def test_what_the_vendor_left_unanswered_is_skipped_not_compared(tmp_path: Path) -> None:
    with EmulatorServer() as server:
        server.inject("status_503", retry_after=0, count=4)  # the first case: every attempt throttled
        server.inject("status_503", retry_after=0, count=4, route="fetch")  # the next read-back too
        recording = record(server, tmp_path / "run")
    code, output = parity(recording, tmp_path / "parity")
    assert code == 0, output
    doc = parity_json(tmp_path / "parity")
    assert [s["case"] for s in doc["skipped"]] == ["valid/edge/00", "valid/containers/00"]  # its read-back too
    assert all("503" in s["reason"] for s in doc["skipped"]) and doc["groups"] == []
    assert doc["counts"]["interactions"] < 2 * doc["counts"]["compared"]


def test_known_differences_accept_until_they_expire(tmp_path: Path) -> None:
    with EmulatorServer() as server:
        server.inject("extra_field", field="metadata", value="x", count=2)
        recording = record(server, tmp_path / "run")
    known = tmp_path / "known.toml"
    known.write_text(
        '[[differences]]\nkind = "member_missing"\nsubject = "metadata"\nreason = "vendor adds metadata"\n'
        "expires = 2999-01-01\n"
        '[[differences]]\nkind = "check"\nroute = "POST *"\nsubject = "undocumented_*"\nreason = "same"\n'
        "expires = 2999-01-01\n"
        '[[differences]]\nkind = "status"\nreason = "matches nothing"\nexpires = 2999-01-01\n',
        encoding="utf-8",
    )
    code, output = parity(recording, tmp_path / "accepted", "--known", str(known))
    assert code == 0, output
    doc = parity_json(tmp_path / "accepted")
    assert doc["verdict"] == "matches" and doc["counts"]["accepted_groups"] == 3
    assert {g["status"] for g in doc["groups"]} == {"accepted"}
    assert [k["kind"] for k in doc["unused_known"]] == ["status"]
    assert "vendor adds metadata" in (tmp_path / "accepted" / "parity.md").read_text(encoding="utf-8")

    known.write_text(known.read_text(encoding="utf-8").replace("2999-01-01", "2020-01-01", 1), encoding="utf-8")
    code, output = parity(recording, tmp_path / "expired", "--known", str(known))
    assert code == 1, output
    statuses = {g["kind"]: g["status"] for g in parity_json(tmp_path / "expired")["groups"]}
    assert statuses == {"member_missing": "expired", "check": "accepted"}


def test_the_shipped_known_differences_file_parses() -> None:
    from conformance.parity.known import KNOWN_FILE, load_known

    assert KNOWN_FILE.parent.name == "emulator"
    load_known(KNOWN_FILE)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("differences = 3", "[[differences]] tables"),
        ('[[differences]]\nkind = "wat"\nreason = "r"\nexpires = 2027-01-01', "not a difference kind"),
        ('[[differences]]\nkind = "status"\nexpires = 2027-01-01', "reason"),
        ('[[differences]]\nkind = "status"\nreason = "r"\nexpires = "soon"', "expires"),
        ('[[differences]]\nkind = "status"\nreason = "r"\nexpires = 2027-01-01\nowner = "x"', "unknown key"),
        ("[[differences]\n", "not valid TOML"),
        # checked by schemas/parity-known.schema.json: a wrong type, an unknown key, a missing key, one line each
        (
            '[[differences]]\nkind = "status"\nreason = "r"\nexpires = 2027-01-01\nroute = 3',
            "line 5: differences[0].route must be a non-empty string (a glob), got 3",
        ),
        (
            'ignored = true\n[[differences]]\nkind = "status"\nreason = "r"\nexpires = 2027-01-01',
            "line 1: unknown key 'ignored' (known: differences)",
        ),
        ('[[differences]]\nreason = "r"\nexpires = 2027-01-01', "line 1: differences[0]: missing 'kind'"),
    ],
)
def test_a_bad_known_differences_file_is_one_line_and_exit_2(tmp_path: Path, content: str, message: str) -> None:
    known = tmp_path / "known.toml"
    known.write_text(content, encoding="utf-8")
    code, output = parity(BASELINE, tmp_path / "out", "--known", str(known))
    assert code == 2 and message in output and "Traceback" not in output
    assert len([line for line in output.splitlines() if str(known) in line]) == 1, output
    assert not (tmp_path / "out").exists()


def test_an_unreadable_recording_is_exit_2(tmp_path: Path) -> None:
    code, output = parity(tmp_path / "nowhere", tmp_path / "out")
    assert code == 2 and "not a folder of cassettes" in output
    broken = shutil.copytree(BASELINE, tmp_path / "broken")
    (broken / "valid.yaml").write_text("interactions: [", encoding="utf-8")
    code, output = parity(broken, tmp_path / "out")
    assert code == 2 and "valid.yaml" in output and "Traceback" not in output
    assert not (tmp_path / "out").exists()


def test_parity_against_a_running_emulator(faithful: Path, tmp_path: Path) -> None:
    with EmulatorServer() as server:
        code, output = parity(faithful, tmp_path, "--base-url", server.url)
    assert code == 0, output
    assert parity_json(tmp_path)["emulator"]["base_url"] == server.url
    code, output = parity(faithful, tmp_path / "x", "--base-url", "ftp://nowhere")
    assert code == 2 and "--base-url" in output


def test_a_recording_of_another_account_and_configuration_is_mapped_onto_the_emulators(tmp_path: Path) -> None:
    """As a live recording is: the vendor's configuration and account are not the emulator's."""
    secrets = {"TWILIO_ACCOUNT_SID": "AC" + "5e" * 16, "TWILIO_AUTH_TOKEN": "a1b2c3d4e5f60718293a4b5c6d7e8f90"}
    configuration = "conv_configuration_01jhlivelivelivelivelivel"
    settings = EmulatorSettings(configuration_id=configuration).with_environment(secrets)
    with EmulatorServer(settings) as server:
        code, output = conformance(
            "run", "--target", "live", "--base-url", server.url, "--configuration-id", configuration, "--seed", "4",
            "--max-examples", "3", "--rate", "10000", "--max-requests", "100000", "--report-dir",
            str(tmp_path / "reports"), "--cassette-dir", str(tmp_path / "cassettes"), env=secrets,
        )  # fmt: skip
    assert code == 3 and "cross-account cases not run" in output, output  # one account: INCOMPLETE, nothing failed
    assert configuration in (tmp_path / "cassettes" / "valid.yaml").read_text(encoding="utf-8")
    code, output = parity(tmp_path / "cassettes", tmp_path / "parity")
    assert code == 0, output
    doc = parity_json(tmp_path / "parity")
    assert doc["groups"] == [] and doc["emulator"]["aliases"][configuration] != configuration


def test_the_html_is_one_self_contained_page(tmp_path: Path) -> None:
    with EmulatorServer() as server:
        server.inject("wrong_status", status=418, count=1)
        recording = record(server, tmp_path / "run")
    parity(recording, tmp_path / "out")
    html = (tmp_path / "out" / "parity.html").read_text(encoding="utf-8")
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "<script" not in html and "src=" not in html and "<link" not in html
    assert "DIFFERS" in html and "418" in html
