"""Layer 9, notebook: opening a batch in a notebook, display setup, the grading form, the explorer and the grading page."""
