# The hotplug binary (agent, hub, CLI) on distroless, as a non-root user.
FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so source edits reuse the download layer.
COPY go.mod go.sum ./
RUN go mod download
COPY api/ api/
COPY cmd/ cmd/
COPY config/ config/
COPY internal/ internal/
ARG TARGETOS=linux
ARG TARGETARCH
RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w" -o /out/hotplug ./cmd/hotplug

FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/hotplug /hotplug
USER 65532:65532
ENTRYPOINT ["/hotplug"]
