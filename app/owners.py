"""Owning teams, referenced by every asset's ``owners=`` (shown and filterable in the UI)."""

DATA_ENGINEERING = "team:data-engineering"
ANALYTICS = "team:analytics"
