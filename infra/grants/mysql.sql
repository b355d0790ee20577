-- Leakhound's monitoring user for MySQL 8.0+ and MariaDB 10.5+.
-- Run as an administrator (on RDS/Aurora: the master user). Pick the section for your server.
-- Replace the password with one from your secret store before running.

-- ---------------------------------------------------------------- [mysql] MySQL 8.0+
CREATE USER IF NOT EXISTS 'leakhound'@'%' IDENTIFIED BY 'change-me-from-the-secret-store';

-- See every thread in PROCESSLIST (not only its own) and read INNODB_TRX, where a
-- transaction left open by a `Sleep` thread shows up.
GRANT PROCESS ON *.* TO 'leakhound'@'%';

-- The server keeps one connection beyond max_connections for CONNECTION_ADMIN: with it the bot
-- still gets in when a leak has taken every slot (error 1040 "Too many connections").
-- It also allows KILL of other users' threads, for approved remediation.
GRANT CONNECTION_ADMIN ON *.* TO 'leakhound'@'%';

-- Who blocks whom in lock waits (performance_schema since 8.0).
GRANT SELECT ON performance_schema.data_lock_waits TO 'leakhound'@'%';

-- Never more than a few connections of its own.
ALTER USER 'leakhound'@'%' WITH MAX_USER_CONNECTIONS 3;

-- RDS/Aurora MySQL: the master user cannot grant CONNECTION_ADMIN everywhere, and other users'
-- threads are ended through a stored procedure instead of KILL:
--   GRANT EXECUTE ON PROCEDURE mysql.rds_kill TO 'leakhound'@'%';
-- and configure Leakhound with rds: true for this database.
-- ---------------------------------------------------------------- [end]

-- ---------------------------------------------------------------- [mariadb] MariaDB 10.5.2+
CREATE USER IF NOT EXISTS 'leakhound'@'%' IDENTIFIED BY 'change-me-from-the-secret-store';

-- See every thread in PROCESSLIST and read INNODB_TRX and INNODB_LOCK_WAITS.
GRANT PROCESS ON *.* TO 'leakhound'@'%';

-- MariaDB's name for CONNECTION_ADMIN: the extra connection beyond max_connections when the
-- server is full, and KILL of other users' threads.
GRANT CONNECTION ADMIN ON *.* TO 'leakhound'@'%';

-- Never more than a few connections of its own.
ALTER USER 'leakhound'@'%' WITH MAX_USER_CONNECTIONS 3;
-- ---------------------------------------------------------------- [end]
