"""Layer 8, report: tables, charts, narrative, report sections, HTML rendering and the index; frames in, HTML out."""
