"""gunicorn settings for a team deployment (see README, "Team deployment").

    DATABASE_URL=postgresql+psycopg://… .venv/bin/gunicorn 'workbench:create_app()'

Every setting can be overridden on the command line or with GUNICORN_CMD_ARGS. Nothing is
shared between workers in memory: sessions, log-in throttling, settings and review state all
live in the database, so any worker can serve any request.
"""
import multiprocessing
import os

# Behind a reverse proxy on the same machine: listen on loopback only.
bind = os.environ.get("WORKBENCH_BIND", "127.0.0.1:8000")
# Sync workers: each request holds one database connection for its whole life.
# Two per core keeps the CPU busy while others wait on the database.
workers = int(os.environ.get("WORKBENCH_WORKERS") or 2 * multiprocessing.cpu_count())
worker_class = "sync"
timeout = 120               # exports and imports stream for a while; pages answer in milliseconds
graceful_timeout = 30
max_requests = 5000         # recycle workers now and then: bounds any slow leak
max_requests_jitter = 500
# Each worker builds its own app and engine after the fork: no connection is shared across
# processes (do not turn preload_app on without disposing the engine in post_fork).
preload_app = False
# The X-Forwarded-* headers of the proxy on this machine are believed by gunicorn for the
# scheme; the app believes X-Forwarded-For only with WORKBENCH_TRUSTED_PROXIES=1.
forwarded_allow_ips = "127.0.0.1,::1"
# No control socket in the home directory (gunicorn ≥ 25 opens one by default).
control_socket_disable = True
accesslog = os.environ.get("WORKBENCH_ACCESS_LOG", "-")
errorlog = "-"
