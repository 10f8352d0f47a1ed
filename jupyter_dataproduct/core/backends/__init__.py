"""Execution backends: where the rows of a snapshot are reduced to small tables.

Polars (in process) is the default. Spark (``local[n]`` or Spark Connect) is the scale-out
backend: it is imported only when chosen, so small products never pay its start-up. Each
backend compiles cohorts with the same null rules (``core/cohort.py``): a condition on a
missing value is false, even ``!=`` and ``not in``, and ``not`` negates that two-valued
answer.
"""
