"""The control API a test drives the fake with: JSON under /_fake/ on the
same port, no authentication (the server only listens on loopback).

Every answer is JSON; a bad request answers 400 {"error": "..."} and
changes nothing. The endpoints are listed in README.md.

Thread safety: stateless; the components it changes lock themselves.
"""

import json

from .auth import app_config_from
from .faults import FaultConfigError
from .http_util import Response, json_response


class ControlError(ValueError):
    pass


def _object(body: bytes) -> dict:
    if not body.strip():
        return {}
    try:
        document = json.loads(body)
    except ValueError as error:
        raise ControlError(f"body is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise ControlError("body must be a JSON object")
    return document


def _require(document: dict, key: str, kind):
    value = document.get(key)
    if not isinstance(value, kind) or (isinstance(value, str) and not value):
        raise ControlError(f"'{key}' is required ({getattr(kind, '__name__', kind)})")
    return value


class ControlApi:
    def __init__(self, gh):
        self.gh = gh  # app.FakeGitHub
        self.routes = {
            ("GET", "/_fake/health"): self.health,
            ("POST", "/_fake/reset"): self.reset,
            ("POST", "/_fake/shutdown"): self.shutdown,
            ("GET", "/_fake/requests"): self.requests,
            ("POST", "/_fake/requests/reset"): self.reset_requests,
            ("GET", "/_fake/tokens"): self.list_tokens,
            ("POST", "/_fake/tokens"): self.add_token,
            ("POST", "/_fake/tokens/expire"): self.expire_token,
            ("GET", "/_fake/faults"): self.get_faults,
            ("POST", "/_fake/faults"): self.set_faults,
            ("DELETE", "/_fake/faults"): self.clear_faults,
            ("GET", "/_fake/rate_limit"): self.get_rate_limit,
            ("POST", "/_fake/rate_limit"): self.set_rate_limit,
            ("POST", "/_fake/app"): self.set_app,
            ("POST", "/_fake/repos"): self.set_repo,
        }

    def handle(self, method: str, path: str, body: bytes) -> Response:
        handler = self.routes.get((method, path.rstrip("/")))
        if handler is None:
            return json_response(404, {"error": f"no control endpoint {method} {path}"})
        try:
            document = handler(_object(body))
        except (ControlError, FaultConfigError, ValueError, TypeError) as error:
            return json_response(400, {"error": str(error)})
        return json_response(200, document)

    def health(self, _):
        return {"ok": True, "web_url": self.gh.urls.web, "api_url": self.gh.urls.api}

    def reset(self, _):
        self.gh.reset()
        return {"ok": True}

    def shutdown(self, _):
        """Stop the server (popen() hides its pid). The server sets
        gh.shutdown_requested once this answer is sent (server.py): set
        here, the serving loop could end the process while the handler's
        thread is still writing the answer."""
        return {"ok": True}

    def requests(self, _):
        return self.gh.counters.snapshot()

    def reset_requests(self, _):
        self.gh.counters.reset()
        return {"ok": True}

    def list_tokens(self, _):
        return {"tokens": self.gh.tokens.snapshot()}

    def add_token(self, document):
        token = _require(document, "token", str)
        expires_in = document.get("expires_in")
        if expires_in is not None and not isinstance(expires_in, (int, float)):
            raise ControlError("'expires_in' must be a number of seconds")
        self.gh.tokens.add(token, expires_in=expires_in)
        return {"ok": True}

    def expire_token(self, document):
        if not self.gh.tokens.expire(_require(document, "token", str)):
            raise ControlError("no such token")
        return {"ok": True}

    def get_faults(self, _):
        return self.gh.faults.snapshot()

    def set_faults(self, document):
        self.gh.faults.configure(document)
        return self.gh.faults.snapshot()

    def clear_faults(self, _):
        self.gh.faults.clear()
        return self.gh.faults.snapshot()

    def get_rate_limit(self, _):
        return {name: self.gh.limiter.peek(name).as_json()
                for name in ("authenticated", "anonymous")}

    def set_rate_limit(self, document):
        settings = dict(document)
        bucket = self.gh.limiter.configure(settings.pop("bucket", "authenticated"),
                                           settings)
        return bucket.as_json()

    def set_app(self, document):
        config = app_config_from(document, self.gh.apps.config())
        self.gh.apps.configure(config)
        return {"app_id": config.app_id, "installations": sorted(config.installations),
                "token_ttl_seconds": config.token_ttl_seconds}

    def set_repo(self, document):
        full_name = _require(document, "full_name", str)
        if full_name.count("/") != 1:
            raise ControlError("'full_name' must be owner/name")
        settings = {}
        if "private" in document:
            settings["private"] = bool(document["private"])
        if "id" in document:
            settings["id"] = int(document["id"])
        self.gh.repos.configure(full_name, settings)
        return {"ok": True}
