"""Performance figures (`python -m benchmarks`): printed with their goals, saved as JSON.

Goals live here, not in timed tests, which would flake on a shared machine.
"""
