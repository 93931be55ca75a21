"""The Docker API policy proxy: the only process of the stack that holds the engine's socket.

A client's request is read whole, parsed strictly, checked against an allowlist of the calls
and settings its role needs (`launcher` or `housekeeping`), and, when approved, rebuilt from
the parsed values: the engine only ever receives bytes this package wrote, never the client's.

Standard library only, so it runs on the pinned upstream Python image with nothing installed.
"""
