"""Runs as a pipeline across processes and threads: the plan drawn in a child, cases sent by several
workers, the emulator in its own process; verdicts the same, in plan order, and nothing left running."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance.cli import cli
from conformance.contract.schemas import load_contract
from conformance.emulator.server import EmulatorServer
from conformance.kinds import family_of
from conformance.plan.cases import Case, build_plan
from conformance.plan.planner import drawn
from conformance.run.runner import Runner
from conformance.send.client import BudgetExhausted, Client, Limits, Stopped
from conformance.send.connection import Connection, TransportError, _proxy_for
from conformance.send.exchange import Exchange
from conformance.send.targets import target_for
from conformance.settings import RunOptions

CONTRACT = load_contract()
CONFIGURATION = "conv_configuration_0000000000000000000default"
EMULATOR_ENV = {"TWILIO_API_KEY": "SK" + "0" * 32, "TWILIO_API_SECRET": "emulator_api_secret"}
CREDENTIAL_ENV = dict.fromkeys(["TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
                                "CONFORMANCE_CONFIGURATION_ID", "CONFORMANCE_BASE_URL"])  # fmt: skip


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={**CREDENTIAL_ENV, "CI": "1", **(env or {})})
    return result.exit_code, result.output


def live_run(server: EmulatorServer, directory: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    code, output = invoke(
        "run", "--target", "live", "--base-url", server.url, "--configuration-id", server.configuration_id,
        "--rate", "10000", "--max-requests", "100000", "--seed", "5", "--max-examples", "4",
        "--report-dir", str(directory / "reports"), "--cassette-dir", str(directory / "cassettes"), *extra,
        env=EMULATOR_ENV,
    )  # fmt: skip
    assert code in (0, 1, 3), output  # 3: a request budget left case families unjudged (INCOMPLETE)
    return code, json.loads((directory / "reports" / "results.json").read_text(encoding="utf-8"))


# --- the plan drawn in a child process ---


def test_a_plan_drawn_in_a_child_process_is_the_plan_drawn_here() -> None:
    plan = build_plan(CONTRACT, CONFIGURATION, 11, 20, ("api_key", "account"))
    assert list(drawn(plan)) == list(plan)
    shard = plan.shard(2, 3)
    assert list(drawn(shard)) == list(shard)


def test_when_the_drawing_child_fails_the_run_draws_the_plan_itself() -> None:
    plan = build_plan(CONTRACT, CONFIGURATION, 11, 5)
    plan.recipe = replace(plan.recipe, schemas="/nonexistent/schemas")  # type: ignore[arg-type]  # the child dies
    assert list(drawn(plan)) == list(plan)


def test_a_run_that_stops_early_stops_its_drawing_child() -> None:
    plan = build_plan(CONTRACT, CONFIGURATION, 1, 1_000_000)
    before = _children()
    cases = drawn(plan)
    first = [next(cases) for _ in range(10)]
    assert first == [case for case, _ in zip(plan, range(10), strict=False)]
    cases.close()  # type: ignore[attr-defined]
    assert _children() == before


def _children() -> set[int]:
    """The live (not zombie) child processes of this one."""
    found = set()
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[1]) == os.getpid():
            found.add(int(status.parent.name))
    return found


# --- several workers ---


class _GatedClient(Client):
    """Answers every case with a canned 400 only once ``gate`` cases are in flight together: a run that sent
    one case at a time would never get past the barrier."""

    def __init__(self, *args: Any, gate: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.barrier = threading.Barrier(gate, timeout=20)

    def send_case(self, case: Case) -> Exchange:
        self.barrier.wait()
        body = (
            b'{"code": 20001, "message": "x", "more_info": "https://www.twilio.com/docs/errors/20001", "status": 400}'
        )
        return Exchange(case.method, case.path, {}, case.body, case.auth, status=400,
                        response_headers={"content-type": "application/json"}, response_body=body)  # fmt: skip


def test_workers_send_cases_at_the_same_time() -> None:
    target = target_for(EmulatorServer())  # never started: the gated client answers itself
    options = RunOptions(seed=1, max_examples=2, max_requests=None, rate=None, workers=4)
    client = _GatedClient(target, Limits(None, None), gate=4)
    plan = build_plan(CONTRACT, target.configuration_id, 1, 2)
    cases = [case for case in plan if case.expected_status == 400][:8]
    result = Runner(target, options, client=client).run(_FixedPlan(cases), "r")
    assert [c.case.id for c in result.cases] == [c.id for c in cases]  # in plan order, whatever finished first


class _FixedPlan:
    """A plan of given cases (what Runner.run needs of one)."""

    def __init__(self, cases: list[Case]) -> None:
        self.cases, self.seed, self.shard_of, self.recipe, self.ledger = cases, 1, None, None, None

    def __len__(self) -> int:
        return len(self.cases)

    def __iter__(self) -> Iterator[Case]:
        return iter(self.cases)

    def planned(self) -> dict[str, int]:
        return dict(Counter(family_of(case.id) for case in self.cases))


@pytest.mark.parametrize("fault", [None, "participants_dropped"])
def test_workers_reach_the_same_verdicts_in_the_same_order(tmp_path: Path, fault: str | None) -> None:
    verdicts = []
    for workers in ("1", "4"):
        with EmulatorServer() as server:
            if fault:
                server.inject(fault)
            code, document = live_run(server, tmp_path / workers, "--workers", workers)
        verdicts.append((code, [(c["id"], c["outcome"]) for c in document["cases"]],
                         sorted((f["case"], f["check"]) for f in document["failures"])))  # fmt: skip
    assert verdicts[0] == verdicts[1]
    assert verdicts[0][0] == (1 if fault else 3)  # one account: cross-account unjudged, so INCOMPLETE at best


def test_a_request_budget_holds_with_workers(tmp_path: Path) -> None:
    with EmulatorServer() as server:
        _, document = live_run(server, tmp_path, "--workers", "4", "--max-requests", "40")
    assert document["counts"]["requests"] <= 40 and document["stopped"] == "request budget spent"
    outcomes = [case["outcome"] for case in document["cases"]]
    first_unsent = outcomes.index("not_run") if "not_run" in outcomes else len(outcomes)
    assert first_unsent > 0 and set(outcomes[first_unsent:]) <= {"not_run"}  # sent ones first, in plan order
    assert document["counts"]["not_drawn"] > 0 and document["verdict"] == "incomplete"  # the rest: counted


def test_deterministic_runs_send_one_case_at_a_time(tmp_path: Path) -> None:
    code, output = invoke("run", "--deterministic", "--workers", "2", "--report-dir", str(tmp_path))
    assert code == 2 and "--deterministic sends one case at a time" in output and "Traceback" not in output


# --- the embedded emulator's process ---


def test_the_embedded_emulator_dies_with_a_killed_run(tmp_path: Path) -> None:
    script = (
        "import sys, time\n"
        "from conformance.send.targets import emulator_target\n"
        "with emulator_target() as target:\n"
        "    print(target.base_url, flush=True)\n"
        "    time.sleep(60)\n"
    )
    run = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        assert run.stdout is not None
        url = run.stdout.readline().strip()
        port = int(url.rsplit(":", 1)[1])
        _wait_until(lambda: _answers(port), "the emulator never answered")
        run.send_signal(signal.SIGKILL)
        run.wait(10)
        _wait_until(lambda: not _answers(port), "the emulator outlived its run")
    finally:
        run.kill()


def _answers(port: int) -> bool:
    try:
        Connection(f"http://127.0.0.1:{port}", timeout=2).request("GET", "/__emulator__/health", [], b"")
    except TransportError:
        return False
    return True


def _wait_until(condition: Any, message: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.05)


# --- the transport ---


def test_a_proxy_in_the_environment_is_not_used_for_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("HTTPS_PROXY", "http://user:pw@proxy.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert _proxy_for("http://127.0.0.1:8080", "127.0.0.1") is None
    proxy = _proxy_for("https://conversations.twilio.com", "conversations.twilio.com")
    assert proxy is not None and (proxy.hostname, proxy.port) == ("proxy.example", 3128)
    monkeypatch.setenv("NO_PROXY", "twilio.com")
    assert _proxy_for("https://conversations.twilio.com", "conversations.twilio.com") is None
    with EmulatorServer() as server:
        assert Connection(server.url).request("GET", "/__emulator__/health", [], b"").status == 200


def test_a_kept_alive_connection_the_server_closed_is_opened_again() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve_two_then_stop() -> None:  # answers as if keeping the connection alive, then hangs up
        for _ in range(2):
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    thread = threading.Thread(target=serve_two_then_stop, daemon=True)
    thread.start()
    connection = Connection(f"http://127.0.0.1:{port}")
    try:
        assert connection.request("GET", "/", [], b"").body == b"ok"
        time.sleep(0.05)  # the server has closed its end by now
        assert connection.request("GET", "/", [], b"").body == b"ok"
    finally:
        connection.close()
        listener.close()
    thread.join(5)
    with pytest.raises(TransportError, match="ConnectionRefused"):
        Connection(f"http://127.0.0.1:{port}").request("GET", "/", [], b"")


def test_an_interrupted_run_with_workers_stops_at_once_and_keeps_what_it_sent(tmp_path: Path) -> None:
    with EmulatorServer() as server:
        server.inject("slow", ms=20)
        command = [str(Path(sys.executable).parent / "conformance"), "run", "--target", "live", "--base-url",
                   server.url, "--configuration-id", server.configuration_id, "--rate", "10000",
                   "--max-requests", "100000", "--seed", "4", "--max-examples", "200", "--workers", "4",
                   "--report-dir", str(tmp_path / "reports"),
                   "--cassette-dir", str(tmp_path / "cassettes")]  # fmt: skip
        run = subprocess.Popen(command, env={**os.environ, **EMULATOR_ENV, "CI": "1"}, cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            _wait_until(lambda: server.faults.active()[0]["hits"] >= 40, "the run never got going", 60)
            run.send_signal(signal.SIGINT)
            assert run.wait(20) == 130
        finally:
            run.kill()
    document = json.loads((tmp_path / "reports" / "results.json").read_text(encoding="utf-8"))
    assert document["interrupted"] is True
    recorded = json.loads((tmp_path / "cassettes" / "run.json").read_text(encoding="utf-8"))
    listed = sum(len(case["request"]) + len(case["fetch"]) for case in recorded["cases"])
    on_disk = sum(len(interactions) for interactions in _cassettes(tmp_path / "cassettes"))
    assert listed == on_disk == document["counts"]["requests"] > 0  # every request sent is in a listed case


def _cassettes(folder: Path) -> Iterator[list[Any]]:
    from conformance.record.cassettes.fastyaml import load_cassette

    for path in folder.rglob("*.yaml"):
        yield load_cassette(path.read_bytes())["interactions"]


def test_a_budget_reaches_the_same_cases_whatever_the_workers(tmp_path: Path) -> None:
    outcomes = []
    for index, workers in enumerate(["4", "4", "1", "4"]):
        with EmulatorServer() as server:
            _, document = live_run(server, tmp_path / str(index), "--workers", workers, "--max-requests", "23")
        outcomes.append([(case["id"], case["outcome"]) for case in document["cases"]])
    assert outcomes[0] == outcomes[1] == outcomes[2] == outcomes[3]


def test_a_retry_never_overdraws_the_budget_and_a_stopped_client_sends_nothing() -> None:
    target = target_for(EmulatorServer())
    client = Client(target, Limits(max_requests=1, rate=None), sleep=lambda _s: None)
    assert client._spend() is True
    assert client._spend(first=False) is False  # a retry keeps the answers the case already has
    with pytest.raises(BudgetExhausted):
        client._spend()
    fresh = Client(target, Limits(None, None))
    fresh.stop()
    with pytest.raises(Stopped):
        fresh._spend()
    assert fresh.sent == 0


def test_a_pause_the_target_asked_for_holds_every_sender() -> None:
    waits: list[float] = []
    client = Client(target_for(EmulatorServer()), Limits(None, None), sleep=waits.append)
    client._paused_until = time.monotonic() + 5  # another sender got a 429 with Retry-After: 5
    assert client._spend() is True
    assert len(waits) == 1 and 4 < waits[0] <= 5


def test_helper_processes_run_this_package_whatever_the_working_directory(tmp_path: Path) -> None:
    impostor = tmp_path / "conformance"
    (impostor / "emulator").mkdir(parents=True)
    (impostor / "__init__.py").write_text("raise ImportError('the wrong conformance package')\n")
    (impostor / "emulator" / "__init__.py").write_text("")
    command = [str(Path(sys.executable).parent / "conformance"), "run", "--max-examples", "1",
               "--report-dir", str(tmp_path / "r"), "--cassette-dir", str(tmp_path / "c")]  # fmt: skip
    done = subprocess.run(command, cwd=tmp_path, env={**os.environ, "CI": "1"}, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_a_signal_waits_for_the_case_being_judged_or_written() -> None:
    from conformance.interrupts import Interrupts

    interrupts, written = Interrupts(), []
    with interrupts.installed():
        with pytest.raises(KeyboardInterrupt), interrupts.atomic():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the handler runs here, inside the block: it must not cut it short
            written.append("case")
        assert written == ["case"]  # raised only once the block was done
        with interrupts.held():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            written.append("judged")
        with pytest.raises(KeyboardInterrupt):
            interrupts.raise_pending()  # between cases, where stopping loses nothing
        interrupts.raise_pending()  # raised once
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)  # SIGTERM takes the same path as Ctrl-C
            time.sleep(0.05)
    assert written == ["case", "judged"]


def test_a_torn_batch_from_the_drawing_child_never_hangs_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    import conformance.plan.planner as planner

    # A child that sends an empty batch, then bytes that are no pickle, then blocks writing more.
    script = "import pickle, sys; out = sys.stdout.buffer; out.write(pickle.dumps([]) + b'torn' * 5_000_000)"
    monkeypatch.setattr(planner, "child_command", lambda *_args: [sys.executable, "-c", script])
    plan = build_plan(CONTRACT, CONFIGURATION, 11, 3)
    got: list[Case] = []
    reader = threading.Thread(target=lambda: got.extend(drawn(plan)), daemon=True)
    reader.start()
    reader.join(60)
    assert not reader.is_alive(), "the run hung on its drawing child"
    assert got == list(plan)  # drawn here instead, in the same order
