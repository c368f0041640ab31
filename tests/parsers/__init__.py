"""Parser tests: golden cases per platform and command, and property tests."""
