"""One batch's data, loaded once: what reports, notebooks and the runner read."""
