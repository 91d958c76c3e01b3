# The portal under gunicorn, as docker-compose.yml runs it (migrate, portal and scheduler).
# Build: docker build -t klantportal .
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# webapp/config.py finds templates/, static/, keycloak/ and .env.example next to the package,
# so the code stays in /app and is installed in editable mode (dependencies + console script).
WORKDIR /app

# Dependencies first, in their own layer: a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir webapp && touch webapp/__init__.py \
    && pip install --no-cache-dir -e . \
    && rm -rf webapp

COPY . .
# The compiled catalogues are build output: compile them from the committed .po files.
RUN pybabel compile -d translations

# An unprivileged user; the code stays root-owned and read-only, only instance/ is writable.
RUN groupadd --system --gid 10001 klantportal \
    && useradd --system --uid 10001 --gid klantportal --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin klantportal \
    && mkdir -p instance \
    && chown klantportal:klantportal instance

USER 10001:10001

EXPOSE 5000

# webapp/gunicorn_conf.py: no control socket (HOME=/app is not writable), and a refusal to run
# several workers on per-process rate limits in production.
CMD ["gunicorn", "-c", "python:webapp.gunicorn_conf", "-w", "2", "-b", "0.0.0.0:5000", "--access-logfile", "-", "webapp:create_app()"]
