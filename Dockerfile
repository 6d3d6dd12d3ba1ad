# syntax=docker/dockerfile:1
# ratesim in a container: a static (musl) binary and the example scenarios.
#
#   docker build -t ratesim .
#   docker run --rm ratesim simulate /scenarios/tier1.yaml
#   docker run --rm -v "$PWD:/work" -u "$(id -u):$(id -g)" ratesim \
#       simulate my-scenario.yaml --out reports/ --force
#
# Build stage: the same toolchain version as `rust-version` in Cargo.toml,
# on Alpine so the binary links musl statically and runs on `scratch`.
FROM rust:1.89-alpine AS build
# The alpine tag fixes musl-dev's version closely enough; apk cannot pin a
# version that the next alpine point release removes.
# hadolint ignore=DL3018
RUN apk add --no-cache musl-dev
WORKDIR /src
# The manifest names its benches, so they must be present to build at all.
COPY Cargo.toml Cargo.lock ./
COPY benches ./benches
COPY src ./src
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin ratesim \
        --config 'profile.release.debug=0' --config 'profile.release.strip="symbols"' \
    && cp target/release/ratesim /ratesim

# Final stage: nothing but the binary and the scenarios (a few MB). ratesim
# needs no shell, certificates or network; it runs as an unprivileged user.
FROM scratch
COPY --from=build /ratesim /usr/local/bin/ratesim
COPY scenarios /scenarios
WORKDIR /work
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/ratesim"]
CMD ["--help"]
