-- Schema and seed data billing-api expects (PostgreSQL). test/support/scratch-db.ts loads it
-- into a throw-away database. The data is chosen so the leaks trigger deterministically:
--   * every account has balance 1000: POST /transfer?from=1&to=2&amount=5000 hits "insufficient
--     funds" (the tx leak); amount=5 commits normally.
--   * order 1 is 'open' with a NULL note: GET /report fails to Scan it (the rows leak).
CREATE TABLE accounts (
  id      bigint PRIMARY KEY,
  owner   text   NOT NULL,
  balance bigint NOT NULL,
  status  text   NOT NULL DEFAULT 'active'
);

CREATE TABLE orders (
  id          bigserial   PRIMARY KEY,
  customer    text        NOT NULL,
  total_cents bigint      NOT NULL,
  status      text        NOT NULL,
  note        text,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_customer_idx ON orders (customer, id DESC);

INSERT INTO accounts (id, owner, balance)
SELECT g, 'owner-' || g, 1000 FROM generate_series(1, 10) AS g;

INSERT INTO orders (customer, total_cents, status, note)
SELECT 'customer-' || (g % 10),
       g * 100,
       CASE WHEN g % 3 = 0 THEN 'cancelled' ELSE 'open' END,
       CASE WHEN g = 1 THEN NULL ELSE 'note ' || g END
FROM generate_series(1, 50) AS g;
