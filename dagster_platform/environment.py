"""Which deployment environment this process runs in: ``PLATFORM_ENV``, the one switch.

Environments change *parameters* (endpoints, buckets, paths) and the IO manager class; code
is identical everywhere. The platform location and every team location read it from here,
so they agree on what each environment means.
"""

import enum
import os

import dagster as dg

PLATFORM_ENV_VAR = "PLATFORM_ENV"


class Environment(enum.Enum):
    """The deployment environments the platform knows."""

    DEV = "dev"  # embedded: `dg dev` on a laptop, no services at all
    LOCAL = "local"  # docker compose on a laptop (S3 stand-in, Postgres)
    CI = "ci"  # the compose stack in CI
    PROD = "prod"  # real object storage, real secrets

    @property
    def runs_on_services(self) -> bool:
        """True where the platform's services exist (S3 lake, Postgres); False only in embedded dev.

        (The landing zone is in S3 everywhere, dev included.)
        """
        return self is not Environment.DEV


ALLOWED_VALUES = tuple(e.value for e in Environment)


def current_environment() -> Environment:
    """Return the environment named by ``PLATFORM_ENV`` (``dev`` when unset or empty).

    Raises:
        ValueError: naming PLATFORM_ENV and the allowed values, for an unknown value.
    """
    raw = os.environ.get(PLATFORM_ENV_VAR, "").strip().lower() or Environment.DEV.value
    try:
        return Environment(raw)
    except ValueError:
        raise ValueError(
            f"{PLATFORM_ENV_VAR}={os.environ[PLATFORM_ENV_VAR]!r} is not a known environment; "
            f"allowed values: {', '.join(ALLOWED_VALUES)}"
        ) from None


def env_var_or_default(name: str, default: str | int | None):
    """Return ``dg.EnvVar(name)`` when the variable is set, else ``default``.

    Only for settings that are genuinely optional (dev defaults, AWS region, endpoint).
    Required settings use ``dg.EnvVar`` directly so a missing one fails loudly by name.
    The value is still resolved by Dagster at resource init, so it never leaks into the
    UI as a literal secret.
    """
    if os.environ.get(name, "") == "":
        return default
    if isinstance(default, int):
        return dg.EnvVar.int(name)
    return dg.EnvVar(name)


def starts_work_on_its_own() -> bool:
    """Whether schedules and polling sensors start RUNNING: where services exist, not in dev.

    In dev a laptop should not start doing work on its own (and the landing sensor would
    poll S3 every 30 s); `dagster schedule start` / `dagster sensor start` or the UI toggle
    switches them on. (Automation conditions and the run-failure sensor are always on.)
    """
    return current_environment().runs_on_services


def default_sensor_status() -> dg.DefaultSensorStatus:
    """Default status of a polling sensor: see :func:`starts_work_on_its_own`."""
    return dg.DefaultSensorStatus.RUNNING if starts_work_on_its_own() else dg.DefaultSensorStatus.STOPPED


def default_schedule_status() -> dg.DefaultScheduleStatus:
    """Default status of a schedule: see :func:`starts_work_on_its_own`."""
    return dg.DefaultScheduleStatus.RUNNING if starts_work_on_its_own() else dg.DefaultScheduleStatus.STOPPED
