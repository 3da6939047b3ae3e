"""Recording: every exchange in genuine vcrpy cassettes, pointed at by the results, byte-identical if deterministic."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import vcr
from cassette_helpers import conformance, files, interactions, live_run, results, sidecar
from vcr.errors import CannotOverwriteExistingCassetteException

from conformance.emulator.server import EmulatorServer
from conformance.record.cassettes.recording import SIDECAR, Recorder, cassette_name
from conformance.record.cassettes.redaction import Redactor
from conformance.record.results import RunResult
from conformance.run.replay import NetworkBlocked, no_network
from conformance.run.runner import Runner, plan_for
from conformance.send.targets import target_for
from conformance.settings import RunOptions


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def server(emulator: EmulatorServer) -> Iterator[EmulatorServer]:
    emulator.reset()
    yield emulator
    emulator.reset()


def test_every_attempt_and_read_back_is_recorded_and_the_exchange_points_at_the_last(
    server: EmulatorServer, tmp_path: Path
) -> None:
    server.inject("status_503", count=2, retry_after=0)
    target = target_for(server)
    options = RunOptions(seed=3, max_examples=1, max_requests=None, rate=None)
    case = next(c for c in plan_for(target, options).cases if c.kind == "valid")
    recorder = Recorder(tmp_path, Redactor.for_target(target, pii=False, environ={}))
    runner = Runner(target, options)
    try:
        result = recorder.file(runner.run_case(case))
        recorder.save(RunResult("r", "emulator", target.base_url, 3, 1, "now", cases=[result]))
    finally:
        runner.client.close()
    entry = sidecar(tmp_path)["cases"][0]
    recorded = interactions(tmp_path / entry["cassette"])
    assert [i["response"]["status"]["code"] for i in recorded] == [503, 503, 201, 200]
    assert entry["request"] == [0, 1, 2] and entry["fetch"] == [3]
    assert result.exchange is not None and result.fetched is not None
    assert (result.exchange.cassette, result.exchange.interaction) == (entry["cassette"], 2)
    assert result.fetched.interaction == 3 and recorded[3]["request"]["method"] == "GET"
    assert all("authorization" not in {h.lower() for h in i["request"]["headers"]} for i in recorded)


def test_failures_in_the_results_point_at_the_interaction_that_failed(server: EmulatorServer, tmp_path: Path) -> None:
    server.inject("wrong_status", count=1, status=200)
    server.inject("fetch_mismatch")
    code, output = live_run(server, tmp_path)
    assert code == 1, output
    document = results(tmp_path / "reports")
    assert document["cassette_dir"] == str(tmp_path / "cassettes")
    failures = {f["check"]: f for f in document["failures"]}
    assert {"positive_data_acceptance", "read_back"} <= failures.keys()
    for failure in document["failures"]:
        recorded = interactions(tmp_path / "cassettes" / failure["cassette"])[failure["interaction"]]
        assert recorded["response"]["status"]["code"] == failure["response"]["status"]
        assert recorded["request"]["uri"] == failure["request"]["url"]
    assert interactions(tmp_path / "cassettes" / failures["read_back"]["cassette"])[
        failures["read_back"]["interaction"]]["request"]["method"] == "GET"  # fmt: skip
    by_case = {c["id"]: c for c in document["cases"]}
    for entry in sidecar(tmp_path / "cassettes")["cases"]:
        assert by_case[entry["id"]]["cassette"] == (entry["cassette"] if entry["request"] else None)
        assert entry["cassette"] is None or entry["cassette"] == cassette_name(entry["id"].rpartition("/")[0])


def test_a_recorded_cassette_plays_back_through_httpx_with_vcrpy_and_the_network_off(
    server: EmulatorServer, tmp_path: Path
) -> None:
    code, output = live_run(server, tmp_path)
    assert code == 0, output
    path = tmp_path / "cassettes" / "valid" / "edge.yaml"
    recorded = interactions(path)
    with no_network(), vcr.use_cassette(str(path), record_mode="none") as cassette, httpx.Client() as client:
        for interaction in recorded:
            request, expected = interaction["request"], interaction["response"]
            response = client.request(request["method"], request["uri"], content=request["body"],
                                      headers={k: v[0] for k, v in request["headers"].items()})  # fmt: skip
            assert response.status_code == expected["status"]["code"]
            body = expected["body"]["string"]
            assert response.content == (body.encode() if isinstance(body, str) else body)
        with pytest.raises(CannotOverwriteExistingCassetteException):
            client.get("http://127.0.0.1:9/not-recorded")
        assert cassette.play_count == len(recorded)
    with no_network():
        with pytest.raises(httpx.ConnectError, match="offline"):
            httpx.get(server.url)
        with pytest.raises(NetworkBlocked):
            socket.create_connection(("127.0.0.1", server.port))
    assert httpx.get(server.url + "/__emulator__/health").status_code == 200  # the guard is lifted afterwards


def test_deterministic_runs_write_byte_identical_cassettes(tmp_path: Path) -> None:
    written = []
    for name in ("one", "two"):
        code, output = conformance(
            "run",
            "--deterministic",
            "--seed",
            "9",
            "--max-examples",
            "3",
            "--redact-pii",
            "--cassette-dir",
            str(tmp_path / name),
            "--report-dir",
            str(tmp_path / f"r{name}"),
        )
        assert code == 0, output
        written.append({p.relative_to(tmp_path / name): p.read_bytes() for p in files(tmp_path / name)})
    assert written[0] == written[1]
    assert len(written[0]) > 5 and Path(SIDECAR) in written[0]
    text = b"".join(written[0].values())
    assert b"127.0.0.1" not in text and b"emulator.invalid" in text


def test_the_default_folder_is_cassettes_run_id_and_a_rerun_drops_stale_cassettes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, output = conformance("run", "--deterministic", "--seed", "4", "--max-examples", "2")
    assert code == 0, output
    folder = tmp_path / "cassettes" / "emulator-seed4"
    listed = sidecar(folder)["cassettes"]
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*.yaml")) == listed
    stale = folder / "valid" / "gone.yaml"
    stale.write_text("interactions: []\nversion: 1\n")
    (folder / SIDECAR).write_text(json.dumps({**sidecar(folder), "cassettes": [*listed, "valid/gone.yaml"]}))
    code, output = conformance("run", "--deterministic", "--seed", "4", "--max-examples", "2", "--checks",
                               "no_server_error")  # fmt: skip
    assert code == 0, output
    assert not stale.exists() and sidecar(folder)["checks"] == ["no_server_error"]


def test_a_previous_recordings_cassettes_are_read_from_its_head_however_many_cases_it_lists(tmp_path: Path) -> None:
    from conformance.record.cassettes.recording import HEAD_CHARS, _listed_cassettes

    sidecar_path = tmp_path / "run.json"
    many = [{"id": f"valid/{i:06d}", "cassette": "valid.yaml"} for i in range(20_000)]
    sidecar_path.write_text(json.dumps({"format": 1, "cassettes": ["valid.yaml", "auth/create.yaml"], "cases": many},
                                       indent=2), encoding="utf-8")  # fmt: skip
    assert _listed_cassettes(sidecar_path) == {"valid.yaml", "auth/create.yaml"}
    padded = {"format": 1, "padding": "x" * HEAD_CHARS, "cassettes": ["late.yaml"], "cases": many[:2]}
    sidecar_path.write_text(json.dumps(padded, indent=2), encoding="utf-8")  # the cases start past the head
    assert _listed_cassettes(sidecar_path) == {"late.yaml"}
    torn = '{\n  "format": 1,\n  "cassettes": ["x.yaml"],\n  "cases": [\n    {"id": "val'  # cut mid-write
    sidecar_path.write_text(torn, encoding="utf-8")
    assert _listed_cassettes(sidecar_path) == {"x.yaml"}
