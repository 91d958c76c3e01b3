"""gunicorn settings for the portal: ``gunicorn -c python:webapp.gunicorn_conf 'webapp:create_app()'``.

Command-line options (``-w``, ``-b``) still win over these; the hook below reads the final
worker count, which the portal itself cannot see from inside a worker.
"""

from webapp import config as configuration
from webapp.cli import configure_logging

# The portal's own log lines (refused sign-ins, outages) next to gunicorn's: this file is
# the process's entry point, so it sets the format (the app factory never does).
configure_logging()

# gunicorn >= 25.1 opens a control socket (for ``gunicornc``) in $XDG_RUNTIME_DIR or
# $HOME/.gunicorn; the image's HOME (/app) is not writable by the portal's user, and
# nothing here uses gunicornc. Off, so that worker counts change only by configuration.
control_socket_disable = True


def on_starting(server):
    """Before any worker starts: refuse per-process rate limits shared by several workers.

    A RuntimeError here makes gunicorn print ``Error: ...`` and exit with status 1."""
    config = configuration.from_environment()
    processes = max(config["PROCESSES"], server.cfg.workers)
    problem = configuration.rate_limit_store_problem(config, processes)
    if problem is None:
        return
    if config["ENV_NAME"] == "production":
        raise RuntimeError(f"refusing to start in production: {problem}")
    server.log.warning("%s (allowed outside production)", problem)
