"""Cassettes: a run's HTTP exchanges recorded with vcrpy, redacted before they touch disk.

- ``redaction``: what may reach a file (secrets out, SIDs as placeholders, personal data pseudonymised);
- ``recording``: the recorder a run hands every answered attempt to, and ``run.json`` beside the cassettes;

Replaying a recording (every check again, with the network off) is a run of its own: ``run/replay.py`` and
``run/replay_command.py`` (``conformance replay``).
"""
