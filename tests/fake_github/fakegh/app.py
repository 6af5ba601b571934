"""FakeGitHub: the state one fake server holds, and its configuration.

The configuration (the --config / --state-file JSON, see README.md) is the
state a reset returns to: tokens, repository settings, the GitHub App, rate
limits and faults. Everything a test changes at run time through the
control API is forgotten on reset.

Thread safety: every component locks itself; FakeGitHub only wires them.
"""

import json
import os
import threading
from typing import Optional

from . import auth, shapes
from .control import ControlApi
from .counters import RequestCounters
from .faults import FaultConfigError, FaultSwitches
from .ratelimit import RateLimiter
from .repos import RepoStore
from .rest import RestApi


class ConfigError(ValueError):
    pass


def load_config(path: str) -> dict:
    """Read the JSON configuration; a relative public_key_file is taken
    relative to the file itself."""
    try:
        with open(path, encoding="utf-8") as handle:
            config = json.load(handle)
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path}: {error}") from None
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: the configuration must be a JSON object")
    app = config.get("app")
    if isinstance(app, dict) and "public_key_file" in app:
        key_path = os.path.join(os.path.dirname(os.path.abspath(path)),
                                app["public_key_file"])
        try:
            with open(key_path, encoding="utf-8") as handle:
                app["public_key_pem"] = handle.read()
        except OSError as error:
            raise ConfigError(f"{path}: app.public_key_file: {error}") from None
    return config


class FakeGitHub:
    def __init__(self, repos_root: str, config: Optional[dict] = None,
                 api_prefix: str = ""):
        self.repos = RepoStore(repos_root)
        self.tokens = auth.TokenRegistry()
        self.apps = auth.AppRegistry()
        self.limiter = RateLimiter()
        self.faults = FaultSwitches()
        self.counters = RequestCounters()
        self.api_prefix = api_prefix.rstrip("/")
        self.urls: Optional[shapes.Urls] = None  # set by bind()
        self.rest = RestApi(self)
        self.control = ControlApi(self)
        self._config = config or {}
        self.apply_config(self._config)
        # Set by POST /_fake/shutdown; the serving loop watches it.
        self.shutdown_requested = threading.Event()

    def bind(self, port: int) -> None:
        """Called once the port is known: URLs in answers point here."""
        web = f"http://127.0.0.1:{port}"
        self.urls = shapes.Urls(web=web, api=web + self.api_prefix)

    def reset(self) -> None:
        """Back to the configuration: no counters, faults or issued tokens."""
        self.tokens.clear()
        self.faults.clear()
        self.limiter.reset()
        self.counters.reset()
        self.repos.clear_settings()
        self.apps.configure(None)
        self.apply_config(self._config)

    def apply_config(self, config: dict) -> None:
        try:
            self._apply_tokens(config.get("tokens", []))
            for full_name, settings in config.get("repos", {}).items():
                self.repos.configure(full_name, settings)
            if config.get("app"):
                self.apps.configure(auth.app_config_from(config["app"]))
            for bucket, settings in config.get("rate_limit", {}).items():
                self.limiter.configure(bucket, settings)
            self.faults.configure(config.get("faults", {}))
        except (TypeError, ValueError, AttributeError, FaultConfigError) as error:
            raise ConfigError(str(error)) from None

    def _apply_tokens(self, tokens: list) -> None:
        for item in tokens:
            if isinstance(item, str):
                self.tokens.add(item)
            else:
                self.tokens.add(item["token"], expires_in=item.get("expires_in"))

    def close(self) -> None:
        self.apps.close()
