"""``conformance report merge``: the shards of one run (``--shard I/N``) as one results document.

Counts, check tables and status codes are summed, lists concatenated in the order the whole run
would have sent the cases, latency recomputed from every case's timings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from conformance.judge import coverage
from conformance.record.latency import latency_summary
from conformance.record.run_record import CaseEntry
from conformance.report.document import Document, missing_shards, undecided

SAME = ("format", "target", "seed", "max_examples")


class MergeError(Exception):
    """The documents are not shards of one run."""


def merge_documents(documents: list[Document], sources: list[str]) -> Document:
    """One results document from shards of the same run (same target, seed and max-examples)."""
    if not documents:
        raise MergeError("nothing to merge")
    documents, sources = _in_shard_order(documents, sources)
    first = documents[0]
    for key in SAME:
        values = {doc[key] for doc in documents}
        if len(values) > 1:
            listed = ", ".join(f"{src}: {doc[key]}" for src, doc in zip(sources, documents, strict=True))
            raise MergeError(f"not shards of one run: {key} differs ({listed})")
    cases = _interleave([doc["cases"] for doc in documents])
    seen: dict[str, str] = {}
    for source, doc in zip(sources, documents, strict=True):
        for case in doc["cases"]:
            if case["id"] in seen:
                raise MergeError(f"case {case['id']} is in both {seen[case['id']]} and {source}: shards overlap")
            seen[case["id"]] = source
    position = {case["id"]: i for i, case in enumerate(cases)}
    failures = sorted((f for doc in documents for f in doc["failures"]), key=lambda f: position.get(f["case"], 0))
    counts = {key: sum(doc["counts"].get(key, 0) for doc in documents) for key in first["counts"]}
    families = coverage.merged([doc.get("families") or {} for doc in documents])
    covered = coverage.summary(families)
    if missing := missing_shards("+".join(doc["shard"] for doc in documents if doc["shard"])):
        covered["unjudged"] = [*covered["unjudged"], *(f"(every family of shard {shard}: not merged)"
                                                       for shard in missing)]  # fmt: skip
    interrupted = any(doc["interrupted"] for doc in documents)
    ruling = coverage.verdict(
        interrupted=interrupted,
        failed=bool(failures),
        undecided=undecided({"cases": cases}) is not None,
        unjudged=len(covered["unjudged"]) if all("families" in doc for doc in documents) else 0,
    )
    started = [doc["started_at"] for doc in documents if doc["started_at"]]
    finished = [doc["finished_at"] for doc in documents if doc["finished_at"]]
    merged: Document = {
        **first,
        "run_id": f"{first['run_id']}-merged",
        "base_url": _one_or_all(doc["base_url"] for doc in documents),
        "shard": "+".join(doc["shard"] for doc in documents if doc["shard"]) or None,
        "started_at": min(started, default=""),
        "finished_at": max(finished, default=""),
        "duration_s": _duration(documents, started, finished),
        "interrupted": interrupted,
        "verdict": ruling.value,
        "counts": counts,
        "checks": _checks(documents),
        "failures": failures,
        "warnings": _warnings(documents, position),
        "inconclusive": sorted(
            (item for doc in documents for item in doc["inconclusive"]), key=lambda item: position.get(item["case"], 0)
        ),
        "created_conversations": sorted({cid for doc in documents for cid in doc["created_conversations"]}),
        "status_codes": _status_codes(documents),
        "latency_ms": latency_summary(_samples(cases)),
        "observed_fields": sorted({path for doc in documents for path in doc["observed_fields"]}),
        "undocumented": {
            kind: sorted({v for doc in documents for v in doc["undocumented"][kind]}) for kind in first["undocumented"]
        },
        "cassette_dir": _one_or_none(doc["cassette_dir"] for doc in documents),
        "cases": cases,
    }
    if all("families" in doc for doc in documents):  # results of runs that counted their families
        merged.update(coverage=covered, families=families)
    if any("confirmation" in doc for doc in documents):
        merged["confirmation"] = [group for doc in documents for group in doc.get("confirmation", [])]
    if any("reduced" in doc for doc in documents):
        merged["reduced"] = [group for doc in documents for group in doc.get("reduced", [])]
    return merged


def _in_shard_order(documents: list[Document], sources: list[str]) -> tuple[list[Document], list[str]]:
    """Sort by shard index when every document is a shard, so the cases interleave as the plan had them."""
    indices = [_shard_index(doc.get("shard")) for doc in documents]
    if any(index is None for index in indices):
        return documents, sources
    order = sorted(range(len(documents)), key=lambda i: indices[i] or 0)
    return [documents[i] for i in order], [sources[i] for i in order]


def _shard_index(shard: str | None) -> int | None:
    try:
        return int(shard.split("/")[0]) if shard and "+" not in shard else None
    except ValueError:
        return None


def _interleave(lists: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Round-robin, the inverse of ``CasePlan.shard``."""
    out: list[dict[str, Any]] = []
    for i in range(max(map(len, lists), default=0)):
        out.extend(items[i] for items in lists if i < len(items))
    return out


def _checks(documents: list[Document]) -> dict[str, Any]:
    table: dict[str, dict[str, Any]] = {}
    for doc in documents:
        for name, row in doc["checks"].items():
            merged = table.setdefault(name, {**row, "passed": 0, "failed": 0, "warned": 0})
            for outcome in ("passed", "failed", "warned"):
                merged[outcome] += row[outcome]
    return table


def _warnings(documents: list[Document], position: dict[str, int]) -> list[dict[str, Any]]:
    """Regroup by (check, message): occurrences summed, first cases kept, evidence from the earliest."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for doc in documents:
        for warning in doc["warnings"]:
            groups.setdefault((warning["check"], warning["message"]), []).append(warning)

    def first_case(warning: dict[str, Any]) -> int:
        return min((position.get(case, 0) for case in warning["cases"]), default=0)

    out = []
    for items in groups.values():
        earliest = min(items, key=first_case)
        cases = sorted({case for w in items for case in w["cases"]}, key=lambda case: position.get(case, 0))
        out.append({**earliest, "occurrences": sum(w["occurrences"] for w in items), "cases": cases[:10]})
    return sorted(out, key=first_case)


def _status_codes(documents: list[Document]) -> dict[str, int]:
    total: dict[str, int] = {}
    for doc in documents:
        for status, count in doc["status_codes"].items():
            total[status] = total.get(status, 0) + count
    return dict(sorted(total.items()))


def _samples(cases: list[dict[str, Any]]) -> list[float]:
    """Every answered exchange's time: the create (when answered) and its read-back."""
    entries = [CaseEntry.from_json(case) for case in cases]
    samples = [entry.elapsed_ms for entry in entries if entry.status is not None and entry.elapsed_ms is not None]
    return samples + [entry.fetched_elapsed_ms for entry in entries if entry.fetched_elapsed_ms is not None]


def _duration(documents: list[Document], started: list[str], finished: list[str]) -> float:
    """Wall-clock span of the shards (they usually run in parallel)."""
    try:
        span = datetime.fromisoformat(max(finished)) - datetime.fromisoformat(min(started))
        return round(max(span.total_seconds(), max(doc["duration_s"] for doc in documents)), 3)
    except ValueError:
        return max(doc["duration_s"] for doc in documents)


def _one_or_all(values: Any) -> str:
    distinct = list(dict.fromkeys(values))
    return distinct[0] if len(distinct) == 1 else " ".join(distinct)


def _one_or_none(values: Any) -> str | None:
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else None
