"""Conformance suite and emulator for Twilio Conversation Orchestrator v2 "Create a new Conversation"."""

__version__ = "0.1.0"
