package server

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/policy"
	"github.com/trellis-app/trellis/internal/review"
)

type inboxPage struct {
	Page
	Rows      []review.InboxRow
	Clients   []account.Named
	Exercises []exercise.Titled
	Filter    map[string]string
	NextURL   string
}

// inboxPage lists submitted work across the caseload, flagged and
// unreviewed first, with filters and keyset paging.
func (s *Server) inboxPage(c *gin.Context) error {
	ctx, a := c.Request.Context(), actor(c)
	p := inboxPage{Page: s.page(c, "Inbox"), Filter: map[string]string{}}
	for _, k := range []string{"client", "exercise", "show", "flagged"} {
		p.Filter[k] = c.Query(k)
	}
	f := review.Filter{Flagged: c.Query("flagged") == "1"}
	f.ClientID, _ = strconv.ParseInt(c.Query("client"), 10, 64)
	f.ExerciseID, _ = strconv.ParseInt(c.Query("exercise"), 10, 64)
	if show := c.Query("show"); show == "unreviewed" || show == "reviewed" {
		f.Show = show
	}
	if cur, err := review.ParseCursor(c.Query("after")); err == nil {
		f.After = cur
	}
	rows, next, err := s.reviews.Inbox(ctx, a, f)
	if err != nil {
		return err
	}
	p.Rows = rows
	if next != nil {
		q := c.Request.URL.Query()
		q.Set("after", next.String())
		p.NextURL = "/therapist/inbox?" + q.Encode()
	}
	// The filters' choices: ids and names only (#17).
	if p.Clients, err = s.accounts.CaseloadNames(ctx, a); err != nil {
		return err
	}
	if p.Exercises, err = s.exercises.Titles(ctx, a); err != nil {
		return err
	}
	return s.show(c, http.StatusOK, "inbox", p)
}

type reviewPage struct {
	Page
	Item  review.Item
	Rows  []reviewRow
	Form  Form
	Notes []review.Note
	// Findings are the risk phrases in the version shown, each once;
	// Unchecked the scripts of its answers that no phrase list covers.
	Findings  []RiskFinding
	Unchecked []string
}

// reviewRow is one question with the answer shown, read for risk language,
// and the same question's answers from earlier occurrences.
type reviewRow struct {
	Label   string
	Answer  []RiskReading
	Earlier [][]string
}

func (s *Server) reviewPage(c *gin.Context) error {
	return s.renderReview(c, http.StatusOK, emptyForm("feedback", "note", "follow_up"))
}

func (s *Server) renderReview(c *gin.Context, status int, f Form) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	version, _ := strconv.Atoi(c.Query("version"))
	it, err := s.reviews.Item(c.Request.Context(), actor(c), id, version)
	if err != nil {
		return err
	}
	p := reviewPage{Page: s.page(c, "Submission"), Item: it, Form: f}
	shown := it.Definition.Readable(it.Shown.Answers)
	for i, q := range shown {
		row := reviewRow{Label: q.Label}
		for _, text := range q.Answers {
			r := s.views.readRisk(text)
			row.Answer = append(row.Answer, r)
			for _, f := range r.Findings {
				if !slices.ContainsFunc(p.Findings, func(g RiskFinding) bool { return strings.EqualFold(f.Phrase, g.Phrase) && f.Category == g.Category }) {
					p.Findings = append(p.Findings, f)
				}
			}
			for _, sc := range r.Unchecked {
				if !slices.Contains(p.Unchecked, sc) {
					p.Unchecked = append(p.Unchecked, sc)
				}
			}
		}
		for _, e := range it.Earlier {
			row.Earlier = append(row.Earlier, it.Definition.Readable(e.Answers)[i].Answers)
		}
		p.Rows = append(p.Rows, row)
	}
	// The feedback box shows the saved feedback unless the feedback form
	// itself is being shown back with a problem.
	if f.Values["feedback"] == "" && f.Errors["feedback"] == "" && it.Feedback != nil {
		p.Form.Values["feedback"] = it.Feedback.Body
	}
	return s.show(c, status, "review", p)
}

// reviewAction handles the small buttons of a submission: reviewed or not,
// to discuss or not, withdraw feedback.
func (s *Server) reviewAction(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	ctx, a := c.Request.Context(), actor(c)
	var err error
	var done string
	switch c.PostForm("op") {
	case "reviewed":
		read, _ := strconv.Atoi(c.PostForm("version"))
		err, done = s.reviews.SetReviewed(ctx, a, id, true, read), "Marked as reviewed."
	case "unreviewed":
		err, done = s.reviews.SetReviewed(ctx, a, id, false, 0), "Marked as not reviewed yet."
	case "discuss":
		err, done = s.reviews.SetDiscuss(ctx, a, id, true), "Marked to discuss in session."
	case "undiscuss":
		err, done = s.reviews.SetDiscuss(ctx, a, id, false), "No longer marked to discuss."
	case "withdraw":
		err, done = s.reviews.WithdrawFeedback(ctx, a, id), "Feedback withdrawn. The client no longer sees it."
	default:
		s.renderError(c, http.StatusBadRequest)
		return nil
	}
	if msg, invalid := invalidMessage(err); invalid {
		done, err = msg, nil
	}
	if err != nil {
		return err
	}
	return s.redirectWith(c, reviewURL(id), done)
}

func reviewURL(id int64) string { return "/therapist/work/" + strconv.FormatInt(id, 10) }

// reviewText handles the two text forms of a submission's page, feedback
// and private notes: save, or show the page again with the message beside
// the field and the text kept.
func (s *Server) reviewText(field, done, anchor string, save func(context.Context, policy.Actor, int64, string) error) handlerFunc {
	return func(c *gin.Context) error {
		id, ok := s.id(c)
		if !ok {
			return nil
		}
		f := newForm(c, []string{"feedback", "note", "follow_up"})
		err := save(c.Request.Context(), actor(c), id, f.Values[field])
		if f.withErrors(err) {
			return s.renderReview(c, http.StatusUnprocessableEntity, f)
		}
		if err != nil {
			return err
		}
		return s.redirectWith(c, reviewURL(id)+anchor, done)
	}
}

func (s *Server) addClientNote(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	f := newForm(c, []string{"note"})
	err := s.reviews.AddClientNote(c.Request.Context(), actor(c), id, f.Values["note"])
	if f.withErrors(err) {
		return s.renderClientPage(c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	return s.redirectWith(c, "/therapist/clients/"+strconv.FormatInt(id, 10)+"#notes", "Private note kept. Only you can see it.")
}
