// Package web holds Trellis's HTML templates and static files (CSS, the
// project's own small scripts, icons), embedded in the binary so a deploy is
// one file and no page ever loads anything from another origin.
package web

import "embed"

// Templates holds the HTML templates: layout.html and one file per page.
//
//go:embed all:templates
var Templates embed.FS

// Static holds files served under /static/.
//
//go:embed static
var Static embed.FS
