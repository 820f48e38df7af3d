# The KAP Couples image: one image for the web process, the workers and beat (compose.yaml runs it).
# Build: docker build -t kapcouples .    Settings come from the environment at run time, never from the image.

# Front-end assets come from the npm registry in a build stage; node never reaches the image that runs.
FROM node:22-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/venv/bin:$PATH \
    KAPCOUPLES_VAR_DIR=/app/var \
    MEDIA_ROOT=/data/media \
    GUNICORN_CMD_ARGS="--bind 0.0.0.0:8000"
# Pango for WeasyPrint's PDFs; the PostgreSQL client for scripts/backup.sh and restore.sh.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin kapcouples
WORKDIR /app
# Runtime dependencies only: the test and lint tools (requirements-dev.txt) stay out of the image.
COPY requirements.txt ./
RUN python -m venv /venv && pip install -r requirements.txt
COPY --from=assets /src/node_modules ./node_modules
COPY . .
# Static files are collected (hashed and compressed by WhiteNoise) into the image. Production settings need
# these variables to load; the values are throwaway and stay in this layer only.
RUN KAPCOUPLES_ENV=production SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
    TOTP_ENCRYPTION_KEYS="$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
    DATABASE_URL=postgres://build@127.0.0.1:5432/build ALLOWED_HOSTS=build.invalid EMAIL_HOST=build.invalid \
    python manage.py collectstatic --no-input --verbosity 0 \
 && mkdir -p /app/var /data/media \
 && chown -R kapcouples:kapcouples /app/var /data
USER kapcouples
VOLUME ["/data/media"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)" || exit 1
CMD ["gunicorn", "kapcouples.wsgi:application", "--config", "deploy/gunicorn.conf.py"]
