"""Failure paths CI can trust: a broken target is not a broken contract, and every setup or I/O problem is one
line and exit 2, with nothing sent before the output folders are known to be usable."""

from __future__ import annotations

import errno
import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import cli
from conformance.run.run_command import broken_target
from conformance.send.exchange import Exchange
from conformance.send.transport import not_the_api
from conformance.settings import NOT_THE_API_STREAK

LIVE_ENV = {"TWILIO_API_KEY": "SK" + "0" * 32, "TWILIO_API_SECRET": "emulator_api_secret",
            "CONFORMANCE_CONFIGURATION_ID": "conv_configuration_0000000000000000000default", "CI": "1",
            "TWILIO_ACCOUNT_SID": None, "TWILIO_AUTH_TOKEN": None, "CONFORMANCE_BASE_URL": None}  # fmt: skip
FAST = ["--rate", "10000", "--max-requests", "100000", "--max-examples", "1", "--seed", "3"]
Reply = tuple[int, str, bytes]  # status, content type, body
HTML_502 = (502, "text/html", b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>")


@contextmanager
def stub(answer: Callable[[str], Reply]) -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that answers every request with ``answer(path)``; yields its URL and the paths hit."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            hits.append(self.path)
            self.rfile.read(int(self.headers.get("content-length") or 0))
            status, content_type, body = answer(self.path)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _reply

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def run(*args: str, env: dict[str, str | None] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["run", *args], env={**LIVE_ENV, **(env or {})})
    return result.exit_code, result.stdout, result.stderr


def exchange(status: int, content_type: str, body: bytes) -> Exchange:
    return Exchange("POST", "http://x/v2/Conversations", {}, b"{}", "valid", status, {"content-type": content_type},
                    body)  # fmt: skip


# --- item 6: answers that are not the API's are not judged ---


@pytest.mark.parametrize(
    ("reply", "foreign"),
    [
        (HTML_502, True),
        ((200, "text/html; charset=utf-8", b"<html><body>Sign in to the Wi-Fi</body></html>"), True),
        ((504, "text/plain", b"upstream request timeout"), True),
        ((502, "application/json", b'{"message": "Internal server error"}'), True),  # a gateway's own JSON
        ((500, "text/plain", b"Internal Server Error"), True),
        ((502, "application/json", b'{"code": 20502, "message": "Bad gateway", "status": 502}'), False),
        ((500, "application/json", b'{"code": 20500, "message": "boom", "status": 500}'), False),
        ((400, "text/plain", b'{"code": 20001}'), False),  # the API with a wrong Content-Type: judged
        ((201, "application/json", b'{"id": "conv_1"'), False),  # the API with a cut body: judged
    ],
)
def test_what_counts_as_the_apis_own_answer(reply: Reply, foreign: bool) -> None:
    reason = not_the_api(exchange(*reply))
    assert (reason is not None) == foreign, reason
    if reason:
        assert reason.startswith("not the API's answer") and str(reply[0]) in reason


def test_a_target_that_answers_with_proxy_pages_is_one_line_and_exit_2_not_contract_failures(tmp_path: Path) -> None:
    with stub(lambda _path: HTML_502) as (url, hits):
        code, stdout, stderr = run("--target", "live", "--base-url", url, *FAST, "--report-dir", str(tmp_path / "r"),
                                   "--cassette-dir", str(tmp_path / "c"))  # fmt: skip
    assert code == 2, stdout + stderr
    assert stdout == ""  # no verdict, no list of failures
    last = stderr.strip().splitlines()[-1]
    assert "not the API's own" in last and "HTML page" in last and url in last
    assert "FAIL" not in stderr and "Traceback" not in stderr
    document = json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))
    counts = document["counts"]
    assert counts["failures"] == 0 and counts["inconclusive"] == NOT_THE_API_STREAK  # then the run stopped
    sent = [c for c in document["cases"] if c["outcome"] == "inconclusive"]
    # listed, not sent: only cross-account cases (this live target has no second account)
    assert {c["id"].split("/")[0] for c in document["cases"] if c["outcome"] == "not_run"} <= {"cross_account"}
    assert all(c["reason"].startswith("not the API's answer: 502") for c in sent)
    assert len(hits) == document["counts"]["requests"]


def test_a_few_gateway_answers_are_inconclusive_and_the_rest_is_judged() -> None:
    answered = [{"status": 201, "reason": None}] * 9 + [{"status": 502, "reason": "not the API's answer: 502 ..."}]
    assert broken_target({"cases": answered, "base_url": "http://x"}) is None
    flipped = [{"status": 201, "reason": None}] * 4 + [{"status": 502, "reason": "not the API's answer: 502 x"}] * 6
    line = broken_target({"cases": flipped, "base_url": "http://x"})
    assert line is not None and line.startswith("6 of 10 answers were not the API's own") and "http://x" in line


# --- item 7: setup and I/O errors ---


def test_output_folders_are_checked_before_anything_is_sent(tmp_path: Path) -> None:
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("x")
    with stub(lambda _path: (201, "application/json", b"{}")) as (url, hits):
        for folders in (["--report-dir", str(in_the_way / "r")], ["--cassette-dir", str(in_the_way / "c")]):
            code, stdout, stderr = run("--target", "live", "--base-url", url, *FAST, *folders)
            assert code == 2 and stdout == "" and len(stderr.strip().splitlines()) == 1, stderr
            assert "cannot write into" in stderr and str(in_the_way) in stderr
    assert hits == []


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_an_output_folder_that_cannot_be_written_is_found_by_trying_before_anything_is_sent(tmp_path: Path) -> None:
    """Under /proc nothing can be created, though ``os.access`` says it can to root."""
    writable = {"--report-dir": str(tmp_path / "r"), "--cassette-dir": str(tmp_path / "c")}
    with stub(lambda _path: (201, "application/json", b"{}")) as (url, hits):
        for option, folder in (("--report-dir", "/proc/conformance-reports"), ("--cassette-dir", "/proc/self/c")):
            folders = [part for name, value in {**writable, option: folder}.items() for part in (name, value)]
            code, stdout, stderr = run("--target", "live", "--base-url", url, *FAST, *folders)
            assert code == 2 and stdout == "" and len(stderr.strip().splitlines()) == 1, stderr
            assert f"cannot write into {folder}: /proc" in stderr and "is not writable" in stderr
    assert hits == []
    assert list(tmp_path.iterdir()) == []  # the probe in a writable folder is gone again


def test_an_io_error_while_writing_is_one_line_exit_2_and_the_reports_are_still_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conformance.record.cassettes.recording import Recorder

    def full_disk(_self: Recorder, _result: object) -> Path:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Recorder, "finish", full_disk)
    code, stdout, stderr = run("--max-examples", "1", "--seed", "3", "--report-dir", str(tmp_path / "r"),
                               "--cassette-dir", str(tmp_path / "c"))  # fmt: skip
    assert code == 2, stdout + stderr
    last = stderr.strip().splitlines()[-1]
    assert last == f"conformance: cannot finish the recording in {tmp_path / 'c'}: No space left on device"
    assert "Traceback" not in stderr
    for name in ("results.json", "summary.md", "report.html", "junit.xml"):
        assert (tmp_path / "r" / name).is_file()
    assert json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))["counts"]["cases"] > 0


@pytest.mark.parametrize(("target", "how"), [("live", "option"), ("live", "environment"), ("emulator", "option")])
def test_a_base_url_carrying_credentials_is_refused_without_echoing_them(target: str, how: str) -> None:
    # (CONFORMANCE_BASE_URL is the live target's: the emulator target leaves it alone, so the shell the
    # emulator's exports set up still runs the main job.)
    url = "https://SK1234:hunter2-secret@conversations.example.invalid"
    args, env = (["--base-url", url], {}) if how == "option" else ([], {"CONFORMANCE_BASE_URL": url})
    code, stdout, stderr = run("--target", target, *args, env=env)
    assert code == 2 and len(stderr.strip().splitlines()) == 1, stderr
    assert "must not carry credentials" in stderr
    assert "hunter2" not in stdout + stderr and "SK1234" not in stdout + stderr


@pytest.mark.parametrize("url", ["https://conversations.example.invalid/?token=hunter2-secret",
                                 "https://conversations.example.invalid/v2#access_token=hunter2-secret",
                                 "https://conversations.example.invalid?"])  # fmt: skip
@pytest.mark.parametrize("target", ["live", "emulator"])
def test_a_base_url_with_a_query_or_fragment_is_refused_without_echoing_it(target: str, url: str) -> None:
    """A token in the query would be printed on the first line and written into every report: refused first."""
    code, stdout, stderr = run("--target", target, "--base-url", url)
    assert code == 2 and len(stderr.strip().splitlines()) == 1, stderr
    assert "must not carry a query or a fragment" in stderr
    assert "hunter2" not in stdout + stderr


@pytest.mark.parametrize("variable", ["TWILIO_API_SECRET", "TWILIO_AUTH_TOKEN", "CONFORMANCE_SECOND_API_SECRET"])
@pytest.mark.parametrize("target", ["live", "emulator"])
def test_a_secret_too_short_to_redact_is_refused_without_echoing_it(target: str, variable: str) -> None:
    """A one-letter secret would be masked inside every word and JSON key of the reports: refused before sending."""
    code, stdout, stderr = run("--target", target, env={variable: "q"})
    assert code == 2 and len(stderr.strip().splitlines()) == 1, stderr
    assert f"{variable} is 1 character(s)" in stderr and "Traceback" not in stdout + stderr


@pytest.mark.parametrize(("variable", "names"), [("TWILIO_API_SECRET", "TWILIO_API_KEY and TWILIO_API_SECRET"),
                                                 ("CONFORMANCE_SECOND_API_SECRET", "CONFORMANCE_SECOND_API_KEY and "
                                                  "CONFORMANCE_SECOND_API_SECRET")])  # fmt: skip
def test_credentials_the_target_refuses_are_a_setup_error_not_a_broken_contract(tmp_path: Path, variable: str,
                                                                               names: str) -> None:  # fmt: skip
    """A rotated secret gets 401 for every valid request: one line and exit 2, not 170 contract failures."""
    from conformance.emulator.server import EmulatorServer

    with EmulatorServer() as server:
        second = server.settings.second_account
        assert second is not None and second.api_key and second.api_secret
        env = {"CONFORMANCE_SECOND_API_KEY": second.api_key, "CONFORMANCE_SECOND_API_SECRET": second.api_secret,
               "CONFORMANCE_SECOND_CONFIGURATION_ID": server.settings.second_configuration_id,
               variable: "not-the-secret-the-target-has"}  # fmt: skip
        code, _stdout, stderr = run("--target", "live", "--base-url", server.url, "--configuration-id",
                                    server.configuration_id, "--rate", "10000", "--max-examples", "1", "--report-dir",
                                    str(tmp_path / "r"), "--cassette-dir", str(tmp_path / "c"), env=env)  # fmt: skip
    assert code == 2 and f"the credentials in {names} got 401" in stderr, stderr
    assert "not-the-secret" not in stderr


def test_the_emulator_with_its_port_in_use_exits_2_in_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["emulator", "--port", str(port)])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [f"Error: cannot listen on 127.0.0.1:{port}: Address already in use"]


def test_an_interrupted_document_never_reads_passed() -> None:
    from conformance.judge.coverage import verdict
    from conformance.report.document import headline

    for failed, undecided, unjudged in ((False, False, 0), (True, True, 3), (False, True, 1), (False, False, 2)):
        ruling = verdict(interrupted=True, failed=failed, undecided=undecided, unjudged=unjudged)
        assert headline({"interrupted": True, "verdict": ruling, "coverage": {}}) == "INTERRUPTED"
    assert verdict(interrupted=False, failed=False, undecided=False, unjudged=0) == "passed"
    assert verdict(interrupted=False, failed=True, undecided=True, unjudged=2) == "failed"
    assert verdict(interrupted=False, failed=False, undecided=True, unjudged=2) == "undecided"
    assert verdict(interrupted=False, failed=False, undecided=False, unjudged=1) == "incomplete"
    # Results written before verdicts said so: only passed or failed, the rest worked out as then.
    assert headline({"interrupted": True, "verdict": "passed"}) == "INTERRUPTED"
    throttled = [{"id": f"valid/{i}", "outcome": "inconclusive", "reason": "still 429"} for i in range(3)]
    assert headline({"interrupted": False, "verdict": "passed", "cases": throttled}) == "UNDECIDED"


def test_the_reproduce_command_carries_the_users_policy() -> None:
    from conformance.report.document import reproduce_command

    document = {"target": "emulator", "seed": 5, "max_examples": 2, "shard": None,
                "policy": {"severities": {"undocumented_enum_values": "warn"}, "clock_skew_s": 600}}  # fmt: skip
    assert reproduce_command(document) == ("conformance run --target emulator --seed 5 --max-examples 2 "
                                           "--severity undocumented_enum_values=warn --clock-skew 600")  # fmt: skip


def test_parity_refuses_a_base_url_carrying_credentials_without_echoing_them(tmp_path: Path) -> None:
    baseline = Path(__file__).resolve().parents[2] / "cassettes" / "baseline"
    result = CliRunner().invoke(cli, ["parity", str(baseline), "--report-dir", str(tmp_path),
                                      "--base-url", "http://SK1234:hunter2-secret@127.0.0.1:9"])  # fmt: skip
    assert result.exit_code == 2 and "must not carry credentials" in result.output
    assert "hunter2" not in result.output and not any(tmp_path.iterdir())
    result = CliRunner().invoke(cli, ["parity", str(baseline), "--report-dir", str(tmp_path),
                                      "--base-url", "http://127.0.0.1:9/?token=hunter2-secret"])  # fmt: skip
    assert result.exit_code == 2 and "must not carry a query or a fragment" in result.output
    assert "hunter2" not in result.output and not any(tmp_path.iterdir())
