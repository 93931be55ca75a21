"""IO managers: how asset outputs are stored between steps (chosen per environment)."""
