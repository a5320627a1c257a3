-- The Redis deployments (key prefixes) whose data the service has verified at least once. A
-- prefix found here with nothing in Redis means Redis lost that deployment's sales, which are
-- then restored; a prefix not found here is a new deployment (or another one sharing this
-- database, like the benchmark's), whose Redis starts empty and must not be filled with every
-- sale Postgres knows.
CREATE TABLE redis_deployments (
    prefix        TEXT PRIMARY KEY,
    run_id        TEXT NOT NULL,
    verified_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
