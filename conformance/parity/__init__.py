"""Parity: the emulator against what the vendor really answered.

A recording (``run.json`` and its cassettes, read by :class:`conformance.run.replay.Recording`)
is the source; every recorded request is re-sent to the emulator in the recorded order, and the two
answers are compared. The same pipeline as a run and a replay, with another source and another sink:

- ``resend``: the emulator to talk to, the credentials a case is re-sent with, the recorded values the
  emulator knows under another name (the run's configuration, the ids it issued);
- ``compare``: what differs between two answers (status, error code, content type, member paths and
  types, the shape of ids and timestamps, the checks' verdicts);
- ``known``: accepted differences (``conformance/emulator/parity-known.toml``), with a reason and an expiry;
- ``engine``: the pipeline; ``report``: ``parity.json``, ``parity.md`` and ``parity.html``; ``cli``:
  ``conformance parity``.
"""
