"""Replay: the committed baseline passes, a doctored copy fails the right check, a run's verdicts come back."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from cassette_helpers import BASELINE, conformance, copy_baseline, interactions, live_run, results, sidecar
from vcr.serializers import yamlserializer

from conformance.contract.schemas import load_contract
from conformance.emulator.faults import FAULTS
from conformance.emulator.server import EmulatorServer
from conformance.record.cassettes.fastyaml import load_cassette
from conformance.run.replay import ReplayError, replay


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


def test_the_committed_baseline_replays_and_passes(tmp_path: Path) -> None:
    code, output = conformance("replay", str(BASELINE), "--report-dir", str(tmp_path))
    assert code == 0, output
    document = results(tmp_path)
    meta = sidecar(BASELINE)
    assert meta["deterministic"] is True and meta["seed"] == 1
    assert document["verdict"] == "passed" and document["target"] == "replay:emulator"
    assert document["counts"]["cases"] == len(meta["cases"]) > 50
    assert document["counts"]["requests"] == sum(len(c["request"]) + len(c["fetch"]) for c in meta["cases"])
    assert {p.name for p in tmp_path.iterdir()} == {"results.json", "junit.xml", "summary.md", "report.html"}
    judged = {name for name, row in document["checks"].items() if row["passed"]}
    assert {"read_back", "request_echo", "response_schema_conformance", "unique_ids", "account_identity"} <= judged
    assert sum(p.stat().st_size for p in BASELINE.rglob("*") if p.is_file()) < 1_000_000


def test_a_doctored_copy_of_the_baseline_fails_the_check_that_guards_it(tmp_path: Path) -> None:
    recording = copy_baseline(tmp_path / "doctored")
    path = recording / "valid.yaml"
    text = path.read_text(encoding="utf-8")
    index = next(i for i, item in enumerate(interactions(path)) if item["response"]["status"]["code"] == 201)
    # another account in the first created conversation (its read-back is left alone)
    data = yamlserializer.deserialize(text)
    body = json.loads(data["interactions"][index]["response"]["body"]["string"])
    body["accountId"] = "AC" + "e" * 32
    data["interactions"][index]["response"]["body"]["string"] = json.dumps(body)
    path.write_text(yamlserializer.serialize(data), encoding="utf-8")
    code, output = conformance("replay", str(recording), "--report-dir", str(tmp_path / "reports"))
    assert code == 1, output
    failures = results(tmp_path / "reports")["failures"]
    identity = [f for f in failures if f["check"] == "account_identity"]
    assert len(identity) == 1 and (identity[0]["cassette"], identity[0]["interaction"]) == ("valid.yaml", index)
    assert {f["check"] for f in failures} == {"account_identity", "read_back"}  # the read-back no longer matches


def test_replay_reaches_the_run_verdicts_exactly(emulator: EmulatorServer, tmp_path: Path) -> None:
    emulator.reset()
    emulator.inject("not_echoed", field="name", count=3)
    emulator.inject("extra_field", count=2)
    emulator.inject("rate_limit", count=1, retry_after=0)
    try:
        code, output = live_run(emulator, tmp_path, "--redact-pii", max_examples=4)
    finally:
        emulator.reset()
    assert code == 1, output
    code, output = conformance("replay", str(tmp_path / "cassettes"), "--report-dir", str(tmp_path / "replayed"))
    assert code == 1, output
    run, replayed = results(tmp_path / "reports"), results(tmp_path / "replayed")

    def verdicts(document: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [(c["id"], c["outcome"], c["status"], c["failed_checks"], c["warned_checks"], c["cassette"],
                 c["interaction"]) for c in document["cases"]]  # fmt: skip

    assert verdicts(replayed) == verdicts(run)
    keep = ("check", "message", "case", "curl", "cassette", "interaction", "request", "response")
    assert [{k: f[k] for k in keep if k != "response"} for f in replayed["failures"]] == [
        {k: f[k] for k in keep if k != "response"} for f in run["failures"]]  # fmt: skip
    assert replayed["warnings"] == run["warnings"]
    # The run also re-sent each failure group's example (confirmation): requests the recording does not hold.
    assert {**replayed["counts"], "requests": 0} == {**run["counts"], "requests": 0} and run["confirmation"]
    assert replayed["counts"]["requests"] < run["counts"]["requests"]
    assert replayed["observed_fields"] == run["observed_fields"]


def corrupt(recording: Path, name: str, edit: Any) -> None:
    path = recording / name
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")


def yaml_edit(change: Any) -> Any:
    def edit(text: str) -> str:
        data = yaml.safe_load(text)
        change(data)
        return yaml.safe_dump(data)

    return edit


def case_edit(change: Any) -> Any:
    def edit(text: str) -> str:
        data = json.loads(text)
        change(data["cases"][0])
        return json.dumps(data)

    return edit


CORRUPTIONS = [
    # (file, edit, what the one-line error must say)
    ("valid/edge.yaml", lambda t: t.replace("interactions:", "interactions: [", 1), r"edge\.yaml: not valid YAML"),
    ("valid/edge.yaml", lambda t: "- just\n- a list\n", r"edge\.yaml: not a vcrpy cassette"),
    ("valid/edge.yaml", yaml_edit(lambda d: d["interactions"][1].pop("response")),
     r"edge\.yaml: interaction 1: 'response' is missing"),
    ("valid/edge.yaml", yaml_edit(lambda d: d["interactions"][2]["response"]["status"].update(code="teapot")),
     r"edge\.yaml: interaction 2: response\.status\.code must be an HTTP status, got 'teapot'"),
    ("valid/edge.yaml", yaml_edit(lambda d: d["interactions"][2]["response"].update(status="abc")),
     r"edge\.yaml: interaction 2: response\.status must be a mapping with an HTTP status code, got 'abc'"),
    ("valid/edge.yaml", yaml_edit(lambda d: d["interactions"][0]["request"].update(headers=["a"])),
     r"edge\.yaml: interaction 0: request\.headers must map names to lists of strings"),
    ("valid/edge.yaml", yaml_edit(lambda d: d["interactions"][0]["response"].update(body={"string": 5})),
     r"edge\.yaml: interaction 0: response\.body\.string must be a string"),
    ("valid/edge.yaml", yaml_edit(lambda d: d.update(version=2)), r"edge\.yaml: cassette version 2"),
    ("run.json", case_edit(lambda c: c.update(request=[99])),
     r"valid/edge\.yaml: interaction 99: missing, the cassette has \d+ \(run\.json cases\[0\] \(valid/edge/00\)"),
    ("run.json", case_edit(lambda c: c.update(cassette="valid/nowhere.yaml")),
     r"valid/nowhere\.yaml: cassette missing \(run\.json cases\[0\] \(valid/edge/00\) points at it\)"),
    ("run.json", case_edit(lambda c: c.update(cassette="../../etc/passwd.yaml")),
     r"/run\.json cases\[0\] \(valid/edge/00\): cassette '\.\./\.\./etc/passwd\.yaml' is not a \.yaml file inside"),
    ("run.json", case_edit(lambda c: c.pop("kind")), r"run\.json: cases\[0\] \(valid/edge/00\): missing 'kind'"),
    ("run.json", case_edit(lambda c: c.update(request="0")),
     r"cases\[0\] \(valid/edge/00\): request must be a list of interaction indices \(integers from 0\), got '0'"),
    # checked by schemas/run-record.schema.json: a wrong type, a bad vocabulary word, a missing key, an unknown check
    ("run.json", lambda t: json.dumps({**json.loads(t), "seed": "3"}),
     r"run\.json: seed must be a whole number, got '3'"),
    ("run.json", case_edit(lambda c: c.update(auth="sudo")),
     r"cases\[0\] \(valid/edge/00\): auth must be an authentication mode of conformance\.kinds\.AuthMode, got 'sudo'"),
    ("run.json", lambda t: json.dumps({k: v for k, v in json.loads(t).items() if k != "run_id"}),
     r"run\.json: missing 'run_id'"),
    ("run.json", lambda t: json.dumps({**json.loads(t), "severities": {"read_back": "loud"}}),
     r"run\.json: severities\.read_back must be fail or warn, got 'loud'"),
    ("run.json", lambda t: json.dumps({**json.loads(t), "severities": {"no_such": "warn"}}),
     r"unknown check\(s\) no_such"),
    ("run.json", lambda t: t[: len(t) // 2], r"run\.json: unreadable"),
    ("run.json", lambda t: json.dumps({**json.loads(t), "format": 7}), r"run\.json: format 7, expected 1"),
    ("run.json", lambda t: json.dumps({**json.loads(t), "checks": ["no_such"]}), r"unknown check\(s\) no_such"),
    ("valid.yaml", yaml_edit(lambda d: d["interactions"][0]["request"].update(body="{not json")),
     r"valid\.yaml: interaction 0: request body is not the JSON object run\.json cases\[\d+\] \(valid/0000\)"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "edit", "expected"), CORRUPTIONS, ids=[f"{c[0]}:{c[2][:40]}" for c in CORRUPTIONS])
def test_a_corrupt_recording_is_one_clear_line_and_exit_2(tmp_path: Path, name: str, edit: Any,
                                                          expected: str) -> None:  # fmt: skip
    recording = copy_baseline(tmp_path / "recording")
    corrupt(recording, name, edit)
    code, output = conformance("replay", str(recording), "--report-dir", str(tmp_path / "reports"))
    assert code == 2, output
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("conformance replay: "), output
    assert re.search(expected, lines[0]), lines[0]
    assert str(recording) in lines[0] and "Traceback" not in output
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize("missing", ["folder", "run.json", "cassette"])
def test_missing_pieces_are_named(tmp_path: Path, missing: str) -> None:
    recording = copy_baseline(tmp_path / "recording")
    target = {"folder": recording, "run.json": recording / "run.json", "cassette": recording / "valid" / "edge.yaml"}[
        missing
    ]
    if target.is_dir():
        import shutil

        shutil.rmtree(target)
    else:
        target.unlink()
    with pytest.raises(ReplayError, match=re.escape(str(target))):
        replay(recording)


def test_the_fast_loader_reads_what_vcrpy_reads(tmp_path: Path) -> None:
    for path in sorted(BASELINE.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert load_cassette(text) == yamlserializer.deserialize(text), path
    odd = "interactions:\n- !!python/tuple [1, 2]\n- &a {x: !!binary aGk=, y: 0x10, z: ~, w: yes}\n- *a\nversion: 1\n"
    assert load_cassette(odd) == yamlserializer.deserialize(odd)  # a tag only vcrpy knows: handed over to it
    with pytest.raises(yaml.YAMLError):
        load_cassette("a: [")


@pytest.mark.parametrize("fault", ["missing_field", "wrong_type", "bad_timestamp", "unknown_enum", "extra_field",
                                   "wrong_account", "participants_dropped", "updated_before_created"])  # fmt: skip
def test_the_compiled_validator_agrees_with_the_full_walk(emulator: EmulatorServer, tmp_path: Path,
                                                          fault: str) -> None:  # fmt: skip
    """Contract.errors asks the compiled validator first; on every body a fault can produce, the verdicts agree."""
    assert fault in FAULTS
    emulator.reset()
    emulator.inject(fault)
    try:
        live_run(emulator, tmp_path, "--checks", "no_server_error", max_examples=2)
    finally:
        emulator.reset()
    contract = load_contract()
    recorded = [i for p in (tmp_path / "cassettes").rglob("*.yaml") for i in interactions(p)]
    bodies = [i["response"]["body"]["string"] for i in recorded]
    checked = 0
    for body in bodies:
        try:
            value = json.loads(body)
        except ValueError:
            continue
        for name in ("conversation", "error"):
            walked = sorted(e.message for e in contract.validator(name).iter_errors(value))
            assert sorted(e.message for e in contract.errors(name, value)) == walked
            checked += 1
    assert checked > 20
