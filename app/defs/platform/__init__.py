"""Platform self-checks: jobs that exercise the deployment itself, not the data."""
