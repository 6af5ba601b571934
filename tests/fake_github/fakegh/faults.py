"""Fault switches a test turns on through the control API.

Each switch has a scope: "rest" (the REST API, the default), "git" (smart
HTTP), or "all". Switches with a count affect only the next `count` requests
in their scope and then turn themselves off; without a count they stay on
until cleared.

Thread safety: FaultSwitches locks its state; taking a one-shot fault is
atomic, so two concurrent requests never both consume the last one.
"""

import threading
from dataclasses import dataclass, field
from typing import Optional

SCOPES = ("rest", "git", "all")


class FaultConfigError(ValueError):
    pass


@dataclass
class Switch:
    """One armed fault: what to answer, where, and how many more times."""
    params: dict
    scope: str = "rest"
    remaining: Optional[int] = None  # None: until cleared

    def applies_to(self, scope: str) -> bool:
        return self.scope in ("all", scope) and self.remaining != 0

    def consume(self) -> None:
        if self.remaining is not None:
            self.remaining -= 1

    def as_json(self) -> dict:
        return dict(self.params, scope=self.scope, count=self.remaining)


@dataclass
class FaultState:
    server_errors: Optional[Switch] = None
    secondary_rate_limit: Optional[Switch] = None
    forbidden: Optional[Switch] = None
    delay_ms: Optional[Switch] = None
    deep_json: Optional[Switch] = None
    # (lower "owner/name", old branch) -> new branch
    branch_renames: dict = field(default_factory=dict)


def _switch(spec: dict, params: dict) -> Switch:
    scope = spec.get("scope", "rest")
    if scope not in SCOPES:
        raise FaultConfigError(f"scope must be one of {SCOPES}, not {scope!r}")
    count = spec.get("count")
    if count is not None and (not isinstance(count, int) or count < 0):
        raise FaultConfigError("count must be a non-negative integer or null")
    return Switch(params, scope, count)


def _status(spec: dict, allowed: tuple, default: int) -> int:
    status = spec.get("status", default)
    if status not in allowed:
        raise FaultConfigError(f"status must be one of {allowed}, not {status!r}")
    return status


class FaultSwitches:
    def __init__(self):
        self._lock = threading.Lock()
        self._state = FaultState()

    def configure(self, spec: dict) -> None:
        """Arm or disarm switches; keys not in spec stay as they are.
        A key set to null disarms that switch."""
        known = {"server_errors", "secondary_rate_limit", "forbidden", "delay_ms",
                 "deep_json", "branch_renames"}
        unknown = set(spec) - known
        if unknown:
            raise FaultConfigError(f"unknown fault switches: {sorted(unknown)}")
        parsed = {key: self._parse(key, value) for key, value in spec.items()}
        with self._lock:
            for key, value in parsed.items():
                if key != "branch_renames":
                    setattr(self._state, key, value)
                elif value is None:
                    self._state.branch_renames = {}
                else:
                    self._state.branch_renames.update(value)

    @staticmethod
    def _parse(key: str, value):
        """Validate one switch; None (JSON null) disarms it."""
        if value is None:
            return None
        if key == "branch_renames":
            return _parse_renames(value)
        if not isinstance(value, dict):
            raise FaultConfigError(f"{key} must be an object or null")
        if key == "server_errors":
            return _switch(value, {"status": _status(value, (500, 502, 503, 504), 502)})
        if key == "secondary_rate_limit":
            retry_after = value.get("retry_after")
            if retry_after is not None and not isinstance(retry_after, int):
                raise FaultConfigError("retry_after must be an integer or null")
            return _switch(value, {"status": _status(value, (403, 429), 403),
                                   "retry_after": retry_after})
        if key == "forbidden":
            # A token without a permission: REST only (git answers 403
            # through its own credentials path).
            if value.get("scope", "rest") != "rest":
                raise FaultConfigError("forbidden applies to the REST API only (scope 'rest')")
            message = value.get("message", "Resource not accessible by integration")
            if not isinstance(message, str) or not message:
                raise FaultConfigError("message must be a non-empty string")
            return _switch(value, {"message": message})
        if key == "deep_json":
            # A hostile or broken server: 200 with arrays nested `levels`
            # deep. REST only (git does not speak JSON).
            if value.get("scope", "rest") != "rest":
                raise FaultConfigError("deep_json applies to the REST API only (scope 'rest')")
            levels = value.get("levels", 1000000)
            if not isinstance(levels, int) or levels < 1:
                raise FaultConfigError("levels must be a positive integer")
            return _switch(value, {"levels": levels})
        ms = value.get("ms")
        if not isinstance(ms, (int, float)) or ms < 0:
            raise FaultConfigError("delay_ms needs 'ms', a non-negative number")
        return _switch(value, {"ms": ms})

    def clear(self) -> None:
        with self._lock:
            self._state = FaultState()

    def _take(self, name: str, scope: str) -> Optional[dict]:
        with self._lock:
            switch = getattr(self._state, name)
            if switch is None or not switch.applies_to(scope):
                return None
            switch.consume()
            return dict(switch.params)

    def take_delay_seconds(self, scope: str) -> float:
        params = self._take("delay_ms", scope)
        return params["ms"] / 1000.0 if params else 0.0

    def take_server_error(self, scope: str) -> Optional[int]:
        params = self._take("server_errors", scope)
        return params["status"] if params else None

    def take_secondary_limit(self, scope: str) -> Optional[dict]:
        return self._take("secondary_rate_limit", scope)

    def take_forbidden(self, scope: str) -> Optional[str]:
        params = self._take("forbidden", scope)
        return params["message"] if params else None

    def take_deep_json(self, scope: str) -> Optional[int]:
        params = self._take("deep_json", scope)
        return params["levels"] if params else None

    def renamed_branch(self, full_name: str, branch: str) -> Optional[str]:
        with self._lock:
            return self._state.branch_renames.get((full_name.lower(), branch))

    def snapshot(self) -> dict:
        with self._lock:
            s = self._state
            return {
                "server_errors": s.server_errors.as_json() if s.server_errors else None,
                "secondary_rate_limit":
                    s.secondary_rate_limit.as_json() if s.secondary_rate_limit else None,
                "forbidden": s.forbidden.as_json() if s.forbidden else None,
                "delay_ms": s.delay_ms.as_json() if s.delay_ms else None,
                "deep_json": s.deep_json.as_json() if s.deep_json else None,
                "branch_renames": [{"repo": repo, "from": old, "to": new}
                                   for (repo, old), new in s.branch_renames.items()],
            }


def _parse_renames(value) -> dict:
    if not isinstance(value, list):
        raise FaultConfigError('branch_renames must be a list of '
                               '{"repo": "owner/name", "from": old, "to": new}')
    renames = {}
    for item in value:
        if not (isinstance(item, dict) and all(
                isinstance(item.get(k), str) and item.get(k) for k in ("repo", "from", "to"))):
            raise FaultConfigError(f"bad branch rename {item!r}")
        renames[(item["repo"].lower(), item["from"])] = item["to"]
    return renames
