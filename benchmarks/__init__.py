"""Koubei benchmarks: speed and accuracy figures, each beside a baseline measured in the same
run. ``make bench`` (``python -m benchmarks``) runs them all and prints one table."""
