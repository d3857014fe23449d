package server

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/trellis-app/trellis/internal/assignment"
	"github.com/trellis-app/trellis/internal/auth"
	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/policy"
	"github.com/trellis-app/trellis/internal/reflection"
)

// The client's homework portal: calm, accessible, and it never loses a
// word. Drafts are saved as the client types (autosave.js) or with the
// Save button; a send with an expired session is kept and restored after
// signing in again; a double send stores once.

type clientHomePage struct {
	Page
	Home assignment.ClientHome
	Now  time.Time
}

func (s *Server) clientHome(c *gin.Context) error {
	h, err := s.assignments.Home(c.Request.Context(), actor(c))
	if err != nil {
		return err
	}
	return s.show(c, http.StatusOK, "client_home", clientHomePage{Page: s.page(c, "Your homework"), Home: h, Now: s.now()})
}

type workPage struct {
	Page
	Work      reflection.Work
	Fields    []AnswerField
	Token     string
	Sentence  string
	Errors    []FieldError
	Editing   bool
	SavedAt   string
	SentView  []exercise.Readable
	Confirmed bool
	// AutosavePauseMS is autosave.js's pause after typing, in milliseconds.
	AutosavePauseMS int64
}

// workPage shows an assignment: the form while it is open (or being
// changed), what was sent once it is sent.
func (s *Server) workPage(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	w, err := s.reflections.Get(c.Request.Context(), actor(c), id)
	if err != nil {
		return err
	}
	editing := c.Query("change") == "1" && w.Submitted()
	// The form starts from the draft (unsent changes, on sent work), else
	// from what was sent: never from anything else.
	answers := w.Draft
	if answers == nil && editing {
		answers = w.Sent
	}
	var errs map[string]string
	if c.Query("check") == "1" && (editing || !w.Submitted()) {
		// A refused send redirected here (POST/redirect/GET): its answers
		// are the draft, and these are the reasons it was refused.
		errs, _ = errAsInvalid(w.Definition.Check(answers))
	}
	p := s.newWorkPage(c, w, answers, errs)
	p.Editing = editing
	p.Confirmed = c.Query("sent") == "1"
	p.CrisisProminent = p.Confirmed && w.SentFlagged && w.Submitted()
	if w.Submitted() && !editing {
		p.SentView = w.Definition.Readable(w.Sent)
		p.Sentence = w.Definition.ComposeSentence(w.Sent)
		p.Title = "What you sent"
		if w.Feedback != nil && !w.Feedback.SeenAt.Valid {
			if err := s.reflections.MarkFeedbackSeen(c.Request.Context(), actor(c), id); err != nil {
				s.log.WarnContext(c.Request.Context(), "mark feedback seen", "request_id", requestID(c), "err", err)
			}
		}
	}
	return s.show(c, http.StatusOK, "work", p)
}

func (s *Server) newWorkPage(c *gin.Context, w reflection.Work, answers exercise.Answers, errs map[string]string) workPage {
	p := workPage{Page: s.page(c, "Your homework"), Work: w, Token: reflection.NewFormToken(),
		Fields: answerFields(w.Definition, answers, errs), Sentence: w.Definition.ComposeSentence(answers),
		AutosavePauseMS: s.autosavePause.Milliseconds()}
	if w.DraftSaved.Valid {
		p.SavedAt = s.localTime(c, w.DraftSaved.Time)
	}
	// The summary names each question: "Please choose an answer here."
	// alone does not say which of six scales it means.
	f := Form{Errors: errs, Labels: map[string]string{}}
	for _, fd := range w.Definition.Fields {
		f.Fields = append(f.Fields, exercise.FormName(fd.Key))
		f.Labels[exercise.FormName(fd.Key)] = fd.Label
	}
	p.Errors = f.ErrorList()
	return p
}

// localTime formats t as the practice's local clock time, "14:02".
func (s *Server) localTime(c *gin.Context, t time.Time) string {
	return t.In(s.zone(c)).Format("15:04")
}

// zone is the signed-in user's practice's time zone (UTC for no one), for
// reading and showing dates as people there do.
func (s *Server) zone(c *gin.Context) *time.Location {
	if p, ok := principal(c); ok && p.Zone != nil {
		return p.Zone
	}
	return time.UTC
}

// saveWork handles the form's two buttons: "Save draft" keeps the text and
// comes back to the form; "Send" checks and sends it.
func (s *Server) saveWork(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	ctx, a := c.Request.Context(), actor(c)
	form := c.Request.PostForm
	path := "/home/assignments/" + strconv.FormatInt(id, 10)
	if c.PostForm("op") == "restart" {
		if err := s.reflections.DiscardChanges(ctx, a, id); err != nil {
			return err
		}
		return s.redirectWith(c, path+"?change=1", "Your unsent changes are gone. This is what you sent: change what you like.")
	}
	if c.PostForm("op") == "draft" {
		if _, err := s.reflections.SaveDraft(ctx, a, id, form); err != nil {
			return keepingText(err)
		}
		return s.redirectWith(c, path+changeQuery(c), "Saved. You can come back to it any time, on any device.")
	}
	res, err := s.reflections.Submit(ctx, a, id, c.PostForm("form_token"), form)
	if inv, isInvalid := errAsInvalid(err); isInvalid {
		// Refused: the answers are kept as the draft, in PostgreSQL, and
		// the form is shown again by a GET, so Back and Reload never post
		// them again.
		w, gerr := s.reflections.Get(ctx, a, id)
		if gerr != nil {
			return keepingText(gerr)
		}
		if msg := inv["form"]; msg != "" {
			s.flash(c, msg)
		}
		q := "?check=1"
		if w.Submitted() {
			q = "?change=1&check=1"
		}
		return redirect(c, path+q)
	}
	if err != nil {
		return keepingText(err)
	}
	switch {
	case res.Repeat && res.Kept:
		return s.redirectWith(c, path+"?change=1", "That page had already been sent, so your changes were not sent yet. They are kept here: check them and press Send.")
	case res.Repeat:
		s.flash(c, "This was already sent, so it was not sent twice.")
	}
	return redirect(c, path+"?sent=1")
}

func changeQuery(c *gin.Context) string {
	if c.PostForm("change") == "1" {
		return "?change=1"
	}
	return ""
}

func errAsInvalid(err error) (map[string]string, bool) {
	f := emptyForm()
	if !f.withErrors(err) {
		return nil, false
	}
	return f.Errors, true
}

// autosave stores a draft for autosave.js and answers with the time.
func (s *Server) autosave(c *gin.Context) error {
	id, ok := paramID(c)
	if !ok {
		c.JSON(http.StatusNotFound, gin.H{"error": "not found"})
		return nil
	}
	at, err := s.reflections.Autosave(c.Request.Context(), actor(c), id, c.PostForm("form_token"), c.Request.PostForm)
	switch {
	case err == nil:
		c.JSON(http.StatusOK, gin.H{"saved_at": s.localTime(c, at)})
	case errors.Is(err, reflection.ErrSent):
		c.JSON(http.StatusConflict, gin.H{"error": "sent"})
	case database.IsUnavailable(err):
		c.JSON(http.StatusServiceUnavailable, gin.H{"error": "unavailable"})
	default:
		s.log.WarnContext(c.Request.Context(), "autosave failed", "request_id", requestID(c), "err", err)
		c.JSON(http.StatusNotFound, gin.H{"error": "not saved"})
	}
	return nil
}

// pendingCookieName holds the token of text kept after a session ended.
const pendingCookieName = "trellis_kept"

// KeptPerHour bounds how much signed-out text one address may leave.
const KeptPerHour = 60

// refuseToKeep answers a visitor over a kept-text limit: the words are
// shown back (renderUnsaved), nothing is stored.
func (s *Server) refuseToKeep(c *gin.Context, why string) {
	s.log.WarnContext(c.Request.Context(), why, "request_id", requestID(c))
	s.renderUnsaved(c.Writer, c.Request, requestID(c), http.StatusTooManyRequests)
	c.Abort()
}

// keepText runs instead of sending an anonymous visitor to sign in, on the
// routes where a client may be writing when their session ends (FT5). What
// they posted is kept under a token only this browser holds; once they
// sign in, it goes into their draft of that assignment, if it is theirs.
func (s *Server) keepText(c *gin.Context) {
	id, ok := paramID(c)
	if !ok {
		s.renderError(c, http.StatusNotFound)
		return
	}
	// Anyone can post here, so new kept text is limited per address; a
	// browser that already holds a token keeps updating its own row.
	ctx := c.Request.Context()
	var held string
	if ck, err := c.Request.Cookie(s.pendingCookie()); err == nil {
		held = ck.Value
	}
	key := "kept:" + auth.ClientKey(c.ClientIP())
	if held == "" {
		n, err := s.loginCounter.Count(ctx, key, time.Hour)
		if err != nil {
			s.fail(c, keepingText(err))
			return
		}
		if n >= KeptPerHour {
			s.refuseToKeep(c, "kept-text limit reached")
			return
		}
	}
	token, fresh, err := s.reflections.KeepPending(ctx, id, c.Request.PostForm, held, key)
	if errors.Is(err, reflection.ErrKeptFull) {
		s.refuseToKeep(c, "kept-text size limit reached")
		return
	}
	if err != nil {
		s.fail(c, keepingText(err))
		return
	}
	if fresh {
		if err := s.loginCounter.Add(ctx, key); err != nil {
			s.fail(c, keepingText(err))
			return
		}
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: s.pendingCookie(), Value: token, Path: "/", MaxAge: int(reflection.PendingTTL.Seconds()),
		HttpOnly: true, Secure: s.cfg.HTTPS(), SameSite: http.SameSiteLaxMode})
	if c.GetHeader("Accept") == "application/json" {
		c.JSON(http.StatusUnauthorized, gin.H{"signed_out": true, "kept": true})
		c.Abort()
		return
	}
	q := url.Values{"kept": {"1"}, "next": {"/home/assignments/" + strconv.FormatInt(id, 10)}}
	c.Redirect(http.StatusSeeOther, "/signin?"+q.Encode())
	c.Abort()
}

// restoreKept moves text kept after a session ended into the draft of the
// client who just signed in, and says where to go next: the assignment, or
// "" with presented true when kept text was there but was not theirs (then
// the sign-in's own "next", which pointed at that assignment, is ignored).
func (s *Server) restoreKept(c *gin.Context, a policy.Actor) (to string, presented bool) {
	ck, err := c.Request.Cookie(s.pendingCookie())
	if err != nil || ck.Value == "" {
		return "", false
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: s.pendingCookie(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.cfg.HTTPS(), SameSite: http.SameSiteLaxMode})
	id, sent, err := s.reflections.Restore(c.Request.Context(), a, ck.Value)
	if err != nil {
		s.log.WarnContext(c.Request.Context(), "restore kept text", "request_id", requestID(c), "err", err)
		return "", true
	}
	if id == 0 {
		return "", true
	}
	s.flash(c, "Welcome back. Everything you wrote is here: check it and send it when you are ready.")
	to = "/home/assignments/" + strconv.FormatInt(id, 10)
	if sent {
		to += "?change=1" // on sent work the restored words are changes
	}
	return to, true
}

// pendingCookie names the cookie holding kept text's token: __Host- over
// HTTPS, so no sibling subdomain can plant one.
func (s *Server) pendingCookie() string {
	if s.cfg.HTTPS() {
		return "__Host-" + pendingCookieName
	}
	return pendingCookieName
}

type unsavedPage struct {
	Page
	Action string
	Values []unsavedValue
	// Gone: the exercise was withdrawn (or is not theirs); the words are
	// shown so they can be copied, with no button to send them.
	Gone bool
}

type unsavedValue struct {
	Name, Value string
	Visible     bool
}

// Label names an answer by its question's key, for the emergency page
// (which cannot load the questions themselves).
func (v unsavedValue) Label() string {
	return strings.ReplaceAll(strings.TrimPrefix(v.Name, "a."), "_", " ")
}

// failKeepingText answers a failed save on a client's form: whatever went
// wrong (the database unreachable, the work withdrawn meanwhile, anything
// else), the page shows every word they wrote, with a button to send it
// again; nothing on it depends on the database.
func (s *Server) failKeepingText(c *gin.Context, err error) {
	s.log.WarnContext(c.Request.Context(), "could not save client text", "request_id", requestID(c), "err", err)
	status := http.StatusInternalServerError
	switch {
	case database.IsUnavailable(err):
		status = http.StatusServiceUnavailable
	case errors.Is(err, errkind.ErrNotFound):
		status = http.StatusNotFound
	}
	s.renderUnsaved(c.Writer, c.Request, requestID(c), status)
	c.Abort()
}

// renderUnsaved writes the "could not save, your text is still here" page.
func (s *Server) renderUnsaved(w http.ResponseWriter, r *http.Request, reqID string, status int) {
	p := unsavedPage{Page: Page{Title: "Not saved yet", RequestID: reqID, Crisis: defaultCrisis}, Action: r.URL.Path,
		Gone: status == http.StatusNotFound}
	if r.PostForm == nil {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		_ = r.ParseForm()
	}
	for name, vals := range r.PostForm {
		for _, v := range vals {
			p.Values = append(p.Values, unsavedValue{Name: name, Value: v, Visible: len(name) > 2 && name[:2] == "a."})
		}
	}
	sortUnsaved(p.Values)
	body, err := s.views.execute("unsaved", p)
	if err != nil {
		s.log.Error("render unsaved page", "err", err)
		body = []byte("Could not save. Please go back: your text is still in the form.")
	}
	setSecurityHeaders(w.Header(), s.cfg.HTTPS(), r.URL.Path)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "10")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// isPortalPost reports whether r posts a client's answers.
func isPortalPost(r *http.Request) bool {
	return r.Method == http.MethodPost && portalPostRe.MatchString(r.URL.Path)
}

var portalPostRe = regexp.MustCompile(`^/home/assignments/[0-9]+(/draft)?$`)

// sortUnsaved puts the answers first, then orders by name: the same words
// always make the same page.
func sortUnsaved(v []unsavedValue) {
	sort.SliceStable(v, func(i, j int) bool {
		if v[i].Visible != v[j].Visible {
			return v[i].Visible
		}
		return v[i].Name < v[j].Name
	})
}

type historyPage struct {
	Page
	Items []assignment.ClientItem
}

// historyPage lists everything the client has sent.
func (s *Server) historyPage(c *gin.Context) error {
	items, err := s.assignments.History(c.Request.Context(), actor(c))
	if err != nil {
		return err
	}
	return s.show(c, http.StatusOK, "history", historyPage{Page: s.page(c, "What you have sent"), Items: items})
}
