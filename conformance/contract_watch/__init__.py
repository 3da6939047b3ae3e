"""Contract watch: compare ``schemas/`` with a published description of the API, and say what it would change.

``shape`` reduces either side to the facts the suite checks, ``changes`` compares two shapes and classifies
each difference, ``source`` reads what the user names (a file, a URL, a docs page), ``alternative`` writes the
schemas a source implies, ``impact`` replays a recording against them, ``provenance`` says what ``schemas/``
was derived from, ``render`` prints it all and ``cli`` is `conformance contract`.
"""
