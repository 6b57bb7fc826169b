-- The seed's first step: a scratch database. Kept as the first migration so that
-- SHOW DATABASES after a bootstrap shows what the original notes showed.
CREATE DATABASE IF NOT EXISTS TempDB CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
