# One image for all four services (and the local SMS-gateway sink): SERVICE picks which runs.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY shared ./shared
COPY services ./services
COPY deploy ./deploy
RUN uv sync --frozen --no-dev
ENV PATH="/app/.venv/bin:$PATH" HTTP_HOST=0.0.0.0 HTTP_PORT=8000
RUN useradd --system --uid 10001 ilteo
USER ilteo
EXPOSE 8000
CMD ["sh", "-c", "exec python -m services.${SERVICE:?set SERVICE to recruitment, enrollment, placement or notify}"]
