"""Request counters a test reads back: what was asked, how often, with
which answers, and what it cost in primary rate limit.

Endpoints are named by their templates ("GET /repos/{owner}/{repo}/branches"),
so a test asserts on what the client did without parsing paths.

Thread safety: RequestCounters locks its state.
"""

import collections
import threading
from dataclasses import asdict, dataclass
from typing import Optional

LOG_SIZE = 500


@dataclass
class RequestRecord:
    method: str
    path: str              # with the query string
    endpoint: str          # the template, or "unmatched"
    status: int
    charged: bool          # counted against the primary rate limit
    identity: str          # "anonymous" | "user" | "installation" | "app"
    content_encoding: Optional[str] = None   # of the request body
    transfer_encoding: Optional[str] = None  # "chunked" for streamed bodies


class RequestCounters:
    def __init__(self):
        self._lock = threading.Lock()
        self._reset_locked()

    def _reset_locked(self) -> None:
        self._total = 0
        self._charged = 0
        self._by_endpoint = {}
        self._log = collections.deque(maxlen=LOG_SIZE)

    def reset(self) -> None:
        with self._lock:
            self._reset_locked()

    def record(self, rec: RequestRecord) -> None:
        with self._lock:
            self._total += 1
            self._charged += int(rec.charged)
            entry = self._by_endpoint.setdefault(
                rec.endpoint, {"count": 0, "rate_limit_cost": 0, "statuses": {}})
            entry["count"] += 1
            entry["rate_limit_cost"] += int(rec.charged)
            status = str(rec.status)
            entry["statuses"][status] = entry["statuses"].get(status, 0) + 1
            self._log.append(rec)

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "total": self._total,
                "rate_limit_cost": self._charged,
                "by_endpoint": {k: {"count": v["count"],
                                    "rate_limit_cost": v["rate_limit_cost"],
                                    "statuses": dict(v["statuses"])}
                                for k, v in self._by_endpoint.items()},
                "log": [asdict(r) for r in self._log],
            }
