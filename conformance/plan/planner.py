"""Drawing a run's plan in a process of its own, while the run sends, judges and records.

Drawing generated cases through Hypothesis is a quarter of a large run's work, and it does not depend
on anything the target answers. A child process builds the same plan from its :class:`PlanRecipe`
(the same seed draws the same cases in any process) and streams them, pickled in small batches, through
a pipe; the pipe's buffer is the only backlog, so the child draws at most a few batches ahead and memory
stays flat. Cases arrive in plan order, exactly as ``iter(plan)`` would give them.

If the child cannot start or dies, the run draws the rest itself, from where the child stopped.

    python -m conformance.plan.planner RECIPE_JSON   (started by :func:`drawn`)
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict
from itertools import islice
from pathlib import Path

from conformance.plan.cases import Case, CasePlan, PlanRecipe
from conformance.plan.children import child_command, child_environment

FIRST_BATCH = 4  # the first request should not wait for a big batch
BATCH = 64


def drawn(plan: CasePlan) -> Iterator[Case]:
    """The plan's cases in order, drawn by a child process when the plan says how to rebuild it."""
    if plan.recipe is None:
        yield from plan
        return
    recipe = {**asdict(plan.recipe), "shard": plan.shard_of}
    try:
        child = subprocess.Popen(
            child_command("conformance.plan.planner", json.dumps(recipe)),
            env=child_environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # a child that fails is replaced below
            start_new_session=True,  # Ctrl-C is the run's to handle; the run then stops this child
        )
    except OSError:
        yield from plan
        return
    received = 0
    try:
        assert child.stdout is not None
        while True:
            try:
                batch: list[Case] = pickle.load(child.stdout)
            except EOFError:
                finished = True  # the child closed the pipe: done (or died between batches)
                break
            except (pickle.UnpicklingError, OSError, ValueError):
                finished = False  # a torn or unreadable batch: stop reading, draw the rest here
                break
            for case in batch:
                received += 1
                yield case
        if not finished:
            child.stdout.close()  # a child blocked writing to us gets a broken pipe, never a deadlock
            child.kill()
        if child.wait() == 0 and finished:
            return
        yield from islice(plan, received, None)  # the child died: draw the rest here (the prefix costs a redraw)
    finally:
        if child.poll() is None:  # the run stopped early (a budget, the clock, Ctrl-C)
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()


def main(argv: list[str]) -> int:
    """The child: build the plan, write its cases to stdout in pickled batches until done (or the pipe closes)."""
    from conformance.contract.schemas import load_contract
    from conformance.plan.cases import build_plan

    recipe = json.loads(argv[0])
    shard = recipe.pop("shard")
    recipe["forms"], recipe["second_forms"] = tuple(recipe["forms"]), tuple(recipe["second_forms"])
    spec = PlanRecipe(**recipe)
    plan = build_plan(load_contract(Path(spec.schemas)), spec.configuration_id, spec.seed, spec.max_examples,
                      spec.forms, spec.second_forms, spec.second_configuration_id, spec.ledger)  # fmt: skip
    if shard is not None:
        plan = plan.shard(*shard)
    out = sys.stdout.buffer
    cases = iter(plan)
    size = FIRST_BATCH
    try:
        while batch := list(islice(cases, size)):
            for case in batch:  # worked out here, off the run's busiest thread, and pickled with the case
                _ = case.body, case.sends_null
            pickle.dump(batch, out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()
            size = BATCH
    except BrokenPipeError:  # the run stopped reading: it is done with us
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
