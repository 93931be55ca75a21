"""The sensor that evaluates automation conditions (declarative automation)."""
