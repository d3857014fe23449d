# syntax=docker/dockerfile:1
# Build: a static binary with templates, static files and migrations inside.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
# go.mod replaces gofpdf with this folder (our fork, see its README.md);
# the module graph needs its go.mod before the download.
COPY third_party/gofpdf/go.mod third_party/gofpdf/
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/trellis ./cmd/trellis

# Run: no shell, no package manager, a non-root user.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/trellis /trellis
USER nonroot:nonroot
ENV TRELLIS_ADDR=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/trellis"]
CMD ["serve"]
