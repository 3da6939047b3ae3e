"""Stage 4, judging: every check of a response against the contract, and what a run judged."""
