"""The default executor of the platform's code locations: every step of a run in the run's own process.

Each run already gets its own container (DockerRunLauncher), so that container, not a
subprocess per step, is the unit of isolation. Dagster's default (multiprocess) executor
starts a fresh Python process for every step, and each one imports the whole code location
again: measured on the stack, ~1.8 s per step on top of the run worker's own import, which
made a one-op run take three times longer than its work. In-process execution imports the
code once per run. Each location sets it in its ``Definitions`` (``executor=RUN_EXECUTOR``).

What is given up, and why that is acceptable here:
- Steps of one run no longer run in parallel. The example jobs are short chains; parallelism
  across runs (the run queue, up to `max_concurrent_runs`) is what the platform scales on.
- A hard crash of one step (a segfault, the container's memory limit) ends the whole run.
  Run monitoring notices the dead container and `run_retries` re-executes the run from the
  failed step (dagster.yaml), so finished steps are not redone.

A job that needs isolated or parallel steps sets its own executor, for example
``executor_def=dg.multiprocess_executor.configured({"start_method": {"forkserver":
{"preload_modules": ["app.definitions"]}}})``: the fork server imports the code once, and
each step forks from it instead of importing again.
"""

import dagster as dg

RUN_EXECUTOR = dg.in_process_executor
