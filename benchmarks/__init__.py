"""Performance benchmarks (`make bench`); results in RESULTS.md, never in tests."""
