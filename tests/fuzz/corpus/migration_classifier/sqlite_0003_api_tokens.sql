-- API tokens for `tether serve`. Only the SHA-256 of a token is stored (the
-- token itself is shown once, when it is created). A revoked token keeps its
-- row (revoked_at set) so that `tether token list` can still show it; names
-- are unique among tokens that are not revoked.
CREATE TABLE api_tokens (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  tenant_id   TEXT NOT NULL DEFAULT 'default',
  token_hash  TEXT NOT NULL UNIQUE,
  created_at  TEXT NOT NULL,
  revoked_at  TEXT
);
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens(name) WHERE revoked_at IS NULL;
