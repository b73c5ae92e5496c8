"""Layer 2, settings: one loader for everything in ``params/`` (policy, prices, columns, rubrics), validated with catalogued messages."""
