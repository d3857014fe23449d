//go:build !fork

package main

import "github.com/jung-kurt/gofpdf"

func addFont(f *gofpdf.Fpdf, family, style string, b []byte) {
	f.AddUTF8FontFromBytes(family, style, b)
}
