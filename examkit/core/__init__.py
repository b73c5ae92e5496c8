"""Layer 1, core: the notice's rules as data and pure functions (money, ID numbers, masking, text, rubrics, grading, publicity, certificates)."""
