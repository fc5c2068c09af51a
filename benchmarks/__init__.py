"""Benchmarks for aes_membership (run: python -m benchmarks --quick)."""
