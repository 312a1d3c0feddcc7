"""Benchmarks: each measures the product against a named baseline in the same run."""
