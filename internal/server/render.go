package server

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/policy"
)

// Page is the data every page shares; each page's own struct embeds it.
type Page struct {
	Title     string
	RequestID string
	// User is the signed-in user, nil for a visitor.
	User *account.User
	// Crisis is the practice's crisis-line text, on every client page.
	Crisis string
	// CrisisProminent: the page shows the crisis text itself, large (the
	// confirmation of a send with risk language), so the layout's line is
	// left out: once is enough.
	CrisisProminent bool
	// Flash is a one-time message from the previous request.
	Flash string
	// Path is the request's path, for marking the current navigation link.
	Path string
	// Zone is the practice's time zone, for showing times as people there
	// read them.
	Zone *time.Location
	// EmailOn: this Trellis sends email (invitations, links, reminders).
	EmailOn bool
	// MFAReminder asks staff to set up two-step sign-in their practice
	// requires (or soon will).
	MFAReminder string
	// MadeAt is the server's clock when the page was made: "today" on it
	// is the injected clock's, as everywhere else.
	MadeAt time.Time
}

// Location is the practice's time zone, UTC when it could not be loaded.
func (p Page) Location() *time.Location {
	if p.Zone == nil {
		return time.UTC
	}
	return p.Zone
}

// When shows a moment on the practice's clock: "25 Nov 2026, 14:02".
func (p Page) When(t time.Time) string {
	return t.In(p.Location()).Format("2 Jan 2006, 15:04")
}

// Due says when work is due on the practice's calendar, as people say it:
// "Due today", "Due tomorrow", "Was due 26 Nov 2026", "Due 2 Dec 2026".
func (p Page) Due(on time.Time) string {
	now := p.MadeAt
	if now.IsZero() {
		now = time.Now() // a page made without Server.page
	}
	now = now.In(p.Location())
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	y, m, d := on.UTC().Date() // a DATE column: midnight UTC
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	switch {
	case day.Equal(today):
		return "Due today"
	case day.Equal(today.AddDate(0, 0, 1)):
		return "Due tomorrow"
	case day.Before(today):
		return "Was due " + day.Format("2 Jan 2006")
	}
	return "Due " + day.Format("2 Jan 2006")
}

// plural is a count with its noun: "1 minute", "5 minutes".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// changed says how often sent work was changed, from its versions.
func changed(versions int) string {
	if versions == 2 {
		return "changed once"
	}
	return "changed " + strconv.Itoa(versions-1) + " times"
}

// Under reports whether the page is prefix or below it, for aria-current.
func (p Page) Under(prefix string) bool {
	return p.Path == prefix || strings.HasPrefix(p.Path, prefix+"/")
}

// views holds the parsed templates, one per page, each joined with the
// layout. Templates are parsed once at start so a broken template stops the
// server from starting rather than failing a user's request.
type views struct {
	pages      map[string]*template.Template
	staticHash map[string]string
	// highlighter marks risk language; nil marks nothing.
	highlighter Highlighter
}

// Segment is a run of text, flagged when it is risk language.
type Segment struct {
	Text     string
	Flagged  bool
	Category string
}

// RiskFinding is one phrase that flagged a text: as the client wrote it,
// its category and the language whose list it is from ("Russian").
type RiskFinding struct {
	Phrase, Category, Language string
}

// RiskReading is what the risk check found in one text: the text cut into
// runs for highlighting, the phrases found, and the scripts of the text
// that no phrase list covers ("Hebrew"), which were not checked at all.
type RiskReading struct {
	Segments  []Segment
	Findings  []RiskFinding
	Unchecked []string
}

// Highlighter finds risk language in text (risk.Scanner, adapted).
type Highlighter interface {
	Read(text string) RiskReading
}

func (v *views) readRisk(text string) RiskReading {
	if v.highlighter == nil {
		return RiskReading{Segments: []Segment{{Text: text}}}
	}
	return v.highlighter.Read(text)
}

func newViews(templates, static fs.FS) (*views, error) {
	v := &views{pages: map[string]*template.Template{}, staticHash: map[string]string{}}
	if err := fs.WalkDir(static, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		v.staticHash[p] = hex.EncodeToString(sum[:6])
		return nil
	}); err != nil {
		return nil, fmt.Errorf("hash static files: %w", err)
	}

	funcs := template.FuncMap{
		// static names a static file with a content hash, so browsers may
		// cache it for a year and still see a new version at once.
		"field": field,
		// bfield is field for the builder, whose values are not in a Form.
		"bfield": func(name, label, typ, value string, errs map[string]string, hint string) FieldView {
			return FieldView{Name: name, Label: label, Type: typ, Value: strings.ToValidUTF8(value, "\uFFFD"), Error: errs[name], Hint: hint}
		},
		"add": func(a, b int) int { return a + b },
		// plural and changed put counts into words: "1 minute", "changed once".
		"plural":  plural,
		"changed": changed,
		// dict passes several values to a partial template: dict "k" v ….
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict: odd number of arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		"last": func(s []int) int { return len(s) - 1 },
		"date": func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
		"static": func(name string) (string, error) {
			h, ok := v.staticHash[name]
			if !ok {
				return "", fmt.Errorf("no static file %q", name)
			}
			return "/static/" + name + "?v=" + h, nil
		},
	}
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templates, "layout.html", "_*.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	names, err := fs.Glob(templates, "*.html")
	if err != nil {
		return nil, err
	}
	for _, file := range names {
		if file == "layout.html" || strings.HasPrefix(file, "_") {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templates, file)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", file, err)
		}
		v.pages[strings.TrimSuffix(path.Base(file), ".html")] = t
	}
	return v, nil
}

// execute renders a page into bytes.
func (v *views) execute(name string, data any) ([]byte, error) {
	t, ok := v.pages[name]
	if !ok {
		return nil, fmt.Errorf("no template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// render executes a page into a buffer first, so a template error becomes a
// clean 500 page instead of half a page with status 200.
func (s *Server) render(c *gin.Context, status int, name string, data any) {
	t, ok := s.views.pages[name]
	if !ok {
		s.serverError(c, fmt.Errorf("render: no template %q", name))
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		s.serverError(c, fmt.Errorf("render %s: %w", name, err))
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// show renders a page as a handler's answer.
func (s *Server) show(c *gin.Context, status int, name string, data any) error {
	s.render(c, status, name, data)
	return nil
}

// redirect answers 303 See Other to path: after a form, the browser GETs
// the next page (POST/redirect/GET).
func redirect(c *gin.Context, path string) error {
	c.Redirect(http.StatusSeeOther, path)
	return nil
}

// redirectWith is redirect with a one-time message for the next page.
func (s *Server) redirectWith(c *gin.Context, path, msg string) error {
	s.flash(c, msg)
	return redirect(c, path)
}

// page fills the shared page data for a request.
func (s *Server) page(c *gin.Context, title string) Page {
	p := Page{Title: title, RequestID: requestID(c), Path: c.Request.URL.Path, EmailOn: s.accounts.EmailOn(), MadeAt: s.now()}
	if pr, ok := principal(c); ok {
		u := pr.User
		p.User = &u
		if s.sessions != nil {
			p.Flash = s.sessions.PopString(c.Request.Context(), "flash")
		}
		p.Zone = pr.Zone
		if !strings.HasPrefix(p.Path, "/account/mfa") {
			p.MFAReminder = mfaReminder(u, pr.Practice, s.now())
		}
		if u.Role == policy.Client {
			// A client page never goes without it.
			p.Crisis = cmp.Or(pr.Practice.CrisisText, defaultCrisis)
		}
	}
	return p
}

// defaultCrisis is shown if the practice has no text of its own: a
// client page never goes without it. It names no country (the practice
// may be anywhere); it is also the default of a new practice's text
// (migrations/00012).
const defaultCrisis = "Trellis is not for emergencies. If you are in danger or thinking about harming yourself, call your local emergency number now."

// flash leaves a one-time message for the next page the user sees.
func (s *Server) flash(c *gin.Context, msg string) {
	s.sessions.Put(c.Request.Context(), "flash", msg)
}

type errorPage struct {
	Page
	Heading string
	Message string
}

// errorTexts are the plain words shown for each status: no internals.
var errorTexts = map[int][2]string{
	http.StatusForbidden:             {"Not allowed", "This page is not available to you. If you think it should be, ask your practice."},
	http.StatusBadRequest:            {"That request could not be read", "Something in what was sent was not readable. Please go back and try again."},
	http.StatusConflict:              {"That has changed in the meantime", "Someone or something changed this while you were working. Please go back, reload the page and try again."},
	http.StatusUnprocessableEntity:   {"That could not be done", "Please go back, check what you entered and try again."},
	http.StatusNotFound:              {"Page not found", "We could not find that page. It may have moved, or the link may be incomplete."},
	http.StatusRequestEntityTooLarge: {"That was too much to send at once", "What you sent is larger than Trellis accepts. Nothing was saved. Please go back and try a shorter text or a smaller file."},
	http.StatusTooManyRequests:       {"Please wait a moment", "There were too many attempts in a short time. Please wait a few minutes and try again."},
	http.StatusInternalServerError:   {"Something went wrong on our side", "Sorry, Trellis could not finish that request. Please try again in a moment."},
	http.StatusServiceUnavailable:    {"Trellis is briefly unavailable", "We cannot reach our database right now. Nothing you already saved is lost. Please try again in a minute."},
}

// renderError renders the error page for status through the layout.
func (s *Server) renderError(c *gin.Context, status int) {
	ctype, body := s.errorPage(status, requestID(c))
	c.Data(status, ctype, body)
	c.Abort()
}

// errorPage renders the page for status with plain words and the request
// id: no internals.
func (s *Server) errorPage(status int, reqID string) (contentType string, body []byte) {
	text, ok := errorTexts[status]
	if !ok {
		text = [2]string{http.StatusText(status), "Please go back and try again."}
	}
	data := errorPage{Page: Page{Title: text[0], RequestID: reqID}, Heading: text[0], Message: text[1]}
	var buf bytes.Buffer
	if err := s.views.pages["error"].ExecuteTemplate(&buf, "layout", data); err != nil {
		// The error page itself failed: plain text, still no internals.
		s.log.Error("render error page", "err", err, "request_id", reqID)
		return "text/plain; charset=utf-8", []byte(text[0] + "\n")
	}
	return "text/html; charset=utf-8", buf.Bytes()
}
