// Package errkind names the kinds of failure every domain package reports,
// so internal/server can map them to responses in one place without knowing
// each domain's errors. Domain packages wrap these (fmt.Errorf("load
// assignment %d: %w", id, errkind.ErrNotFound)) and callers test with
// errors.Is.
package errkind

import (
	"errors"
	"sort"
	"strings"
)

var (
	// ErrNotFound: the record does not exist or is not the actor's. Both
	// answer the same 404 (R13): never reveal that someone else's exists.
	ErrNotFound = errors.New("not found")
	// ErrForbidden: the actor's role may not do this at all.
	ErrForbidden = errors.New("forbidden")
	// ErrConflict: the action clashes with the record's current state (an
	// invite already used, a form already submitted).
	ErrConflict = errors.New("conflict")
)

// Invalid is a validation failure: one message per form field, keyed by the
// field's name, written for the person filling the form in.
type Invalid struct {
	Fields map[string]string
}

// NewInvalid starts an empty validation result; Add to it, then Err.
func NewInvalid() *Invalid { return &Invalid{Fields: map[string]string{}} }

// Add records a message for field; the first message for a field wins.
func (v *Invalid) Add(field, message string) {
	if _, ok := v.Fields[field]; !ok {
		v.Fields[field] = message
	}
}

// Err returns v as an error when it holds messages, else nil.
func (v *Invalid) Err() error {
	if len(v.Fields) == 0 {
		return nil
	}
	return v
}

func (v *Invalid) Error() string {
	keys := make([]string, 0, len(v.Fields))
	for k := range v.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return "invalid: " + strings.Join(keys, ", ")
}

// AsInvalid returns the validation failure inside err, if any.
func AsInvalid(err error) (*Invalid, bool) {
	var v *Invalid
	ok := errors.As(err, &v)
	return v, ok
}
