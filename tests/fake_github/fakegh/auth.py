"""Who is calling: tokens, installation tokens, and GitHub App JWTs.

GitHub's rules, as the fake applies them:
- REST takes `Authorization: Bearer <token>` or `token <token>` (and Basic
  with the token as password). A token that is unknown, revoked or expired
  answers 401 "Bad credentials", also on public repositories.
- Git over HTTP takes Basic: `x-access-token:<token>`, any user with the
  token as password, or the token as user name with an empty password.
- An App authenticates with an RS256 JWT (iss = app id, exp at most 10
  minutes after iat) and trades it for an installation token (ghs_...) that
  expires after a configurable time.

Thread safety: TokenRegistry and AppRegistry lock their own state.
"""

import base64
import binascii
import json
import os
import secrets
import string
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Optional

PAT_USER_ID = 1  # every configured token belongs to one fake user

VALID, UNKNOWN, EXPIRED = "valid", "unknown", "expired"


@dataclass(frozen=True)
class Identity:
    """The caller of one request, as rate limiting and errors need it."""
    kind: str        # "anonymous" | "user" | "installation"
    rate_bucket: str  # "authenticated" | "anonymous"
    label: str       # how GitHub names the caller in rate-limit messages

    @property
    def authenticated(self) -> bool:
        return self.kind != "anonymous"


ANONYMOUS = Identity("anonymous", "anonymous", "127.0.0.1")


@dataclass
class TokenEntry:
    token: str
    kind: str                      # "user" | "installation"
    expires_at: Optional[float]    # epoch seconds; None: never
    installation_id: Optional[int] = None
    revoked: bool = False

    def identity(self) -> Identity:
        if self.kind == "installation":
            return Identity("installation", "authenticated",
                            f"installation ID {self.installation_id}")
        return Identity("user", "authenticated", f"user ID {PAT_USER_ID}")


class TokenRegistry:
    def __init__(self):
        self._lock = threading.Lock()
        self._tokens = {}

    def add(self, token: str, expires_in: Optional[float] = None,
            kind: str = "user", installation_id: Optional[int] = None) -> TokenEntry:
        expires_at = None if expires_in is None else time.time() + float(expires_in)
        entry = TokenEntry(token, kind, expires_at, installation_id)
        with self._lock:
            self._tokens[token] = entry
        return entry

    def expire(self, token: str) -> bool:
        """Make token answer 401 from now on, as an expired token does."""
        with self._lock:
            entry = self._tokens.get(token)
            if entry is not None:
                entry.revoked = True
            return entry is not None

    def check(self, token: str):
        """(VALID|UNKNOWN|EXPIRED, entry or None)."""
        with self._lock:
            entry = self._tokens.get(token)
        if entry is None:
            return UNKNOWN, None
        if entry.revoked or (entry.expires_at is not None
                             and time.time() >= entry.expires_at):
            return EXPIRED, entry
        return VALID, entry

    def clear(self) -> None:
        with self._lock:
            self._tokens = {}

    def snapshot(self) -> list:
        with self._lock:
            entries = list(self._tokens.values())
        return [{"kind": e.kind, "expires_at": e.expires_at,
                 "revoked": e.revoked, "installation_id": e.installation_id,
                 "token_prefix": e.token[:4]} for e in entries]


def token_from_rest_header(value: Optional[str]) -> Optional[str]:
    """The token in an Authorization header, or None when there is none.
    An unparsable header yields '' (GitHub treats it as bad credentials)."""
    if not value:
        return None
    scheme, _, rest = value.strip().partition(" ")
    scheme = scheme.lower()
    if scheme in ("bearer", "token"):
        return rest.strip()
    if scheme == "basic":
        return token_from_basic(rest.strip())
    return ""


def token_from_basic(encoded: str) -> str:
    try:
        user, _, password = base64.b64decode(encoded, validate=True) \
            .decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    # https://<token>@host/... sends the token as the user name.
    if password in ("", "x-oauth-basic"):
        return user
    return password


def new_installation_token() -> str:
    alphabet = string.ascii_letters + string.digits
    return "ghs_" + "".join(secrets.choice(alphabet) for _ in range(36))


class JwtError(Exception):
    """A JWT GitHub would refuse; str(self) is GitHub's message."""


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


@dataclass
class AppConfig:
    app_id: int
    public_key_pem: str
    installations: set
    token_ttl_seconds: float = 3600.0


def app_config_from(spec: dict, current: Optional[AppConfig] = None) -> AppConfig:
    """An AppConfig from JSON; fields missing from spec keep current's."""
    if not isinstance(spec, dict):
        raise ValueError("app must be an object")
    base = current or AppConfig(app_id=0, public_key_pem="", installations=set())
    try:
        config = AppConfig(
            app_id=int(spec.get("app_id", base.app_id)),
            public_key_pem=str(spec.get("public_key_pem", base.public_key_pem)),
            installations={int(i) for i in spec.get("installations", base.installations)},
            token_ttl_seconds=float(spec.get("token_ttl_seconds", base.token_ttl_seconds)))
    except (TypeError, ValueError) as error:
        raise ValueError(f"app: {error}") from None
    if "BEGIN PUBLIC KEY" not in config.public_key_pem:
        raise ValueError("app needs public_key_pem (or public_key_file) in PEM form")
    return config


class AppRegistry:
    """The one configured GitHub App, and the check of its JWTs."""

    MAX_JWT_LIFETIME = 600  # GitHub: exp no more than 10 minutes out
    CLOCK_SKEW = 60         # GitHub tolerates iat a little in the future

    def __init__(self):
        self._lock = threading.Lock()
        self._config: Optional[AppConfig] = None
        self._key_file: Optional[str] = None

    def configure(self, config: Optional[AppConfig]) -> None:
        with self._lock:
            self._drop_key_file()
            self._config = config
            if config is not None:
                handle, self._key_file = tempfile.mkstemp(suffix=".pem")
                with os.fdopen(handle, "w") as out:
                    out.write(config.public_key_pem)

    def config(self) -> Optional[AppConfig]:
        with self._lock:
            return self._config

    def set_token_ttl(self, seconds: float) -> None:
        with self._lock:
            if self._config is not None:
                self._config.token_ttl_seconds = float(seconds)

    def close(self) -> None:
        with self._lock:
            self._drop_key_file()

    def _drop_key_file(self) -> None:
        if self._key_file and os.path.exists(self._key_file):
            os.unlink(self._key_file)
        self._key_file = None

    def verify(self, jwt: str) -> AppConfig:
        """Returns the app config when jwt is a valid app JWT, else raises
        JwtError with the message GitHub gives."""
        with self._lock:
            config, key_file = self._config, self._key_file
        if config is None:
            raise JwtError("Integration not found")
        header, claims, signing_input, signature = self._parse(jwt)
        if header.get("alg") != "RS256":
            raise JwtError("A JSON web token could not be decoded")
        # The signature first: claims mean nothing until they are authentic.
        if not self._signature_ok(key_file, signing_input, signature):
            raise JwtError("A JSON web token could not be decoded")
        self._check_claims(claims, config)
        return config

    @staticmethod
    def _parse(jwt: str):
        parts = jwt.split(".")
        if len(parts) != 3:
            raise JwtError("A JSON web token could not be decoded")
        try:
            header = json.loads(_b64url_decode(parts[0]))
            claims = json.loads(_b64url_decode(parts[1]))
            signature = _b64url_decode(parts[2])
        except (ValueError, binascii.Error):
            raise JwtError("A JSON web token could not be decoded") from None
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise JwtError("A JSON web token could not be decoded")
        signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
        return header, claims, signing_input, signature

    def _check_claims(self, claims: dict, config: AppConfig) -> None:
        now = time.time()
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, (int, float)) or iat > now + self.CLOCK_SKEW:
            raise JwtError("'Issued at' claim ('iat') must be an Integer "
                           "representing the time that the assertion was issued")
        if not isinstance(exp, (int, float)) or exp <= now:
            raise JwtError("'Expiration time' claim ('exp') must be a numeric "
                           "value representing the future time at which the "
                           "assertion expires")
        if exp - iat > self.MAX_JWT_LIFETIME or exp > now + self.MAX_JWT_LIFETIME:
            raise JwtError("'Expiration time' claim ('exp') is too far in the future")
        if str(claims.get("iss")) != str(config.app_id):
            raise JwtError("Integration not found")

    @staticmethod
    def _signature_ok(key_file: str, signing_input: bytes, signature: bytes) -> bool:
        # openssl reads the signature from a file and the data from stdin.
        with tempfile.NamedTemporaryFile(suffix=".sig") as sig:
            sig.write(signature)
            sig.flush()
            result = subprocess.run(
                ["openssl", "dgst", "-sha256", "-verify", key_file,
                 "-signature", sig.name],
                input=signing_input, capture_output=True, check=False)
        return result.returncode == 0
