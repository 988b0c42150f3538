# Copy to instance/config.py and edit. Every setting can also be given as an
# environment variable of the same name, which wins over this file.
# README.md describes each one.

# CODEQR_DATABASE_URL = "postgresql://codeqr@127.0.0.1:5432/codeqr"
# CODEQR_SECRET_KEY = "a long random string"   # default: generated into instance/secret_key
# CODEQR_SCHEME = "https"
# CODEQR_DEFAULT_DOMAIN = "qr.example.com"
# CODEQR_DOMAINS = ["go.example.com"]
# CODEQR_STORAGE = "filesystem"                # or "database"
# CODEQR_STORAGE_PATH = "/var/lib/codeqr/images"
# CODEQR_DEFAULT_FORMAT = "png"
# CODEQR_OVERLAY = "logo"
# CODEQR_LOGO_PATH = "/etc/codeqr/logo.png"
# CODEQR_DISABLED_PLUGINS = []
# CODEQR_AUTO_MIGRATE = True
# CODEQR_SQLITE_BUSY_TIMEOUT_MS = 10000
# CODEQR_SCAN_ASYNC_COMMIT = False
# CODEQR_PROXY_FIX = 1                          # behind one reverse proxy
# CODEQR_MAX_BODY_BYTES = 8388608
