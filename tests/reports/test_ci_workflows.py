"""The CI workflow files call the CLI with commands and options it really has."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from conformance.cli import cli

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
LIVE_SECRETS = {"TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_ACCOUNT_SID", "CONFORMANCE_CONFIGURATION_ID",
                # the second account of the cross-account cases, under exactly the names the run reads
                "CONFORMANCE_SECOND_API_KEY", "CONFORMANCE_SECOND_API_SECRET", "CONFORMANCE_SECOND_ACCOUNT_SID",
                "CONFORMANCE_SECOND_AUTH_TOKEN", "CONFORMANCE_SECOND_CONFIGURATION_ID"}  # fmt: skip


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def conformance_commands(workflow: dict[str, Any]) -> list[list[str]]:
    """Every `conformance ...` command line in the run scripts, with variables replaced by a value."""
    commands = []
    for step in steps(workflow):
        script = step.get("run", "").replace("\\\n", " ")
        for line in script.splitlines():
            line = line.strip()
            if line.startswith("conformance "):
                line = re.sub(r"\$\{\{[^}]*\}\}|\$\{?[A-Z_]+\}?", "1", line.split("|")[0])
                commands.append(shlex.split(line)[1:])
    return commands


def parse(args: list[str]) -> None:
    """Parse ``args`` down to the leaf command without running it (click raises on a bad option)."""
    command: click.Command = cli
    context = click.Context(cli, info_name="conformance")
    name = "conformance"
    while isinstance(command, click.Group):
        name, args = args[0], args[1:]
        sub = command.get_command(context, name)
        if sub is None:
            raise click.UsageError(f"no such command {name!r}")
        command, context = sub, click.Context(sub, info_name=name, parent=context)
    command.make_context(name, list(args), parent=context.parent)


@pytest.mark.parametrize("name", ["nightly.yml", "release-gate.yml"])
def test_workflow_commands_parse(name: str) -> None:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    commands = conformance_commands(workflow)
    assert commands
    for args in commands:
        parse(args)


def test_parse_rejects_what_the_cli_does_not_have() -> None:
    with pytest.raises(click.UsageError):
        parse(["gate", "out", "--polcy", "x.toml"])
    with pytest.raises(click.UsageError):
        parse(["run", "--shard"])
    with pytest.raises(click.UsageError):
        parse(["report", "merj", "a", "--output", "b"])


def test_nightly_runs_live_with_secrets_diffs_and_publishes() -> None:
    workflow = yaml.safe_load((WORKFLOWS / "nightly.yml").read_text(encoding="utf-8"))
    commands = conformance_commands(workflow)
    assert commands[0][:3] == ["run", "--target", "live"]
    assert any(c[0] == "diff" for c in commands)
    env = {k: v for step in steps(workflow) for k, v in (step.get("env") or {}).items()}
    assert {k for k, v in env.items() if str(v).startswith("${{ secrets.")} == LIVE_SECRETS
    text = (WORKFLOWS / "nightly.yml").read_text(encoding="utf-8")
    assert "GITHUB_STEP_SUMMARY" in text and "actions/upload-artifact" in text and "gh run download" in text


def test_release_gate_merges_shards_and_gates_with_the_shipped_policy() -> None:
    workflow = yaml.safe_load((WORKFLOWS / "release-gate.yml").read_text(encoding="utf-8"))
    commands = conformance_commands(workflow)
    assert any(c[:2] == ["report", "merge"] for c in commands)
    gate = next(c for c in commands if c[0] == "gate")
    assert (ROOT / gate[gate.index("--policy") + 1]).is_file()
    assert "secrets." not in (WORKFLOWS / "release-gate.yml").read_text(encoding="utf-8")
