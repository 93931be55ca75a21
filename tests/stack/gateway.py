"""Talk to the stack through its gateway (deploy/gateway/Caddyfile) as a browser's user would:
the editors' and viewers' sites, the template's local users, and GraphQL over HTTP.

Shared by the gateway's wire tests and the browser tests, so both sign in the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests

REQUEST_TIMEOUT = 60
# The local-only users of .env.example (their passwords are printed there, next to the hashes).
EDITOR = ("editor", "local-only-editor-password")
VIEWER = ("viewer", "local-only-viewer-password")

AUTOMATION_PAUSED = "{ instance { autoMaterializePaused } }"
SET_AUTOMATION_PAUSED = "mutation { setAutoMaterializePaused(paused: %s) }"


@dataclass(frozen=True)
class Gateway:
    """The gateway's sites on this host, from the compose env."""

    editor_url: str
    viewer_url: str

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Gateway:
        """The sites as the compose env publishes them (GATEWAY_BIND, _HTTP_PORT, _VIEWER_PORT)."""
        bind = env.get("GATEWAY_BIND", "127.0.0.1")
        host = "127.0.0.1" if bind in ("", "0.0.0.0") else bind
        return cls(
            editor_url=f"http://{host}:{env.get('GATEWAY_HTTP_PORT', '8080')}",
            viewer_url=f"http://{host}:{env.get('GATEWAY_VIEWER_PORT', '8081')}",
        )

    @staticmethod
    def graphql(
        site: str, query: str, *, auth: tuple[str, str] | None, headers: dict[str, str] | None = None
    ) -> requests.Response:
        """POST `query` as JSON to a site's /graphql, as the UI does."""
        return requests.post(
            f"{site}/graphql", json={"query": query}, auth=auth, headers=headers or {}, timeout=REQUEST_TIMEOUT
        )

    def data(self, site: str, query: str, *, auth: tuple[str, str]) -> dict:
        """The `data` of a GraphQL request that must succeed."""
        response = self.graphql(site, query, auth=auth)
        assert response.status_code == 200, (response.status_code, response.text[:500])
        body = response.json()
        assert not body.get("errors"), body
        return body["data"]

    def automation_paused(self) -> bool:
        """The instance's automation switch, read through the editors' site."""
        return self.data(self.editor_url, AUTOMATION_PAUSED, auth=EDITOR)["instance"]["autoMaterializePaused"]
