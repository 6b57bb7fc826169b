"""The local environment: MariaDB primary/replica + HAProxy + TLS as plain processes on loopback."""
