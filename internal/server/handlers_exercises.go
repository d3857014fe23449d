package server

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/exercise"
)

type libraryPage struct {
	Page
	Exercises []exercise.Exercise
}

func (s *Server) libraryPage(c *gin.Context) error {
	list, err := s.exercises.Library(c.Request.Context(), actor(c))
	if err != nil {
		return err
	}
	return s.show(c, http.StatusOK, "exercises", libraryPage{Page: s.page(c, "Exercise library"), Exercises: list})
}

type exercisePage struct {
	Page
	Exercise exercise.Exercise
	Versions []exercise.VersionInfo
	Preview  previewData
}

// exercisePage shows an exercise as the client will see it, with its
// version history. ?version=N shows an older version.
func (s *Server) exercisePage(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	version, _ := strconv.Atoi(c.Query("version"))
	ctx, a := c.Request.Context(), actor(c)
	e, err := s.exercises.Get(ctx, a, id, version)
	if err != nil {
		return err
	}
	versions, err := s.exercises.Versions(ctx, a, id)
	if err != nil {
		return err
	}
	s.render(c, http.StatusOK, "exercise", exercisePage{Page: s.page(c, "Exercise"), Exercise: e, Versions: versions,
		Preview: newPreview(e.Definition)})
	return nil
}

type builderPage struct {
	Page
	Action    string
	Form      builderForm
	Errors    map[string]string
	Types     []exercise.FieldType
	Preview   *previewData
	Saving    bool
	ExistsID  int64
	IsNew     bool
	ErrorList []FieldError
}

func (s *Server) renderBuilder(c *gin.Context, status int, p builderPage) {
	p.Page = s.page(c, "Exercise builder")
	p.Types = exercise.FieldTypes
	if p.Errors == nil {
		p.Errors = map[string]string{}
	}
	p.ErrorList = p.Form.errorForm(p.Errors).ErrorList()
	s.render(c, status, "builder", p)
}

func (s *Server) newExercisePage(c *gin.Context) error {
	b := builderForm{Minutes: "10"}
	b.apply("add", string(exercise.LongText))
	s.renderBuilder(c, http.StatusOK, builderPage{Action: "/therapist/exercises/new", Form: b, IsNew: true})
	return nil
}

func (s *Server) editExercisePage(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	e, err := s.exercises.Get(c.Request.Context(), actor(c), id, 0)
	if err != nil {
		return err
	}
	if e.Builtin() {
		// Built-ins are shared by every practice: adapt a copy instead.
		s.renderError(c, http.StatusNotFound)
		return nil
	}
	s.renderBuilder(c, http.StatusOK, builderPage{Action: "/therapist/exercises/" + strconv.FormatInt(id, 10) + "/edit", Form: builderFromDefinition(e.Definition), ExistsID: id})
	return nil
}

// builderPost handles every button of the builder. Add, move and remove
// re-render the form; preview shows the client's view below it; save
// validates and writes a new exercise or a new version.
func (s *Server) builderPost(c *gin.Context) error {
	var id int64
	if c.Param("id") != "" {
		var ok bool
		if id, ok = s.id(c); !ok {
			return nil
		}
		// Every button of an existing exercise's builder answers 404 for
		// one that is not the practice's own, exactly as the page does.
		e, err := s.exercises.Get(c.Request.Context(), actor(c), id, 0)
		if err == nil && e.Builtin() {
			err = errkind.ErrNotFound
		}
		if err != nil {
			return err
		}
	}
	b := bindBuilder(c)
	p := builderPage{Action: c.Request.URL.Path, ExistsID: id, IsNew: id == 0}
	op := c.PostForm("op")
	if b.apply(op, c.PostForm("add_type")) {
		p.Form = b
		// Removing a question can leave the sentence naming an answer
		// that is gone: say so now, beside the sentence, not at saving.
		if msg := b.sentenceError(); msg != "" {
			p.Errors = map[string]string{"sentence": msg}
		}
		s.renderBuilder(c, http.StatusOK, p)
		return nil
	}
	p.Form = b
	d, inv := b.definition()
	if err := exercise.Validate(d); err != nil {
		more, _ := errkind.AsInvalid(err)
		for k, m := range more.Fields {
			inv.Add(k, m)
		}
	}
	if len(inv.Fields) > 0 {
		p.Errors = inv.Fields
		s.renderBuilder(c, http.StatusUnprocessableEntity, p)
		return nil
	}
	if op == "preview" {
		pv := newPreview(d)
		p.Preview = &pv
		s.renderBuilder(c, http.StatusOK, p)
		return nil
	}
	ctx, a := c.Request.Context(), actor(c)
	var err error
	if id == 0 {
		id, err = s.exercises.Create(ctx, a, d)
	} else {
		_, err = s.exercises.Update(ctx, a, id, d)
	}
	if inv, ok := errkind.AsInvalid(err); ok {
		p.Errors = inv.Fields
		s.renderBuilder(c, http.StatusUnprocessableEntity, p)
		return nil
	}
	if err != nil {
		return err
	}
	return s.redirectWith(c, "/therapist/exercises/"+strconv.FormatInt(id, 10), "Exercise saved. Assignments made before keep the version they were given.")
}

func (s *Server) duplicateExercise(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	newID, err := s.exercises.Duplicate(c.Request.Context(), actor(c), id)
	if err != nil {
		return err
	}
	return s.redirectWith(c, "/therapist/exercises/"+strconv.FormatInt(newID, 10)+"/edit", "Your copy is ready to adapt.")
}

// previewData renders an exercise's fields as the client sees them.
type previewData struct {
	Definition exercise.Definition
	Fields     []AnswerField
}

func newPreview(d exercise.Definition) previewData {
	return previewData{Definition: d, Fields: answerFields(d, nil, nil)}
}

// AnswerField is one field of an exercise form with the client's answer
// and any message about it.
type AnswerField struct {
	exercise.Field
	Name    string // the input's name
	Value   string
	Checked map[string]bool
	Error   string
}

// ScaleRows splits a scale's steps into rows for a narrow phone: two rows
// as even as can be (0–5 and 6–10), never one number left alone.
func (f AnswerField) ScaleRows() [][]int {
	steps := f.Steps()
	if len(steps) <= 6 {
		return [][]int{steps}
	}
	half := (len(steps) + 1) / 2
	return [][]int{steps[:half], steps[half:]}
}

// OneRow reports whether the scale's steps fit one row on a phone of
// 360 px or more (each box at least 24 px wide, WCAG 2.5.8).
func (f AnswerField) OneRow() bool { return len(f.Steps()) <= 11 }

// answerFields pairs each field with its answer (a single value, or for a
// checklist the chosen keys) and error.
func answerFields(d exercise.Definition, answers map[string][]string, errs map[string]string) []AnswerField {
	out := make([]AnswerField, 0, len(d.Fields))
	for _, f := range d.Fields {
		af := AnswerField{Field: f, Name: "a." + f.Key, Checked: map[string]bool{}, Error: errs["a."+f.Key]}
		vals := answers[f.Key]
		if len(vals) > 0 {
			af.Value = vals[0]
		}
		for _, v := range vals {
			af.Checked[v] = true
		}
		out = append(out, af)
	}
	return out
}
