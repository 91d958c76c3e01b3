"""docker-compose.yml, the Dockerfile and the realm file agree (DESIGN §3, issue 7).

No Docker engine is needed: the compose file is validated with the client alone
(``docker compose config`` where the v2 plugin exists, else Debian's ``docker-compose`` 1.29),
and the rest is read from the files themselves.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from flask import url_for

from tests.conftest import unavailable
from webapp import config as configuration

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENV_EXAMPLE = ROOT / ".env.example"
REALM_FILE = ROOT / "keycloak" / "realm-klantportal.json"

PLACEHOLDER = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?::(?P<default>[^}]*))?\}")
COMPOSE_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z0-9_]+)(?P<rest>[^}]*)\}")


def compose_command() -> list[str] | None:
    """The compose client on this machine: the v2 plugin, or the standalone docker-compose."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def run_config(env_file: Path, *extra: str) -> subprocess.CompletedProcess:
    command = compose_command()
    if command is None:
        unavailable("no compose client (apt: docker-compose, or the docker compose plugin)")
    # A clean environment: only the env file supplies the variables.
    environment = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [*command, "--project-directory", str(ROOT), "-f", str(COMPOSE_FILE), "--env-file", str(env_file),
         "config", *extra],
        capture_output=True, text=True, env=environment, timeout=300,
    )


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def realm() -> dict:
    return json.loads(REALM_FILE.read_text())


@pytest.fixture(scope="module")
def client_rep(realm) -> dict:
    (client,) = [c for c in realm["clients"] if c["clientId"] == "klantportal-web"]
    return client


def resolve_realm(value: str, environment: dict) -> str:
    """Resolve Keycloak's ``${NAME:default}`` placeholders as the import does."""
    return PLACEHOLDER.sub(lambda m: environment.get(m["name"], m["default"] or ""), value)


def variable_of(value: str) -> str:
    """The compose variable a value is interpolated from (``${NAME:?message}`` -> NAME)."""
    match = COMPOSE_VARIABLE.fullmatch(value)
    assert match, f"{value!r} is not a ${{VARIABLE}} reference"
    return match["name"]


def published(service: dict) -> dict[int, int]:
    """Container port -> host port, from short-syntax port entries (``[ip:]host:container``)."""
    ports = {}
    for entry in service.get("ports", []):
        *host, container = str(entry).split(":")
        ports[int(container.split("/")[0])] = int(host[-1])
    return ports


# --- the compose file is valid -------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_config() -> subprocess.CompletedProcess:
    """``compose config`` with .env.example: validates the file and prints it resolved."""
    return run_config(ENV_EXAMPLE)


def test_compose_file_validates_with_the_demo_env(demo_config):
    assert demo_config.returncode == 0, demo_config.stderr
    assert set(yaml.safe_load(demo_config.stdout)["services"]) == {
        "keycloak", "keycloak-db", "app-db", "valkey", "migrate", "portal", "proxy", "scheduler", "maildev",
    }


def test_compose_refuses_to_run_without_the_secrets(tmp_path):
    empty = tmp_path / "empty.env"
    empty.write_text("")
    result = run_config(empty, "-q")
    assert result.returncode != 0
    assert re.search(r"SECRET_KEY|POSTGRES_PASSWORD|KEYCLOAK_|KLANTPORTAL_OIDC_CLIENT_SECRET", result.stderr)


def test_compose_resolved_config_agrees_with_the_realm_defaults(demo_config, client_rep):
    """With .env.example, Keycloak gets the same client secret as the portal and as `make demo`."""
    assert demo_config.returncode == 0, demo_config.stderr
    resolved = yaml.safe_load(demo_config.stdout)["services"]
    keycloak, web, scheduler = (resolved[name]["environment"] for name in ("keycloak", "portal", "scheduler"))
    assert keycloak["KLANTPORTAL_CLIENT_SECRET"] == web["KLANTPORTAL_OIDC_CLIENT_SECRET"]
    assert scheduler["KLANTPORTAL_OIDC_CLIENT_SECRET"] == web["KLANTPORTAL_OIDC_CLIENT_SECRET"]
    (realm_default,) = PLACEHOLDER.findall(client_rep["secret"])
    assert realm_default == ("KLANTPORTAL_CLIENT_SECRET", keycloak["KLANTPORTAL_CLIENT_SECRET"])
    assert web["DATABASE_URL"] == (
        f"postgresql://klantportal:{env_example()['POSTGRES_PASSWORD']}@app-db:5432/klantportal"
    )


# --- realm file and compose file agree -----------------------------------------------------------


def test_client_id_agrees(services, client_rep):
    assert services["portal"]["environment"]["KLANTPORTAL_OIDC_CLIENT_ID"] == client_rep["clientId"]
    assert services["scheduler"]["environment"]["KLANTPORTAL_OIDC_CLIENT_ID"] == client_rep["clientId"]


def test_client_secret_variable_agrees(services, client_rep):
    (name,) = [m["name"] for m in PLACEHOLDER.finditer(client_rep["secret"])]
    assert name == "KLANTPORTAL_CLIENT_SECRET"
    keycloak_env = services["keycloak"]["environment"]
    web_env = services["portal"]["environment"]
    # Keycloak's placeholder and the portal's setting come from one variable in .env.
    assert variable_of(keycloak_env[name]) == variable_of(web_env["KLANTPORTAL_OIDC_CLIENT_SECRET"])
    assert variable_of(keycloak_env[name]) in env_example()


def test_redirect_uris_resolve_to_the_portal(services, client_rep, app):
    keycloak_env = services["keycloak"]["environment"]
    base_url = services["portal"]["environment"]["KLANTPORTAL_BASE_URL"]
    assert base_url == "http://localhost:5000" == keycloak_env["KLANTPORTAL_BASE_URL"]
    with app.test_request_context():
        callback = url_for("auth.callback")
    redirect_uris = [resolve_realm(uri, keycloak_env) for uri in client_rep["redirectUris"]]
    assert redirect_uris == [base_url + callback]
    post_logout = resolve_realm(client_rep["attributes"]["post.logout.redirect.uris"], keycloak_env)
    assert post_logout == base_url + "/"
    assert resolve_realm(client_rep["rootUrl"], keycloak_env) == base_url


def test_ports(services):
    web, keycloak, proxy = services["portal"], services["keycloak"], services["proxy"]
    assert published(proxy) == {5000: 5000}
    assert published(keycloak) == {8080: 8080}
    assert web["command"][web["command"].index("-b") + 1] == "0.0.0.0:5000"
    assert urlsplit(web["environment"]["KLANTPORTAL_BASE_URL"]).port == 5000
    assert urlsplit(keycloak["environment"]["KC_HOSTNAME"]).port == 8080


def test_issuer_is_browser_facing_and_discovery_internal(services, realm):
    keycloak_env, web_env = services["keycloak"]["environment"], services["portal"]["environment"]
    assert keycloak_env["KC_HOSTNAME"] == "http://localhost:8080"
    assert keycloak_env["KC_HOSTNAME_BACKCHANNEL_DYNAMIC"] == "true"
    assert web_env["KLANTPORTAL_OIDC_ISSUER"] == f"{keycloak_env['KC_HOSTNAME']}/realms/{realm['realm']}"
    internal = urlsplit(web_env["KLANTPORTAL_OIDC_INTERNAL_URL"])
    realm_path = f"/realms/{realm['realm']}"
    assert (internal.hostname, internal.port, internal.path) == ("keycloak", 8080, realm_path)


def test_backchannel_logout_url_points_at_the_web_service(services, client_rep, app):
    keycloak_env = services["keycloak"]["environment"]
    url = resolve_realm(client_rep["attributes"]["backchannel.logout.url"], keycloak_env)
    parts = urlsplit(url)
    assert parts.hostname == "portal" and "portal" in services
    assert parts.port == 5000
    with app.test_request_context():
        assert parts.path == url_for("auth.backchannel_logout")


def test_keycloak_image_is_pinned_to_26_0_1_or_later(services):
    image = services["keycloak"]["image"]
    repository, _, tag = image.rpartition(":")
    assert repository == "quay.io/keycloak/keycloak"
    assert re.fullmatch(r"\d+\.\d+\.\d+", tag), f"unpinned tag {tag!r}"
    version = tuple(int(part) for part in tag.split("."))
    assert (26, 0, 1) <= version < (27, 0, 0)


def test_keycloak_imports_the_realm_and_checks_health(services):
    keycloak = services["keycloak"]
    assert keycloak["command"] == ["start-dev", "--import-realm"]
    assert "./keycloak/realm-klantportal.json:/opt/keycloak/data/import/realm-klantportal.json:ro,z" in (
        keycloak["volumes"]
    )
    environment = keycloak["environment"]
    assert environment["KC_HEALTH_ENABLED"] == "true"
    assert environment["KC_DB"] == "postgres"
    assert urlsplit(environment["KC_DB_URL"].removeprefix("jdbc:")).hostname == "keycloak-db"
    assert {"KC_BOOTSTRAP_ADMIN_USERNAME", "KC_BOOTSTRAP_ADMIN_PASSWORD"} <= set(environment)
    check = " ".join(keycloak["healthcheck"]["test"])
    assert "/dev/tcp/127.0.0.1/9000" in check and "/health/ready" in check and "curl" not in check


def test_services_start_in_order(services):
    assert set(services) >= {"keycloak", "keycloak-db", "app-db", "valkey", "migrate", "portal", "proxy",
                             "scheduler", "maildev"}
    for name in ("keycloak-db", "app-db", "keycloak", "valkey", "portal", "proxy"):
        assert services[name]["healthcheck"]["test"], name
    migrated = {"condition": "service_completed_successfully"}
    assert services["migrate"]["depends_on"] == {"app-db": {"condition": "service_healthy"}}
    assert services["portal"]["depends_on"] == {
        "migrate": migrated, "valkey": {"condition": "service_healthy"},
        "keycloak": {"condition": "service_healthy"},
    }
    assert services["scheduler"]["depends_on"]["migrate"] == migrated
    assert services["proxy"]["depends_on"] == {"portal": {"condition": "service_healthy"}}
    for name in ("app-db", "keycloak-db"):
        assert services[name]["image"].startswith("postgres:16.")
        # Over TCP: during the first start's setup PostgreSQL listens on its socket only.
        assert services[name]["healthcheck"]["test"][:4] == ["CMD", "pg_isready", "-h", "127.0.0.1"]


def test_migrate_portal_and_scheduler_run_the_portal_commands(services):
    from webapp import cli

    names = {command.name for command in cli.COMMANDS}
    script = services["migrate"]["command"][-1]
    assert "klantportal schema" in script and "klantportal seed-demo" in script
    assert services["migrate"]["restart"] == "no"
    assert services["portal"]["command"][:3] == ["gunicorn", "-c", "python:webapp.gunicorn_conf"]
    assert services["portal"]["command"][-1] == "webapp:create_app()"
    assert services["scheduler"]["command"] == ["klantportal", "scheduler"]
    assert {"schema", "seed-demo", "scheduler"} <= names
    for name in ("migrate", "portal", "scheduler"):
        assert services[name]["build"] == "." and services[name]["image"] == "klantportal:local"
    assert services["portal"]["environment"]["DATABASE_URL"].endswith("@app-db:5432/klantportal")


def test_no_secret_is_written_in_the_compose_file(services):
    text = COMPOSE_FILE.read_text()
    demo_values = configuration.demo_secrets() | {
        value for name, value in env_example().items() if "PASSWORD" in name or "SECRET" in name
    }
    for value in demo_values:
        assert value not in text, f"demo value {value!r} written in docker-compose.yml"
    # Every secret is a required variable (${NAME:?...}) that .env.example supplies.
    secrets = {
        "SECRET_KEY", "KLANTPORTAL_OIDC_CLIENT_SECRET", "POSTGRES_PASSWORD",
        "KEYCLOAK_DB_PASSWORD", "KEYCLOAK_ADMIN_PASSWORD",
    }
    required = {m["name"] for m in COMPOSE_VARIABLE.finditer(text) if m["rest"].startswith(":?")}
    assert secrets <= required
    assert required <= set(env_example())


def test_mails_go_to_the_pinned_mail_catcher(services, realm):
    """The portal, the scheduler (which delivers the outbox) and Keycloak all send to maildev,
    whose inbox the browser opens at http://localhost:1080."""
    maildev = services["maildev"]
    repository, _, tag = maildev["image"].rpartition(":")
    assert repository == "maildev/maildev" and re.fullmatch(r"\d+\.\d+\.\d+", tag)
    assert maildev["ports"] == ["127.0.0.1:1080:1080"]
    for name in ("portal", "scheduler"):
        environment = services[name]["environment"]
        smtp = (environment["KLANTPORTAL_SMTP_HOST"], environment["KLANTPORTAL_SMTP_PORT"])
        assert smtp == ("maildev", "1025")
    keycloak_env = services["keycloak"]["environment"]
    smtp_server = realm["smtpServer"]
    assert resolve_realm(smtp_server["host"], keycloak_env) == "maildev"
    assert resolve_realm(smtp_server["port"], keycloak_env) == "1025"
    # Without Docker (`make demo`) the placeholders fall back to maildev on localhost:1025.
    fallback = (resolve_realm(smtp_server["host"], {}), resolve_realm(smtp_server["port"], {}))
    assert fallback == ("localhost", "1025")


# --- Dockerfile ----------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, argument = line.partition(" ")
            instructions.append((keyword.upper(), argument.strip()))
    return instructions


def test_dockerfile_is_small_and_runs_gunicorn_as_a_user():
    instructions = dockerfile_instructions()
    (base,) = [argument for keyword, argument in instructions if keyword == "FROM"]
    assert base.startswith("python:3.11-slim")
    users = [argument for keyword, argument in instructions if keyword == "USER"]
    assert users, "the image must not run as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    keywords = [keyword for keyword, _ in instructions]
    last_run = len(keywords) - 1 - keywords[::-1].index("RUN")
    assert "USER" in keywords[last_run:], "USER must follow the last RUN"
    cmd = json.loads(next(argument for keyword, argument in reversed(instructions) if keyword == "CMD"))
    assert cmd[0] == "gunicorn" and cmd[-1] == "webapp:create_app()"
    assert cmd[cmd.index("-c") + 1] == "python:webapp.gunicorn_conf"
    assert cmd[cmd.index("-w") + 1] == "2" and cmd[cmd.index("-b") + 1] == "0.0.0.0:5000"
    for keyword, argument in instructions:
        if keyword == "RUN" and "pip install" in argument:
            assert "--no-cache-dir" in argument


def test_dockerignore_keeps_the_image_to_what_it_needs():
    lines = [line.strip() for line in DOCKERIGNORE.read_text().splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    assert lines[0] == "*", "allow-list: everything is excluded unless named"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    # config.check reads these two to recognise demo secrets in production.
    assert {"keycloak/realm-klantportal.json", ".env.example"} <= allowed
    assert {"webapp", "templates", "static", "pyproject.toml"} <= allowed
    assert not allowed & {".env", ".venv", ".git", "instance", "tests", "node_modules", "keycloak"}
    for excluded in (".venv", ".git", ".env", "instance", "**/node_modules", "tests"):
        assert excluded in lines


# --- several replicas (issue 19) -----------------------------------------------------------------

NGINX_CONF = ROOT / "deploy" / "nginx.conf"


def test_the_portal_can_be_scaled(services):
    """`docker compose up --scale portal=2`: nothing in the service is per-container."""
    portal = services["portal"]
    assert "container_name" not in portal and "ports" not in portal
    assert "klantportal schema" not in str(portal["command"])  # migrated once, by `migrate`


def test_rate_limits_are_shared_through_valkey(services, demo_config):
    valkey = services["valkey"]
    repository, _, tag = valkey["image"].partition(":")
    assert repository == "valkey/valkey" and re.match(r"\d+\.\d+\.\d+-", tag), "pinned Valkey image"
    assert "ping" in valkey["healthcheck"]["test"]
    resolved = yaml.safe_load(demo_config.stdout)["services"]
    for name in ("portal", "scheduler"):
        assert resolved[name]["environment"]["KLANTPORTAL_RATELIMIT_STORAGE_URI"] == "redis://valkey:6379/0"


def test_the_proxy_forwards_to_every_replica_and_the_portal_trusts_it(services):
    proxy = services["proxy"]
    repository, _, tag = proxy["image"].partition(":")
    assert repository == "nginx" and re.match(r"\d+\.\d+\.\d+", tag), "pinned nginx image"
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro,z" in proxy["volumes"]
    conf = NGINX_CONF.read_text()
    assert "listen 5000;" in conf and "http://portal:5000" in conf
    assert "resolver 127.0.0.11" in conf  # replicas added later are found
    for header in ("X-Forwarded-For $remote_addr", "X-Forwarded-Proto $scheme", "X-Forwarded-Host"):
        assert f"proxy_set_header {header}" in conf
    assert services["portal"]["environment"]["KLANTPORTAL_TRUST_PROXY"] == "true"
    assert "KLANTPORTAL_TRUST_PROXY" not in services["scheduler"]["environment"]


def test_htmx_source_agrees_with_env_example_and_the_docs(services, demo_config):
    """Both demos serve the vendored htmx (.env.example); without the variable, the CDN."""
    assert env_example()["KLANTPORTAL_HTMX_SOURCE"] == "local"
    assert services["portal"]["environment"]["KLANTPORTAL_HTMX_SOURCE"] == "${KLANTPORTAL_HTMX_SOURCE:-local}"
    resolved = yaml.safe_load(demo_config.stdout)["services"]["portal"]["environment"]
    assert resolved["KLANTPORTAL_HTMX_SOURCE"] == "local"
    assert configuration.from_environment({})["HTMX_SOURCE"] == "cdn"
    docs = (ROOT / "docs" / "docker.md").read_text()
    assert "`local`" in docs and "htmx" in docs


def test_both_demos_name_the_ports_they_share():
    for document in (ROOT / "README.md", ROOT / "docs" / "docker.md"):
        text = document.read_text()
        assert "5000" in text and "8080" in text and "one demo at a time" in text, document
    assert "docker compose down -v" in (ROOT / "docs" / "docker.md").read_text()
