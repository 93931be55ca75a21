"""Plain Python used by the definitions (data generators, file contracts, metadata helpers)."""
