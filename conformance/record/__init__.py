"""Stage 5, recording: the results stream, results.json, and the cassettes, redacted as they are written."""

RESULTS_FILE = "results.json"  # the run's summary document, beside the stream and the reports
