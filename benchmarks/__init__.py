"""`make bench`: buildwright against `docker buildx build` on the same engine, workload by workload.

Run as `python -m benchmarks` (quick) or `python -m benchmarks --full`; see `python -m benchmarks --help`.
"""
