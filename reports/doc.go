// Package reports renders Trellis's printed documents (PDF progress
// summaries and session reports) with gofpdf from plain structs that are
// already loaded and authorized, writing to an io.Writer. It knows nothing
// of HTTP or SQL, so it is fast to test and benchmark.
package reports
