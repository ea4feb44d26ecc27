"""Benchmarks: each prints its figures as a ratio to an anchor measured in the same run."""
