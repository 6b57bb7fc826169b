-- Operational schema. The bootstrap's replication check writes one row here on the
-- writer and polls every reader until it appears (engine-neutral lag measurement:
-- no SHOW SLAVE STATUS / GTID functions, which differ between MariaDB and MySQL 8).
-- `ops` also holds schema_history, which the migration runner creates itself.
CREATE DATABASE IF NOT EXISTS ops CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS ops.heartbeat (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    token CHAR(32) NOT NULL,            -- random per check, so concurrent checks never confuse rows
    source VARCHAR(255) NOT NULL,       -- host:pid of the writer of the row, for humans
    written_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_heartbeat_token (token),
    KEY ix_heartbeat_written_at (written_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
