-- Webhook deliveries already handled, by their X-GitHub-Delivery id: GitHub
-- redelivers on timeouts and on request, and a delivery must act once.
CREATE TABLE webhook_deliveries (
  delivery_id TEXT PRIMARY KEY,
  event       TEXT NOT NULL,
  received_at TEXT NOT NULL
);
