"""The layers of ``npgrad.nn``, one family per file."""
