# Container image of http-echo: one static binary in an empty (scratch) image.
#
# Two ways to put the binary in the same image:
#
#   docker build .
#       The default target, `release`: compiles in the pinned Rust stage, for each
#       platform asked for (docker buildx build --platform linux/amd64,linux/arm64 .).
#       Needs a registry (the Rust image) and BuildKit, Docker's builder since 23.0.
#
#   docker build --target prebuilt --build-arg TARGETARCH=amd64 .
#       Takes a static binary built outside Docker (scripts/build-static.sh) from the
#       build context, at dist/<TARGETARCH>/http-echo (dist/amd64/, dist/arm64/),
#       and pulls nothing. The release workflow fills dist/ from its build jobs and
#       builds both platforms this way; stack/build-image.sh fills dist/ with the
#       binary it builds here and builds the same stage. BuildKit sets TARGETARCH per
#       platform; the legacy builder (an engine without buildx) needs it given.
#
# Stage order matters to the legacy builder, which builds every stage before the
# target, in file order: `prebuilt` comes before the Rust stage, so that path never
# needs the Rust image. (For the same reason the legacy builder cannot build the
# default target without dist/; BuildKit builds only the stages a target uses.)
#
# Everything the image is (user, port, health check, labels, entry point) lives in
# the `runtime` stage, shared by both; they differ only in where /http-echo comes from.

######################################################################################
# runtime: the final image's settings, without the binary.
######################################################################################
FROM scratch AS runtime

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
# prebuilt: the runtime stage plus a binary built outside Docker (no registry needed).
######################################################################################
FROM runtime AS prebuilt
ARG TARGETARCH
# The file's mode comes from the build context: it must be executable there (0755).
COPY dist/${TARGETARCH}/http-echo /http-echo

######################################################################################
# compile: the static binary, with registry access (the default target only).
######################################################################################
FROM rust:1.95.0-slim-bookworm AS compile

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src ./src
# The benchmark harness is a member of the workspace: cargo loads every member, even
# to build only the server, so the harness's manifest and sources come too (unbuilt).
COPY bench/Cargo.toml ./bench/
COPY bench/src ./bench/src
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
