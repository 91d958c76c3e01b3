"""Klantportal: who in a customer organisation may submit support incidents."""

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from webapp import cli, errors, security
from webapp import config as configuration
from webapp import db as database


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
    errors.init_app(app)
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
