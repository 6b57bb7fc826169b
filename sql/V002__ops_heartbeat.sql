-- Operational schema. The bootstrap's replication check writes one row here on the
-- writer and polls every reader until it appears (engine-neutral lag measurement:
-- no SHOW SLAVE STATUS / GTID functions, which differ between MariaDB and MySQL 8).
-- ${ops_schema} is the schema of schema_history, which the migration runner creates
-- itself and fills in here (--ops-schema, default ops), so the heartbeat is always
-- where the replication check looks for it.
CREATE DATABASE IF NOT EXISTS ${ops_schema} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS ${ops_schema}.heartbeat (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    token CHAR(32) NOT NULL,            -- random per check, so concurrent checks never confuse rows
    source VARCHAR(255) NOT NULL,       -- host:pid of the writer of the row, for humans
    written_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_heartbeat_token (token),
    KEY ix_heartbeat_written_at (written_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
