"""examkit benchmarks: speed, memory and report size at scale, measured side by side.

Run ``python -m benchmarks.run`` (``make bench``); results go to ``benchmarks/RESULTS.md``.
"""
