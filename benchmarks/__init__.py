"""Benchmarks: the scale ladder, a plain Mesa baseline and the bare event-loop floor."""
