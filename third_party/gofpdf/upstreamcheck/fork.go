//go:build fork

package main

import (
	"os"

	"github.com/jung-kurt/gofpdf"
)

// With -tags fork, fonts are added parsed when UPSTREAMCHECK_PARSED is set.
func addFont(f *gofpdf.Fpdf, family, style string, b []byte) {
	if os.Getenv("UPSTREAMCHECK_PARSED") == "" {
		f.AddUTF8FontFromBytes(family, style, b)
		return
	}
	u, err := gofpdf.ParseUTF8Font(b)
	if err != nil {
		panic(err)
	}
	f.AddUTF8FontParsed(family, style, u)
}
