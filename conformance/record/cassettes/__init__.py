"""Cassettes: a run's HTTP exchanges recorded with vcrpy, redacted before they touch disk, replayed offline.

- ``redaction``: what may reach a file (secrets out, SIDs as placeholders, personal data pseudonymised);
- ``recording``: the recorder a run hands every answered attempt to, and ``run.json`` beside the cassettes;
- ``replay``: every check again over a recording, with the network off;
- ``cli``: ``conformance replay``.
"""
