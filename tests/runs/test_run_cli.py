"""`conformance run` refuses bad setups with one line and exit code 2."""

from __future__ import annotations

import json
import socket

import pytest
from click.testing import CliRunner

from conformance.cli import cli

LIVE_ENV = {"TWILIO_API_KEY": "SK" + "1" * 32, "TWILIO_API_SECRET": "s3cret-value-never-printed",
            "CONFORMANCE_CONFIGURATION_ID": "conv_configuration_x"}  # fmt: skip
NO_ENV = dict.fromkeys(["TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
                        "CONFORMANCE_CONFIGURATION_ID", "CONFORMANCE_BASE_URL", "CONFORMANCE_SECOND_API_KEY",
                        "CONFORMANCE_SECOND_API_SECRET", "CONFORMANCE_SECOND_ACCOUNT_SID",
                        "CONFORMANCE_SECOND_AUTH_TOKEN", "CONFORMANCE_SECOND_CONFIGURATION_ID"])  # fmt: skip


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def invoke(args: list[str], env: dict[str, str | None]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["run", *args], env={**NO_ENV, **env})
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["--target", "live"], {}, "live target needs credentials"),
        (["--target", "live"], {"TWILIO_API_KEY": "SK1", "TWILIO_API_SECRET": "x" * 32},
         "needs an existing configuration"),
        (["--target", "live", "--base-url", "ftp://example"], LIVE_ENV, "--base-url must be an http(s) URL"),
        (["--target", "live", "--base-url", "https://"], LIVE_ENV, "not an http(s) URL with a host"),
        (["--target", "live", "--base-url", "http://h:99999"], LIVE_ENV, "Port out of range"),
        (["--target", "live", "--base-url", "http://[::1"], LIVE_ENV, "Invalid IPv6 URL"),
        (["--target", "live"], {**LIVE_ENV, "HTTPS_PROXY": "http://127.0.0.1:abc"}, "HTTPS_PROXY is not a usable"),
        (["--target", "live"], {**LIVE_ENV, "HTTPS_PROXY": "https://u:pw@proxy:1"}, "only http:// proxies"),
        (["--base-url", "http://127.0.0.1:9"], {}, "--base-url is for --target live"),
        (["--shard", "3/2"], {}, "shard index must be between 1 and 2"),
        (["--shard", "x"], {}, "expected I/N"),
        (["--checks", "no_such_check"], {}, "unknown check(s) no_such_check"),
        (["--max-examples", "0"], {}, "--max-examples"),
        (["--target", "staging"], {}, "--target"),
        (["--deterministic", "--target", "live"], LIVE_ENV, "--deterministic applies to the emulator"),
        ([], {"TWILIO_API_KEY": "SK" + "1" * 32}, "emulator: "),
        ([], {"TWILIO_ACCOUNT_SID": "not-a-sid", "TWILIO_AUTH_TOKEN": "t" * 32}, "emulator: "),
        (["--target", "live"], {**LIVE_ENV, "CONFORMANCE_SECOND_API_KEY": "SK" + "2" * 32},
         "CONFORMANCE_SECOND_API_KEY and CONFORMANCE_SECOND_API_SECRET must be set together"),
        ([], {"CONFORMANCE_SECOND_ACCOUNT_SID": "not-a-sid", "CONFORMANCE_SECOND_AUTH_TOKEN": "t" * 32},
         "emulator: CONFORMANCE_SECOND_ACCOUNT_SID must be AC"),
        (["--target", "live"], {**LIVE_ENV, "CONFORMANCE_SECOND_API_KEY": LIVE_ENV["TWILIO_API_KEY"],
                                "CONFORMANCE_SECOND_API_SECRET": LIVE_ENV["TWILIO_API_SECRET"]},
         "must be another account than the first"),
    ],
)  # fmt: skip
def test_bad_setup_is_one_clear_line_and_exit_2(args: list[str], env: dict[str, str], expected: str) -> None:
    code, output = invoke(args, env)
    assert code == 2, output
    assert expected in output
    assert "Traceback" not in output


def test_unreachable_live_target_is_exit_2_without_leaking_the_secret() -> None:
    code, output = invoke(["--target", "live", "--base-url", f"http://127.0.0.1:{closed_port()}",
                           "--max-examples", "1", "--report-dir", "/tmp/unreachable-run"], LIVE_ENV)  # fmt: skip
    assert code == 2, output
    assert "unreachable" in output and "Traceback" not in output
    assert LIVE_ENV["TWILIO_API_SECRET"] not in output


def test_a_live_run_without_a_second_account_says_so_and_lists_its_cases_not_run(tmp_path) -> None:
    from conformance.emulator.server import EmulatorServer
    from conformance.send.targets import SECOND_ACCOUNT_MISSING

    with EmulatorServer() as server:
        env = {"TWILIO_API_KEY": "SK" + "0" * 32, "TWILIO_API_SECRET": "emulator_api_secret",
               "CONFORMANCE_CONFIGURATION_ID": server.configuration_id}  # fmt: skip
        code, output = invoke(["--target", "live", "--base-url", server.url, "--rate", "10000", "--max-examples", "1",
                               "--report-dir", str(tmp_path), "--cassette-dir", str(tmp_path / "cassettes")],
                              env)  # fmt: skip
    assert code == 3 and "INCOMPLETE" in output, output  # nothing failed, but isolation was never judged
    notice = [line for line in output.splitlines() if "cross-account cases not run" in line]
    assert len(notice) == 1 and "CONFORMANCE_SECOND_API_KEY" in notice[0] and "INCOMPLETE at best" in notice[0]
    document = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    crossing = [case for case in document["cases"] if case["id"].startswith("cross_account/")]
    assert crossing and {case["outcome"] for case in crossing} == {"not_run"}
    assert {case["reason"] for case in crossing} == {SECOND_ACCOUNT_MISSING}
    reads_second = [c for c in crossing if c["id"].startswith("cross_account/read/first_reads_second/")]
    assert reads_second  # a case of the first account that needs the second's conversation is not run either


def test_reports_are_readable_by_others_like_any_file(tmp_path) -> None:
    import os
    import stat

    from conformance.record.atomic import write_atomic

    os.umask(old := os.umask(0o022))
    write_atomic(tmp_path / "r.json", "{}")
    mode = stat.S_IMODE((tmp_path / "r.json").stat().st_mode)
    assert mode == 0o666 & ~old


def test_reports_latest_follows_the_newest_run(tmp_path, monkeypatch) -> None:
    from conformance.run.run_command import point_latest_at

    for name in ("run-1", "run-2"):
        (tmp_path / name).mkdir()
        point_latest_at(tmp_path / name)
        assert (tmp_path / "latest").resolve() == (tmp_path / name).resolve()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "run-1", "run-2"]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"target": "emulator", "seed": 7, "max_examples": 100, "base_url": "http://127.0.0.1:5"},
         "conformance run --target emulator --seed 7 --max-examples 100"),
        ({"target": "live", "seed": 7, "max_examples": 10, "base_url": "https://conversations.twilio.com"},
         "conformance run --target live --seed 7 --max-examples 10"),
        ({"target": "live", "seed": 7, "max_examples": 10, "base_url": "http://127.0.0.1:8099", "shard": "2/4"},
         "conformance run --target live --seed 7 --base-url http://127.0.0.1:8099 --max-examples 10 --shard 2/4"),
        ({"target": "emulator", "seed": 7, "max_examples": 5, "policy": {"max_requests": 50, "deterministic": True}},
         "conformance run --target emulator --seed 7 --max-examples 5 --max-requests 50 --deterministic"),
        ({"target": "replay:live", "seed": 7, "max_examples": 10, "base_url": "https://conversations.twilio.com",
          "policy": {"rate": 0.5, "checks": ["read_back", "request_echo"]}},
         "conformance run --target live --seed 7 --max-examples 10 --rate 0.5 --checks read_back,request_echo"),
    ],
)  # fmt: skip
def test_the_reproduce_line_sends_the_same_requests_to_the_same_place(document: dict, expected: str) -> None:
    from conformance.report.document import reproduce_command

    assert reproduce_command(document) == expected
