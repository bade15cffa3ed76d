# One image for every service role: `docker run IMAGE scrapers|processors|coordinator|worker|api`.
# Not built in this repository's CI (no container engine there); docs/deploy.md builds it with
# Cloud Build. Python 3.11 slim, dependencies from uv.lock exactly (`uv sync --frozen`), non-root.

FROM python:3.11-slim AS build
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
# Dependencies first (a layer that changes only with the lock file), then the package itself.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --extra gcp --no-install-project
COPY src ./src
RUN uv sync --frozen --extra gcp --no-editable

FROM python:3.11-slim
RUN groupadd --system --gid 10001 nbaprops \
 && useradd --system --uid 10001 --gid nbaprops --home-dir /app --shell /usr/sbin/nologin nbaprops
WORKDIR /app
COPY --from=build --chown=10001:10001 /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PORT=8080 \
    NBAPROPS_DATA_DIR=/tmp/nbaprops \
    NBAPROPS_LOG_JSON=true
USER 10001:10001
EXPOSE 8080
# /health is the one open route; it touches no dependency, so it says "the process answers".
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8080') + '/health', timeout=4)"]
ENTRYPOINT ["nbaprops", "serve", "--host", "0.0.0.0"]
CMD ["api"]
