"""GitHub's primary rate limit for the REST API ("core" resource).

Two buckets: every authenticated caller shares "authenticated" (5,000 an
hour by default) and anonymous callers share "anonymous" (60 an hour), as
GitHub's limits for one user and one IP address. A window starts on first
use and lasts an hour (or what the control API sets); when it has passed,
the bucket is full again, as on GitHub.

Thread safety: RateLimiter locks its buckets.
"""

import math
import threading
import time
from dataclasses import dataclass, replace

DEFAULT_LIMITS = {"authenticated": 5000, "anonymous": 60}
WINDOW_SECONDS = 3600


@dataclass
class Bucket:
    limit: int
    used: int
    reset_at: int  # epoch seconds
    exceeded_status: int = 403  # GitHub answers an exhausted limit 403 or 429

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def headers(self) -> dict:
        """The x-ratelimit-* headers GitHub sends with every REST answer."""
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(self.reset_at),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-resource": "core",
        }

    def as_json(self) -> dict:
        return {"limit": self.limit, "used": self.used,
                "remaining": self.remaining, "reset": self.reset_at}


class RateLimiter:
    def __init__(self):
        self._lock = threading.Lock()
        self._buckets = {}

    def _bucket(self, name: str) -> Bucket:
        """The live bucket; refilled when its window has passed. Lock held."""
        now = int(time.time())
        bucket = self._buckets.get(name)
        if bucket is None:
            bucket = Bucket(DEFAULT_LIMITS[name], 0, now + WINDOW_SECONDS)
            self._buckets[name] = bucket
        elif now >= bucket.reset_at:
            bucket.used = 0
            bucket.reset_at = now + WINDOW_SECONDS
        return bucket

    def peek(self, name: str) -> Bucket:
        """A copy of the bucket's state (for headers), charging nothing."""
        with self._lock:
            b = self._bucket(name)
            return replace(b)

    def exceeded_status(self, name: str) -> int:
        with self._lock:
            return self._bucket(name).exceeded_status

    def try_charge(self, name: str):
        """Charge one request. Returns (charged, copy of the bucket after)."""
        with self._lock:
            b = self._bucket(name)
            charged = b.remaining > 0
            if charged:
                b.used += 1
            return charged, replace(b)

    def is_exhausted(self, name: str) -> bool:
        with self._lock:
            return self._bucket(name).remaining == 0

    def set(self, name: str, limit=None, remaining=None, reset_in=None,
            exceeded_status=None) -> Bucket:
        """Control API: change a bucket. remaining=0 with reset_in=N is
        'primary rate limit exhausted until now+N'."""
        if name not in DEFAULT_LIMITS:
            raise ValueError(f"bucket must be one of {sorted(DEFAULT_LIMITS)}")
        if exceeded_status not in (None, 403, 429):
            raise ValueError("status must be 403 or 429")
        with self._lock:
            b = self._bucket(name)
            if exceeded_status is not None:
                b.exceeded_status = exceeded_status
            if limit is not None:
                b.limit = int(limit)
            if remaining is not None:
                b.used = max(0, b.limit - int(remaining))
            if reset_in is not None:
                b.reset_at = math.ceil(time.time() + float(reset_in))
            return replace(b)

    def configure(self, name: str, settings: dict) -> Bucket:
        """set() from JSON, as the control API and the configuration file
        give it: {"limit", "remaining", "reset_in", "status"}, all optional."""
        unknown = set(settings) - {"limit", "remaining", "reset_in", "status"}
        if unknown:
            raise ValueError(f"unknown rate limit settings: {sorted(unknown)}")
        return self.set(name, limit=settings.get("limit"),
                        remaining=settings.get("remaining"),
                        reset_in=settings.get("reset_in"),
                        exceeded_status=settings.get("status"))

    def reset(self) -> None:
        with self._lock:
            self._buckets = {}
