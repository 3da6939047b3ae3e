"""Drawing examples from Hypothesis strategies without Hypothesis's test engine.

A run needs examples, not a test: no shrinking, no mutation of earlier inputs, no example database,
no health checks. ``@given`` pays for all of that (about 70% of a large run went there), and it
draws a whole batch before the first one can be used. :func:`examples` instead draws each example
on its own ``ConjectureData`` fed from one seeded ``random.Random``: an endless stream, the same
for the same seed, any prefix of it the same whatever length is asked for (so a lazy plan and an
eager one agree).

This is Hypothesis's internal API (``ConjectureData``, ``BuildContext``, ``HypothesisProvider``):
Hypothesis offers no public way to draw a reproducible example outside ``@given``
(``.example()`` is unseeded and meant for the REPL). Everything internal is in :func:`_draw_one` and
:class:`_UnrecordedData`;
``tests/test_plan.py`` pins what the project relies on, so an upgrade that changes it fails
there first.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from itertools import islice
from typing import Any

from hypothesis import strategies as st
from hypothesis.control import BuildContext
from hypothesis.errors import StopTest
from hypothesis.internal.conjecture.data import MAX_DEPTH, ConjectureData
from hypothesis.internal.conjecture.providers import HypothesisProvider
from hypothesis.strategies._internal.lazy import unwrap_strategies

MAX_REJECTIONS = 1000  # filters that reject this often in a row are a bug in the strategy, not bad luck


class _SeededProvider(HypothesisProvider):
    """Hypothesis's own provider without its "constants" pool: that pool is gathered from whatever local
    modules happen to be imported, so the same seed would draw differently under pytest, in ``conformance
    run`` or after a late import; without it a draw depends on the seed alone."""

    def _maybe_draw_constant(self, *_args: Any, **_kwargs: Any) -> None:
        return None


class _UnrecordedData(ConjectureData):
    """ConjectureData without its record of spans (the tree of nested draws that shrinking and the example database
    read, about a tenth of drawing's cost): only the depth, which bounds recursion, is kept. What is drawn does not
    depend on the record, so the same seed draws the same examples (``tests/test_plan.py``)."""

    def draw(self, strategy: st.SearchStrategy[Any], label: int | None = None, observe_as: str | None = None) -> Any:
        """A nested draw without what only the record and the test engine use (the span's label and value, the
        re-encoding of a replayed prefix, timing): the checks that can reject a draw are kept, in their order, and
        the choices are drawn by the same ``do_draw``, so the same seed draws the same examples. The top-level
        draw is Hypothesis's own. Nested draws are most of drawing: this was about a tenth of its cost."""
        if self.depth == 0 or self.prefix is not None:
            return super().draw(strategy, label, observe_as)
        strategy.validate()
        if strategy.is_empty:
            self.mark_invalid(f"empty strategy {strategy!r}")
        if self.depth >= MAX_DEPTH:
            self.mark_invalid("max depth exceeded")
        unwrapped = unwrap_strategies(strategy)
        self.start_span(0)
        try:
            return unwrapped.do_draw(self)
        finally:
            self.stop_span()

    def start_span(self, label: int) -> None:
        self.depth += 1
        self.max_depth = max(self.max_depth, self.depth)

    def stop_span(self, *, discard: bool = False) -> None:
        if self.frozen:
            return
        self.has_discards = self.has_discards or discard
        self.depth -= 1


def _draw_one(strategy: st.SearchStrategy[Any], rng: random.Random) -> Any:
    """One example, or StopTest when the strategy rejected what it drew (a filter, an overrun)."""
    data = _UnrecordedData(random=rng, provider=_SeededProvider)
    with BuildContext(data, wrapped_test=None):  # type: ignore[arg-type]  # strategies such as lists need one
        return data.draw(strategy)


def examples(strategy: st.SearchStrategy[Any], at_seed: int) -> Iterator[Any]:
    """Endless examples of ``strategy``, the same sequence for the same seed."""
    rng = random.Random(at_seed)
    while True:
        for _ in range(MAX_REJECTIONS):
            try:
                value = _draw_one(strategy, rng)
            except StopTest:
                continue
            break
        else:
            raise RuntimeError(f"{strategy!r} rejected {MAX_REJECTIONS} draws in a row")
        yield value


def draw(strategy: st.SearchStrategy[Any], count: int, at_seed: int) -> list[Any]:
    """The first ``count`` examples of ``strategy`` at ``at_seed``."""
    return list(islice(examples(strategy, at_seed), count))
