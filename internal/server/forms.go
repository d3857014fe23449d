package server

import (
	"net/http"
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
			out = append(out, FieldError{Field: name, Message: msg})
			seen[name] = true
		}
	}
	for name, msg := range f.Errors {
		if !seen[name] {
			out = append(out, FieldError{Field: name, Message: msg})
		}
	}
	return out
}

// FieldError is one line of the error summary.
type FieldError struct {
	Field   string
	Message string
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
