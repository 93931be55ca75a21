"""A stand-in for an SSO proxy (oauth2-proxy, Authelia, Pomerium), which nobody can run here:
just enough of their forward-auth contract to test the gateway's wiring, never a real login.

The gateway asks `GET /auth?role=<editor|viewer>` about every request, with the browser's
headers. A session cookie `sso=<user>` of a known user answers 200 with X-Auth-Request-User;
a known user without the role, 403; no session, a 302 to the sign-in page (as Authelia does).
Standard library only; run as `python3 sso_standin.py` (port 9091).
"""

import http.server
import urllib.parse
from http.cookies import SimpleCookie

# user -> roles, as an identity provider's groups would say.
USERS = {"alice": {"editor", "viewer"}, "bob": {"viewer"}}
PORT = 9091


class ForwardAuth(http.server.BaseHTTPRequestHandler):
    """Answers the gateway's forward_auth requests."""

    def do_GET(self) -> None:
        """Decide on one request the gateway forwards: 200, 403 or a redirect to sign in."""
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/auth":
            self._answer(404)
            return
        role = urllib.parse.parse_qs(url.query).get("role", ["viewer"])[0]
        cookie = SimpleCookie(self.headers.get("Cookie", ""))
        user = cookie["sso"].value if "sso" in cookie else None
        if user not in USERS:
            target = urllib.parse.quote(self.headers.get("X-Forwarded-Uri", "/"))
            self._answer(302, {"Location": f"https://sso.example/sign_in?rd={target}"})
        elif role not in USERS[user]:
            self._answer(403)
        else:
            self._answer(200, {"X-Auth-Request-User": user})

    def _answer(self, status: int, headers: dict[str, str] | None = None) -> None:
        """Send an empty response."""
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args) -> None:
        """Log to stderr as usual, one line per decision (docker logs)."""
        super().log_message(format, *args)


if __name__ == "__main__":
    http.server.ThreadingHTTPServer(("0.0.0.0", PORT), ForwardAuth).serve_forever()
