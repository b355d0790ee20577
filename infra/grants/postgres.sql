-- Leakhound's monitoring role for PostgreSQL (11+; the reserved slot needs 16+).
-- Run once as a superuser (on RDS/Aurora: the master user, a member of rds_superuser).
-- Re-running is harmless. The password is set separately, from your secret store:
--   \password leakhound        (psql)    or    ALTER ROLE leakhound PASSWORD '…';

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leakhound') THEN
    CREATE ROLE leakhound LOGIN;
  END IF;
END
$$;

-- Read every session's state, ages, wait events and last statement in pg_stat_activity.
-- Without it, other roles' sessions show only "<insufficient privilege>": you see that the
-- database is full but not who holds it, nor an idle transaction from a healthy pool.
GRANT pg_monitor TO leakhound;

-- End leaked sessions (pg_terminate_backend) once a human approved it. It cannot touch
-- superusers' sessions, and Leakhound only ends sessions that still match the snapshot.
GRANT pg_signal_backend TO leakhound;

-- PostgreSQL 16+: the leak fills every ordinary slot, and then the bot itself is refused
-- (53300 "remaining connection slots are reserved…") exactly when it is needed. Members of
-- pg_use_reserved_connections may use the reserved_connections slots. It only works with
-- reserved_connections > 0, which needs a restart:
--   ALTER SYSTEM SET reserved_connections = 3;   -- or the RDS/Aurora DB parameter group
-- Before 16 there is no such role: only superusers get a reserved slot.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pg_use_reserved_connections') THEN
    EXECUTE 'GRANT pg_use_reserved_connections TO leakhound';
  END IF;
END
$$;

-- Keep the bot harmless: never more than a few slots (the reserved ones are few), short
-- statements, and never a leaked transaction of its own.
ALTER ROLE leakhound CONNECTION LIMIT 3;
ALTER ROLE leakhound SET statement_timeout = '5s';
ALTER ROLE leakhound SET lock_timeout = '2s';
ALTER ROLE leakhound SET idle_in_transaction_session_timeout = '10s';
