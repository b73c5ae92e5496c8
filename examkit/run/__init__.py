"""Layer 10, run: the batch runner (papermill per notebook from a bounded pool), its worker, the kernel and the grading server."""
