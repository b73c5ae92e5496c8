"""examkit.analysis."""
