FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY registry ./registry
COPY schema ./schema
COPY loaders ./loaders
RUN pip install --no-cache-dir .
EXPOSE 8000
CMD ["registry", "serve", "--host", "0.0.0.0", "--host", "::", "--port", "8000"]
