module trellis.local/gofpdf-upstreamcheck

go 1.26

require github.com/jung-kurt/gofpdf v1.16.2
