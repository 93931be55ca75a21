"""The platform team's package, present in every Dagster image of the stack.

Two parts: what every process of the instance loads (``postgres_storage``, named by
dagster.yaml, and the ``environment`` switch team locations build on), and the ``platform``
code location itself (``definitions``: canary, housekeeping, run-failure alerts), which runs
in its own code server and image, apart from every team's code.
"""
