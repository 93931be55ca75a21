"""Where run failures are reported: the log always, a JSON webhook when configured."""

import json
import urllib.error
import urllib.request

import dagster as dg

WEBHOOK_TIMEOUT_SECONDS = 5


class FailureAlerts(dg.ConfigurableResource):
    """Posts run-failure notices to ``webhook_url`` (Slack/Teams/Alertmanager-style JSON)."""

    webhook_url: str | None = None

    def send(self, payload: dict) -> str:
        """POST ``payload``; return a short outcome text. Never raises: alerting must not crash."""
        if not self.webhook_url:
            return "no webhook configured"
        request = urllib.request.Request(
            self.webhook_url,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
                return f"webhook answered HTTP {response.status}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return f"webhook failed: {exc}"
