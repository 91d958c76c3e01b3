"""Klantportal: who in a customer organisation may submit support incidents."""

from flask import Flask, request, session, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from webapp import cli, security
from webapp import config as configuration
from webapp import db as database
from webapp.db import DATABASE_UNAVAILABLE


class IdConverter(IntegerConverter):
    """A row id: 1 to 2,147,483,647 (PostgreSQL's integer); anything else is a 404, not an
    overflow in the database."""

    def __init__(self, map):
        super().__init__(map, min=1, max=2_147_483_647)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the portal from the environment, overridden by ``test_config``."""
    app = Flask(
        __name__,
        template_folder=str(configuration.ROOT / "templates"),
        static_folder=str(configuration.ROOT / "static"),
        instance_path=str(configuration.ROOT / "instance"),
    )
    app.config.update(configuration.from_environment())
    app.config.update(
        SESSION_COOKIE_NAME="klantportal_session",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session's key
        # Every route's request size: the largest form (20,000 characters, percent-encoded)
        # fits; anything larger is refused with 413 before it is read.
        MAX_CONTENT_LENGTH=512 * 1024,
        MAX_FORM_MEMORY_SIZE=512 * 1024,
        MAX_FORM_PARTS=200,
        BABEL_DEFAULT_LOCALE="nl",
        BABEL_DEFAULT_TIMEZONE="Europe/Amsterdam",
        BABEL_TRANSLATION_DIRECTORIES=str(configuration.ROOT / "translations"),
    )
    if test_config:
        app.config.update(test_config)
    app.url_map.converters["id"] = IdConverter
    configuration.check(app.config)
    if app.config.get("SECRET_KEY_FALLBACKS"):
        # Flask's own signing reads SECRET_KEY_FALLBACKS; Flask-WTF signs CSRF tokens with one
        # key, but itsdangerous takes a list (signs with the last, accepts any).
        app.config["WTF_CSRF_SECRET_KEY"] = [*app.config["SECRET_KEY_FALLBACKS"], app.config["SECRET_KEY"]]
    if app.config.get("TRUST_PROXY_HEADERS"):
        # Behind one reverse proxy that sets X-Forwarded-For/-Proto/-Host; without one a client
        # could forge them, so they are ignored unless KLANTPORTAL_TRUST_PROXY says otherwise.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    if app.config["DATABASE_URL"].startswith("sqlite:///"):
        configuration.ROOT.joinpath("instance").mkdir(exist_ok=True)
    # No connect before each request: peewee connects at a request's first query. So
    # /healthz and the stylesheets answer while the database is down, and /readyz can
    # say that it is.
    database.init_app(app)

    _init_extensions(app)
    _register_blueprints(app)
    for command in cli.COMMANDS:
        app.cli.add_command(command)

    @app.after_request
    def vary_on_htmx(response):
        # Page and fragment share a URL; caches must keep them apart.
        response.vary.add("HX-Request")
        return response

    security.init_app(app)
    _register_error_pages(app)
    return app


def _init_extensions(app):
    from webapp import same_origin
    from webapp.extensions import babel, csrf, init_limiter, login_manager, select_locale
    from webapp.identity import oidc
    from webapp.identity.sessions import DatabaseSessionInterface, raise_unreadable
    from webapp.models import Contact

    app.session_interface = DatabaseSessionInterface()
    app.before_request(raise_unreadable)  # first: CSRF and sign-in checks read the session
    app.before_request(same_origin.refuse_cross_site)  # before the CSRF check can answer
    csrf.init_app(app)
    init_limiter(app)
    babel.init_app(app, locale_selector=select_locale)
    oidc.init_app(app)
    login_manager.init_app(app)

    @login_manager.user_loader
    def load_contact(contact_id):
        return Contact.signed_in(int(contact_id))

    from webapp import templating

    app.jinja_env.globals.update(templating.template_globals())
    app.jinja_env.filters.update(templating.template_filters())


def _register_blueprints(app):
    from webapp import health, home
    from webapp.contacts import views as contacts
    from webapp.identity import views as identity
    from webapp.incidents import views as incidents
    from webapp.mail import preferences
    from webapp.support import views as support

    for module in (health, home, identity, incidents, support, contacts, preferences):
        app.register_blueprint(module.bp)


def _register_error_pages(app):
    import jinja2_fragments
    from flask_limiter.errors import RateLimitExceeded
    from flask_login import current_user

    from webapp.htmx import render_page_or_block, request_is_partial
    from webapp.identity import drafts
    from webapp.same_origin import CrossSiteRequest

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        # The page's token expired (another sign-in since, another tab): a form of our own
        # pages is shown again with what was typed and a fresh token.
        if drafts.restorable() and not request_is_partial():
            if current_user.is_authenticated:
                return drafts.redisplay()
            return drafts.unsaved(url_for("auth.login", next=request.path))
        return _error_page(400, "csrf", error)

    @app.errorhandler(CrossSiteRequest)
    def cross_site(error):
        return _error_page(400, "cross_site", error)

    @app.errorhandler(413)
    def too_large(error):
        return _error_page(413, "too_large", error)

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(error):
        return _error_page(429, "rate_limited", error)

    @app.errorhandler(404)
    def not_found(error):
        return _error_page(404, "not_found", error)

    @app.errorhandler(405)
    def not_allowed(error):
        return _error_page(405, "not_allowed", error)

    @app.errorhandler(500)
    def server_error(error):
        if isinstance(error.original_exception, DATABASE_UNAVAILABLE):
            # Raised while saving the session: outside the handlers registered below.
            return database_unavailable(error.original_exception)
        return _error_page(500, "server_error", error)

    def database_unavailable(error):
        # An outage, a lock held too long, a full pool: it passes, so 503 and "try again",
        # on a page that reads nothing from the database; the session is not saved.
        app.logger.error("database unavailable: %s", error)
        session.database_error = error
        # Rendered without Flask's context processors: Flask-Login's would load the contact.
        if request_is_partial():
            page = jinja2_fragments.render_block(app.jinja_env, "unavailable.html", "content")
        else:
            page = app.jinja_env.get_template("unavailable.html").render()
        return page, 503, {"Retry-After": "30"}

    for unavailable in DATABASE_UNAVAILABLE:
        app.register_error_handler(unavailable, database_unavailable)

    def _error_page(status, kind, error):
        page = render_page_or_block("error.html", "content", kind=kind, status=status, path=request.path)
        return page, status
