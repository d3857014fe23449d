#!/usr/bin/env bash
# Writes the same 40-page document with gofpdf v1.16.2 (downloaded, or from
# the module cache) and with this fork, adding the fonts from bytes and
# parsed, and compares the three files byte for byte. Run it after changing
# the fork: ./third_party/gofpdf/upstreamcheck/check.sh
set -euo pipefail
cd "$(dirname "$0")"
fonts="$(cd ../../../reports/fonts && pwd)"
t="$(mktemp -d)"; trap 'rm -rf "$t"' EXIT
go run . "$fonts" >"$t/upstream.pdf"
# The fork: the same program with a replace, in a copy.
cp go.mod go.sum ./*.go "$t/"
fork="$(cd .. && pwd)"
(cd "$t" && go mod edit -replace "github.com/jung-kurt/gofpdf=$fork" &&
	go run -tags fork . "$fonts" >"$t/fork.pdf" &&
	UPSTREAMCHECK_PARSED=1 go run -tags fork . "$fonts" >"$t/parsed.pdf")
cmp "$t/upstream.pdf" "$t/fork.pdf"
cmp "$t/upstream.pdf" "$t/parsed.pdf"
echo "v1.16.2 and the fork (fonts from bytes, and parsed) wrote the same $(wc -c <"$t/upstream.pdf") bytes"
