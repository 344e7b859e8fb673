# Container image of http-echo: one static binary in an empty (scratch) image.
#
# Two ways to build the same image:
#
#   docker build .
#       With registry access: compiles in the pinned Rust stage below. For both
#       architectures: docker buildx build --platform linux/amd64,linux/arm64 .
#       (each platform compiles natively for itself, under emulation if need be).
#
#   stack/build-image.sh [TAG]
#       Offline, from a static binary built on the host by scripts/build-static.sh:
#       the binary becomes a one-file image, passed in as BINARY_IMAGE, and only the
#       `runtime` stage is built (--target runtime). The legacy builder builds every
#       stage up to the target and none after it, so the Rust stage, whose base image
#       would have to be pulled, is never touched on that path.
#
# Everything the image is (user, port, health check, labels, entry point) lives in
# the `runtime` stage, shared by both paths; they differ only in where /http-echo
# comes from.

# An image holding only /http-echo, or scratch (the default) when the binary comes
# from the Rust stage instead.
ARG BINARY_IMAGE=scratch

######################################################################################
# runtime: the final image's settings, on top of the binary (offline) or of nothing.
######################################################################################
FROM ${BINARY_IMAGE} AS runtime

ARG VERSION=unknown
ARG REVISION=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="http-echo" \
      org.opencontainers.image.description="A tiny HTTP server that answers every request with the same text" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}"

# As the upstream image does, so that a bare `docker run` answers.
ENV ECHO_TEXT="hello-world"
EXPOSE 5678
# Numeric, so no /etc/passwd is needed; 65532 is the conventional "nonroot" id.
USER 65532:65532
# No shell in the image: the binary probes itself (GET /health on its own port).
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/http-echo", "-healthcheck"]
# The binary is PID 1 and handles SIGTERM itself: it stops accepting, drains
# in-flight requests and exits 2 (1 if the drain limit is hit).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/http-echo"]

######################################################################################
# compile: the static binary, with registry access (the default path only).
######################################################################################
FROM rust:1.95.0-slim-bookworm AS compile

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src ./src
COPY scripts/build-static.sh ./scripts/
# There is no .git in the build context: the commit comes from outside, and so may
# the build time (SOURCE_DATE_EPOCH, for reproducible builds; empty means now).
ARG REVISION=unknown
ARG SOURCE_DATE_EPOCH=
RUN binary="$(HTTP_ECHO_GIT_COMMIT="${REVISION}" SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH}" \
        scripts/build-static.sh)" \
    && cp "$binary" /http-echo

######################################################################################
# release (the default target): the runtime stage plus the compiled binary.
######################################################################################
FROM runtime AS release
COPY --from=compile /http-echo /http-echo
