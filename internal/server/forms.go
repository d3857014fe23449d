package server

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/trellis-app/trellis/internal/errkind"
)

// Form carries what a user typed and what was wrong with it, so a form can
// be shown again with every value kept and each message beside its field.
type Form struct {
	Fields []string // in page order, for the error summary
	Values map[string]string
	Errors map[string]string
	// Labels name the question a field belongs to, for an error summary
	// whose messages alone would not say which one ("Question 3").
	Labels map[string]string
}

// newForm reads the named fields from the posted form. Passwords are
// never echoed back: list them in secret.
func newForm(c *gin.Context, fields []string, secret ...string) Form {
	f := Form{Fields: fields, Values: map[string]string{}, Errors: map[string]string{}}
	// Values are kept as sent: the services validate them (invalid UTF-8
	// included) and field() makes them safe to show again.
	for _, name := range fields {
		f.Values[name] = c.PostForm(name)
	}
	for _, name := range secret {
		f.Values[name] = ""
	}
	return f
}

func emptyForm(fields ...string) Form {
	return Form{Fields: fields, Values: map[string]string{}, Errors: map[string]string{}}
}

// withErrors adds a validation failure's messages to the form. It reports
// whether err was one.
func (f *Form) withErrors(err error) bool {
	inv, ok := errkind.AsInvalid(err)
	if !ok {
		return false
	}
	for k, v := range inv.Fields {
		if _, seen := f.Errors[k]; !seen {
			f.Errors[k] = v
		}
	}
	return true
}

// ErrorList is the errors in page order, for the summary at the top.
func (f Form) ErrorList() []FieldError {
	var out []FieldError
	seen := map[string]bool{}
	for _, name := range f.Fields {
		if msg, ok := f.Errors[name]; ok {
			out = append(out, FieldError{Field: name, Label: f.Labels[name], Message: msg})
			seen[name] = true
		}
	}
	var rest []string
	for name := range f.Errors {
		if !seen[name] {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest) // the same errors always read in the same order
	for _, name := range rest {
		out = append(out, FieldError{Field: name, Label: f.Labels[name], Message: f.Errors[name]})
	}
	return out
}

// FieldError is one line of the error summary.
type FieldError struct {
	Field   string
	Label   string // the question it is about, if the message needs it
	Message string
}

// Text is the summary's line: the question, then what to do about it.
func (e FieldError) Text() string {
	label := strings.TrimSpace(e.Label)
	switch {
	case label == "":
		return e.Message
	case strings.ContainsAny(label[len(label)-1:], "?.!:"):
		return label + " " + e.Message
	}
	return label + ": " + e.Message
}

// FieldView is what the "field" template needs to draw one input.
type FieldView struct {
	Name, Label, Type, Value, Error, Autocomplete, Hint string
	Required                                            bool
}

// field builds a FieldView; opts are autocomplete, then hint.
func field(f Form, name, label, typ string, opts ...string) FieldView {
	v := FieldView{Name: name, Label: label, Type: typ, Value: strings.ToValidUTF8(f.Values[name], "\uFFFD"), Error: f.Errors[name], Required: true}
	if len(opts) > 0 {
		v.Autocomplete = opts[0]
	}
	if len(opts) > 1 {
		v.Hint = opts[1]
	}
	return v
}

// paramID reads the :id route parameter; anything but a positive integer
// is not found.
func paramID(c *gin.Context) (int64, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	return id, err == nil && id > 0
}

// id is paramID that answers the 404 page itself when there is no id.
func (s *Server) id(c *gin.Context) (int64, bool) {
	id, ok := paramID(c)
	if !ok {
		s.renderError(c, http.StatusNotFound)
	}
	return id, ok
}
