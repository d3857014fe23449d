package server

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/errkind"
)

// fail maps an error from a service to a response. It is the one place
// where errors become statuses.
func (s *Server) fail(c *gin.Context, err error) {
	var kept textToKeep
	switch {
	case errors.As(err, &kept):
		// A client was sending their words: show every one back.
		s.failKeepingText(c, kept.err)
	case errors.Is(err, errkind.ErrNotFound):
		s.renderError(c, http.StatusNotFound)
	case errors.Is(err, errkind.ErrForbidden):
		s.renderError(c, http.StatusForbidden)
	case errors.Is(err, errkind.ErrConflict):
		s.renderError(c, http.StatusConflict)
	case isTooLarge(err):
		s.renderError(c, http.StatusRequestEntityTooLarge)
	case isUnavailable(err):
		s.log.WarnContext(c.Request.Context(), "database unavailable", "request_id", requestID(c), "err", err)
		c.Header("Retry-After", "5")
		s.renderError(c, http.StatusServiceUnavailable)
	default:
		if _, ok := errkind.AsInvalid(err); ok {
			// A handler that shows no form for this error: say so plainly.
			s.renderError(c, http.StatusUnprocessableEntity)
			return
		}
		s.serverError(c, err)
	}
}

// serverError logs err with the request id and answers the plain 500 page.
func (s *Server) serverError(c *gin.Context, err error) {
	s.log.ErrorContext(c.Request.Context(), "request failed", "request_id", requestID(c), "err", err)
	s.renderError(c, http.StatusInternalServerError)
}

func isUnavailable(err error) bool {
	return database.IsUnavailable(err)
}

// textToKeep is a failure while a client was sending their words: fail
// answers it with a page that shows every word back (failKeepingText),
// not with the plain error page.
type textToKeep struct{ err error }

func (e textToKeep) Error() string { return e.err.Error() }
func (e textToKeep) Unwrap() error { return e.err }

// keepingText marks err as a failure with a client's words to keep.
func keepingText(err error) error { return textToKeep{err} }
