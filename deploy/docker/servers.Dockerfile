# Servers that docker-compose.yml builds from the same pinned Go sources as scripts/services.sh:
# MinIO publishes no community images any more, and FerretDB's image has no shell for a
# healthcheck. The versions come from docker-compose.yml (build args), which a spec keeps
# equal to scripts/services.sh.
#   target minio:    --build-arg MINIO_VERSION=<Go module version>
#   target ferretdb: --build-arg FERRETDB_VERSION=<tag>
ARG GO_IMAGE=golang:1.26-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${GO_IMAGE} AS minio-build
ARG MINIO_VERSION
RUN test -n "$MINIO_VERSION" && CGO_ENABLED=0 GOBIN=/out go install "github.com/minio/minio@${MINIO_VERSION}"

FROM ${GO_IMAGE} AS ferretdb-build
ARG FERRETDB_VERSION
# The release process writes the version file that the module source leaves empty.
RUN test -n "$FERRETDB_VERSION" \
 && dir="$(go mod download -json "github.com/FerretDB/FerretDB@${FERRETDB_VERSION}" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')" \
 && cp -r "$dir" /src && chmod -R u+w /src && echo "$FERRETDB_VERSION" >/src/build/version/version.txt \
 && cd /src && CGO_ENABLED=0 go build -trimpath -o /out/ferretdb ./cmd/ferretdb

FROM ${RUNTIME_IMAGE} AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 1000 --create-home --shell /usr/sbin/nologin server \
 && mkdir -p /data /notify-queue /state && chown server:server /data /notify-queue /state
USER server

FROM runtime AS minio
COPY --from=minio-build /out/minio /usr/local/bin/minio
ENTRYPOINT ["minio"]

FROM runtime AS ferretdb
COPY --from=ferretdb-build /out/ferretdb /usr/local/bin/ferretdb
ENTRYPOINT ["ferretdb"]
