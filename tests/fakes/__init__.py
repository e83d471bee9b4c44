"""Fake servers that real client libraries talk to over local HTTP in tests."""
