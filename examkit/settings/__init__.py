"""examkit.settings."""
