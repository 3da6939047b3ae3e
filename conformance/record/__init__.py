"""Stage 5, recording: the results stream, results.json, and the cassettes, redacted as they are written."""
