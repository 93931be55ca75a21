"""Entry point: `python -m docker_policy launcher|housekeeping` (see server.main)."""

import sys

from .server import main

main(sys.argv[1:])
