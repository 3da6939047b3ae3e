"""`conformance report merge`: the shards of a run add up to the whole run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from report_helpers import Fault, assert_one_clear_line, invoke, write_report

from conformance.record.latency import latency_summary
from conformance.report.document import load_results
from conformance.report.merge import merge_documents

# Faults that change every matching response, so the whole run and its shards see the same ones.
STEADY: tuple[Fault, ...] = (
    ("not_echoed", None, {"field": "name"}),
    ("extra_field", None, {"field": "metadata", "value": {"tier": "gold"}}),
)


@pytest.fixture(scope="module")
def whole_and_shards(make_run: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    root = tmp_path_factory.mktemp("merge")
    write_report(make_run(STEADY, seed=99), root / "whole")
    shards = []
    for index in (1, 2, 3):
        write_report(make_run(STEADY, seed=99, shard=(index, 3)), root / f"shard{index}")
        shards.append(root / f"shard{index}")
    return root / "whole", shards


def test_merged_shards_equal_the_whole_run(whole_and_shards: tuple[Path, list[Path]], tmp_path: Path) -> None:
    whole_dir, shards = whole_and_shards
    code, stdout, stderr = invoke("report", "merge", *map(str, reversed(shards)), "--output", str(tmp_path))
    assert code == 1, stdout + stderr  # the merged run's verdict: FAILED
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junit.xml", "report.html", "results.json", "summary.md"]
    merged, whole = load_results(tmp_path), load_results(whole_dir)  # load_results validates the schema
    assert merged["counts"] == whole["counts"] and merged["counts"]["failures"] > 0
    assert merged["checks"] == whole["checks"]
    assert merged["status_codes"] == whole["status_codes"]
    assert [c["id"] for c in merged["cases"]] == [c["id"] for c in whole["cases"]]
    assert [(f["check"], f["case"]) for f in merged["failures"]] == [(f["check"], f["case"]) for f in whole["failures"]]
    assert [(w["check"], w["message"], w["occurrences"], w["cases"]) for w in merged["warnings"]] == [
        (w["check"], w["message"], w["occurrences"], w["cases"]) for w in whole["warnings"]
    ]
    assert merged["observed_fields"] == whole["observed_fields"] and merged["undocumented"] == whole["undocumented"]
    assert len(merged["created_conversations"]) == len(whole["created_conversations"])
    assert merged["latency_ms"]["count"] == whole["latency_ms"]["count"]
    assert merged["shard"] == "1/3+2/3+3/3" and merged["verdict"] == "failed"
    assert "FAILED: 3 shard(s) merged" in stdout
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "--shard" not in summary and f"--seed {whole['seed']}" in summary


def test_latency_is_recomputed_from_every_exchange_of_every_case(whole_and_shards: tuple[Path, list[Path]]) -> None:
    whole_dir, shards = whole_and_shards
    whole = load_results(whole_dir)
    alone = merge_documents([whole], ["whole"])  # one "shard": recomputing must give back what the run measured
    assert alone["latency_ms"] == whole["latency_ms"]
    documents = [load_results(path) for path in shards]
    merged = merge_documents(documents, [str(p) for p in shards])
    samples = [c["elapsed_ms"] for d in documents for c in d["cases"]] + [
        c["fetched_elapsed_ms"] for d in documents for c in d["cases"] if c["fetched_elapsed_ms"] is not None
    ]
    assert merged["latency_ms"] == latency_summary(samples)


def test_overlapping_or_foreign_shards_are_refused(whole_and_shards: tuple[Path, list[Path]], make_run: Any,
                                                   tmp_path: Path) -> None:  # fmt: skip
    shards = whole_and_shards[1]
    code, stdout, stderr = invoke("report", "merge", str(shards[0]), str(shards[0]), "--output", str(tmp_path / "o"))
    assert_one_clear_line(code, stdout, stderr, "conformance report merge:", "shards overlap")
    write_report(make_run(seed=100, shard=(2, 3)), tmp_path / "other")
    code, stdout, stderr = invoke("report", "merge", str(shards[0]), str(tmp_path / "other"), "--output",
                                  str(tmp_path / "o"))  # fmt: skip
    assert_one_clear_line(code, stdout, stderr, "not shards of one run: seed differs")
    assert not (tmp_path / "o").exists()


def test_unreadable_shard_is_exit_2_naming_it(whole_and_shards: tuple[Path, list[Path]], tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(whole_and_shards[1][0], broken)
    document: dict[str, Any] = json.loads((broken / "results.json").read_text(encoding="utf-8"))
    document["counts"]["cases"] = "many"
    (broken / "results.json").write_text(json.dumps(document), encoding="utf-8")
    code, stdout, stderr = invoke("report", "merge", str(broken), "--output", str(tmp_path / "o"))
    assert_one_clear_line(code, stdout, stderr, str(broken / "results.json"), "counts/cases")
