"""examkit.report."""
