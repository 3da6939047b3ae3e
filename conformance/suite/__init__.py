"""The conformance suite as a pytest test module: `pytest --pyargs conformance.suite`."""
