"""The WSGI entry point for gunicorn (``webapp.wsgi:app``): the process's logging, then the portal."""

from webapp import create_app
from webapp.cli import configure_logging

configure_logging()
app = create_app()
