"""Conformance suite and emulator for Twilio Conversation Orchestrator v2 "Create a new Conversation"."""

from pathlib import Path

__version__ = "0.1.0"

# Where the installed package lives; data beside it is found from here, never from a module's own depth.
PACKAGE_DIR = Path(__file__).resolve().parent
