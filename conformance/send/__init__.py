"""Stage 3, sending: targets, credentials on the wire, the HTTP transport, and one exchange as sent and answered."""
