"""Operations: serving, health, metrics, the request log, outages, backups, security headers."""
