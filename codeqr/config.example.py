# CodeQR settings. Save this as config.py in the instance folder (every codeqr command
# prints it: "CodeQR: instance ..."), e.g. codeqr config-example > instance/config.py,
# and uncomment what you change. Environment variables of the same names override it.
# README.md ("Configuration") says what each one does; docs/deploy.md how to run several servers.

# --- Where short links point -------------------------------------------------------------
# The domain printed in every QR Code: host or host:port, no scheme, no path. Unset, it is a
# development default: localhost and the port served (the network address when serving every
# interface). Set it before printing codes people will scan.
# CODEQR_DEFAULT_DOMAIN = "qr.example.com"
# CODEQR_DOMAINS = ["go.example.com"]          # more domains served beside the default one
# CODEQR_SCHEME = "https"                      # http or https
# CODEQR_PROXY_FIX = 1                         # reverse proxies in front whose X-Forwarded-* to trust
#                                              # (exactly those; reachable only through them)

# --- Database ------------------------------------------------------------------------------
# Unset: SQLite in the instance folder. PostgreSQL 14+: pip install 'codeqr[postgres]', and
# the database must exist (createdb codeqr).
# CODEQR_DATABASE_URL = "postgresql://codeqr:password@127.0.0.1:5432/codeqr"
# CODEQR_DATABASE_TIMEOUT_SECONDS = 5.0
# CODEQR_SQLITE_BUSY_TIMEOUT_MS = 10000
# CODEQR_AUTO_MIGRATE = True
# CODEQR_SCAN_ASYNC_COMMIT = False             # PostgreSQL: faster scans, may lose the last instant's
# CODEQR_ROUTING_CACHE_SECONDS = 5.0          # (above 0) how long a process keeps a short link's link options (a
#                                              counted scan is never decided on stale ones; a HEAD may be)

# --- Secret key ----------------------------------------------------------------------------
# Unset: generated once into the instance folder. Several servers must share one.
# CODEQR_SECRET_KEY = "a long random string"
# Lets /setup (the first account) answer other machines, as /setup?token=...; unset, only a
# browser on the server itself. Or make the first account with: codeqr create-user EMAIL
# CODEQR_SETUP_TOKEN = "at least 16 random characters"

# --- Images --------------------------------------------------------------------------------
# CODEQR_STORAGE = "filesystem"                # filesystem, database, s3, or a plugin's
# CODEQR_STORAGE_PATH = "/var/lib/codeqr/images"   # filesystem; unset: images/ in the instance
# CODEQR_DEFAULT_FORMAT = "png"
# CODEQR_OVERLAY = "logo"
# CODEQR_LOGO_PATH = "/etc/codeqr/logo.png"
# CODEQR_FETCH_ALLOW_HTTP = False             # logos given as http:// URLs too (https only by default)

# S3 or an S3-compatible server (SeaweedFS, MinIO, ...): pip install 'codeqr[s3]'
# CODEQR_STORAGE = "s3"
# CODEQR_S3_BUCKET = "codeqr"
# CODEQR_S3_PREFIX = "images/"
# CODEQR_S3_ENDPOINT_URL = "http://127.0.0.1:8333"   # unset: AWS S3
# CODEQR_S3_REGION = "us-east-1"
# CODEQR_S3_ACCESS_KEY_ID = "..."              # unset: boto3's own chain (environment, ~/.aws, role)
# CODEQR_S3_SECRET_ACCESS_KEY = "..."
# CODEQR_S3_SERVE = "proxy"                    # proxy, or redirect (to presigned URLs)
# CODEQR_S3_PRESIGN_SECONDS = 300
# CODEQR_S3_TIMEOUT_SECONDS = 5

# --- Scan analytics ------------------------------------------------------------------------
# CODEQR_ANALYTICS = "full"                    # full, anonymous or off
# CODEQR_SCAN_RETENTION_DAYS = 0               # 0: keep events forever
# CODEQR_GEOIP_DATABASE = "/var/lib/GeoIP/GeoLite2-City.mmdb"
# CODEQR_ANALYTICS_WORKER = True
# CODEQR_ANALYTICS_MAX_SPAN_DAYS = 36525       # longest time frame of an answer (else 422)
# CODEQR_ANALYTICS_MAX_BUCKETS = 1000          # most points of a time series (else 422)
# CODEQR_ANALYTICS_TIMEOUT_SECONDS = 2.0       # longest statement of an analytics read (else 503)

# --- Jobs (bulk creates, imports, exports) ------------------------------------------------
# CODEQR_JOB_WORKER = True
# CODEQR_JOB_LEASE_SECONDS = 30.0
# CODEQR_EXPORT_TTL_HOURS = 24.0
# CODEQR_BULK_WAIT_SECONDS = 10.0          # a bulk create's request waits this long for its job, then 202
# CODEQR_LOGO_GRACE_HOURS = 24.0           # (1 or more) a logo no QR Code names is removed this long after it was last kept
# CODEQR_DESTINATION_CHECKS = True         # check dynamic QR Codes' destinations (False: an instance off the internet)
# CODEQR_DESTINATION_CHECK_HOURS = 24.0    # (1 to 8760) each destination is checked once in this period
# CODEQR_DESTINATION_CHECKS_PER_HOST_PER_MINUTE = 30   # most requests of the checks to one host in a minute

# --- Limits --------------------------------------------------------------------------------
# CODEQR_MAX_BODY_BYTES = 8388608
# CODEQR_RATE_LIMIT_ENABLED = True
# CODEQR_RATE_LIMIT_STORAGE_URL = "redis://127.0.0.1:6379/0"   # unset: each process counts alone
# CODEQR_RATE_LIMIT_API = "600 per minute"
# CODEQR_RATE_LIMIT_API_PER_ADDRESS = "1200 per minute"
# CODEQR_RATE_LIMIT_LOGIN_PER_ACCOUNT = "10 per minute; 40 per hour; 100 per day"  # all new devices together
# CODEQR_RATE_LIMIT_LOGIN_PER_ACCOUNT_AND_ADDRESS = "5 per minute; 20 per hour; 50 per day"
# CODEQR_RATE_LIMIT_LOGIN_PER_ADDRESS = "20 per minute; 200 per hour"
# CODEQR_RATE_LIMIT_LINK_PASSWORD = "100 per hour"              # wrong passwords for one QR Code, all addresses
# CODEQR_RATE_LIMIT_LINK_PASSWORD_PER_ADDRESS = "10 per minute"  # wrong passwords for one QR Code from one address
# CODEQR_LOGIN_KNOWN_DEVICE_DAYS = 90          # a browser that signed in is known to the account this long

# --- Serving (codeqr serve) and operating ---------------------------------------------------
# CODEQR_SERVE_HOST = "127.0.0.1"
# CODEQR_SERVE_PORT = 8000
# CODEQR_SERVE_WORKERS = 0                     # 0: one per CPU core
# CODEQR_SERVE_THREADS = 16                    # per worker: requests answered at once, slow clients held
# CODEQR_SERVE_TIMEOUT_SECONDS = 30
# CODEQR_SERVE_HEADER_TIMEOUT_SECONDS = 10     # a request's headers must have arrived by then
# CODEQR_SERVE_BODY_TIMEOUT_SECONDS = 60       # and its body this long after them (else 400)
# CODEQR_SERVE_SEND_TIMEOUT_SECONDS = 60       # a client that takes none of an answer this long is dropped
# CODEQR_REQUEST_LOG = True
# CODEQR_METRICS_TOKEN = "..."                 # unset: /metrics answers this machine only

# --- Plugins -------------------------------------------------------------------------------
# CODEQR_DISABLED_PLUGINS = ["logo"]
