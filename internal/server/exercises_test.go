package server_test

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/testkit"
)

// builderValues is the builder form for d, as the browser would post it.
func builderValues(d exercise.Definition, op string) url.Values {
	v := url.Values{"title": {d.Title}, "purpose": {d.Purpose}, "intro": {d.Intro}, "minutes": {strconv.Itoa(d.Minutes)},
		"sentence": {d.Sentence}, "field_count": {strconv.Itoa(len(d.Fields))}, "op": {op}}
	for i, f := range d.Fields {
		set := func(p, val string) { v.Set(exercise.FieldName(i, p), val) }
		set("key", f.Key)
		set("type", string(f.Type))
		set("label", f.Label)
		set("help", f.Help)
		if f.Required {
			set("required", "1")
		}
		if f.Tracked {
			set("tracked", "1")
		}
		if f.Min != nil {
			set("min", strconv.Itoa(*f.Min))
		}
		if f.Max != nil {
			set("max", strconv.Itoa(*f.Max))
		}
		set("min_label", f.MinLabel)
		set("max_label", f.MaxLabel)
		var labels []string
		for _, o := range f.Options {
			labels = append(labels, o.Label)
		}
		set("options", strings.Join(labels, "\n"))
	}
	return v
}

func ptr(n int) *int { return &n }

// everyType has one field of every type with every property set.
var everyType = exercise.Definition{
	Title: "Ευχαριστώ — a custom check", Purpose: "Try each kind of question.", Intro: "Take your time.", Minutes: 12,
	Sentence: "I noticed {q2}.",
	Fields: []exercise.Field{
		{Key: "q1", Type: exercise.LongText, Label: "What happened?", Help: "A few sentences is plenty.", Required: true},
		{Key: "q2", Type: exercise.ShortText, Label: "One word for it"},
		{Key: "q3", Type: exercise.Scale, Label: "How strong?", Required: true, Tracked: true, Min: ptr(1), Max: ptr(7), MinLabel: "Barely", MaxLabel: "Very"},
		{Key: "q4", Type: exercise.Percent, Label: "How much do you believe it?", Tracked: true, MinLabel: "Not at all", MaxLabel: "Completely"},
		{Key: "q5", Type: exercise.Choice, Label: "Mostly about", Options: []exercise.Option{{Key: "now", Label: "Now"}, {Key: "the_past", Label: "The past"}}},
		{Key: "q6", Type: exercise.Checklist, Label: "What helped?", Tracked: true, Options: []exercise.Option{{Key: "talking", Label: "Talking"}, {Key: "a_walk", Label: "A walk"}, {Key: "sleep", Label: "Sleep"}}},
		{Key: "q7", Type: exercise.YesNo, Label: "Did you tell them?", Tracked: true},
		{Key: "q8", Type: exercise.Date, Label: "When?"},
	},
}

func exerciseID(t *testing.T, r *http.Response) int64 {
	t.Helper()
	m := regexp.MustCompile(`^/therapist/exercises/(\d+)$`).FindStringSubmatch(r.Header.Get("Location"))
	if r.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("save = %d → %q", r.StatusCode, r.Header.Get("Location"))
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

func TestEveryFieldTypeRoundTripsThroughTheBuilder(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	s := a.Login(t, w.Therapist)
	id := exerciseID(t, s.PostForm("/therapist/exercises/new", builderValues(everyType, "save")).Result())

	svc := exercise.NewService(a.DB)
	got, err := svc.Get(context.Background(), w.Therapist.Actor(), id, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Definition, everyType) {
		t.Fatalf("saved definition differs:\n got %+v\nwant %+v", got.Definition, everyType)
	}
	// The edit form shows it all back, and saving it unchanged gives an
	// identical version 2: keys of fields and options are kept.
	edit := s.Get("/therapist/exercises/" + strconv.FormatInt(id, 10) + "/edit").Body.String()
	for _, want := range []string{`value="Ευχαριστώ — a custom check"`, `name="f2.min" type="number" value="1"`, "Talking\nA walk\nSleep", `name="f6.tracked" value="1" checked`} {
		if !strings.Contains(edit, want) {
			t.Errorf("edit form lacks %s", want)
		}
	}
	re := editValues(t, edit)
	re.Set("op", "save")
	exerciseID(t, s.PostForm("/therapist/exercises/"+strconv.FormatInt(id, 10)+"/edit", re).Result())
	v2, err := svc.Get(context.Background(), w.Therapist.Actor(), id, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v2.Definition, everyType) {
		t.Fatalf("re-saved definition differs:\n got %+v\nwant %+v", v2.Definition, everyType)
	}
	// The preview renders every type as the client will see it.
	page := s.Get("/therapist/exercises/" + strconv.FormatInt(id, 10)).Body.String()
	for _, want := range []string{`<textarea id="a.q1"`, `<input id="a.q2" name="a.q2" type="text"`, `type="radio" name="a.q3" value="7"`,
		`type="number" name="a.q4" min="0" max="100"`, `type="radio" name="a.q5" value="the_past"`, `type="checkbox" name="a.q6" value="a_walk"`,
		`name="a.q7" value="yes"`, `<input id="a.q8" name="a.q8" type="date"`, "Barely", "I noticed {q2}."} {
		if !strings.Contains(page, want) {
			t.Errorf("preview lacks %s", want)
		}
	}
}

// editValues reads the builder form back from its HTML, as a browser
// would submit it (inputs, textareas, checked boxes).
func editValues(t *testing.T, html string) url.Values {
	t.Helper()
	v := url.Values{}
	attr := func(tag, name string) string {
		m := regexp.MustCompile(name + `="([^"]*)"`).FindStringSubmatch(tag)
		if m == nil {
			return ""
		}
		return unescape(m[1])
	}
	for _, tag := range regexp.MustCompile(`<input [^>]*>`).FindAllString(html, -1) {
		name := attr(tag, "name")
		typ := attr(tag, "type")
		if name == "" || name == "q" || ((typ == "checkbox" || typ == "radio") && !strings.Contains(tag, " checked")) {
			continue
		}
		v.Add(name, attr(tag, "value"))
	}
	for _, m := range regexp.MustCompile(`(?s)<textarea id="[^"]*" name="([^"]*)"[^>]*>(.*?)</textarea>`).FindAllStringSubmatch(html, -1) {
		v.Set(m[1], unescape(m[2]))
	}
	return v
}

func unescape(s string) string {
	return strings.NewReplacer("&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

func TestBuilderShowsEachProblemBesideItsFieldAndKeepsTheInput(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	s := a.Login(t, w.Therapist)
	bad := exercise.Definition{Title: "", Minutes: 5, Fields: []exercise.Field{
		{Key: "q1", Type: exercise.Scale, Label: "Kept label ✓", Min: ptr(5), Max: ptr(5)},
		{Key: "q1", Type: exercise.Choice, Label: "Only one option", Options: []exercise.Option{{Key: "x", Label: "Just this"}}},
		{Key: "q3", Type: exercise.LongText, Label: ""},
	}}
	v := builderValues(bad, "save")
	v.Set("minutes", "ten")
	r := s.PostForm("/therapist/exercises/new", v)
	if r.Code != http.StatusUnprocessableEntity {
		t.Fatalf("invalid exercise = %d", r.Code)
	}
	body := r.Body.String()
	for _, id := range []string{"title-error", "minutes-error", "f0.max-error", `id="f1.key"`, "f1.options-error", "f2.label-error"} {
		if !strings.Contains(body, id) {
			t.Errorf("no message %s", id)
		}
	}
	for _, kept := range []string{`value="Kept label ✓"`, `value="ten"`, "Just this"} {
		if !strings.Contains(body, kept) {
			t.Errorf("input not kept: %s", kept)
		}
	}
	var n int
	if err := a.DB.Get(&n, `SELECT count(*) FROM exercises WHERE practice_id IS NOT NULL`); err != nil || n != 0 {
		t.Errorf("an invalid exercise was saved (%d)", n)
	}
	empty := s.PostForm("/therapist/exercises/new", url.Values{"title": {"No questions"}, "field_count": {"0"}, "op": {"save"}})
	if empty.Code != http.StatusUnprocessableEntity || !strings.Contains(empty.Body.String(), "Add at least one question") {
		t.Errorf("exercise with no fields = %d", empty.Code)
	}
}

func TestBuilderButtonsChangeTheFormWithoutSaving(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	s := a.Login(t, w.Therapist)
	d := exercise.Definition{Title: "Order", Fields: []exercise.Field{
		{Key: "q1", Type: exercise.LongText, Label: "First"},
		{Key: "q2", Type: exercise.ShortText, Label: "Second"},
	}}
	post := func(v url.Values) string {
		r := s.PostForm("/therapist/exercises/new", v)
		if r.Code != http.StatusOK {
			t.Fatalf("%s = %d", v.Get("op"), r.Code)
		}
		return r.Body.String()
	}
	added := post(func() url.Values { v := builderValues(d, "add"); v.Set("add_type", "scale"); return v }())
	if !strings.Contains(added, `name="f2.type" value="scale"`) || !strings.Contains(added, `name="f2.key" value="q3"`) || !strings.Contains(added, `name="f2.max" type="number" value="10"`) {
		t.Error("add did not append a 0–10 scale with a fresh key")
	}
	moved := post(builderValues(d, "up-1"))
	if strings.Index(moved, `value="Second"`) > strings.Index(moved, `value="First"`) {
		t.Error("up-1 did not move the second question first")
	}
	removed := post(builderValues(d, "remove-0"))
	if strings.Contains(removed, `value="First"`) || !strings.Contains(removed, `name="field_count" value="1"`) {
		t.Error("remove-0 did not remove the first question")
	}
	preview := post(builderValues(d, "preview"))
	if !strings.Contains(preview, `id="preview"`) || !strings.Contains(preview, `<textarea id="a.q1"`) {
		t.Error("preview not shown")
	}
	var n int
	if err := a.DB.Get(&n, `SELECT count(*) FROM exercises WHERE practice_id IS NOT NULL`); err != nil || n != 0 {
		t.Errorf("builder buttons saved an exercise (%d)", n)
	}
}

func TestEditingAnExerciseNeverChangesWhatAnAssignmentShows(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	s := a.Login(t, w.Therapist)
	d := exercise.Definition{Title: "Before", Fields: []exercise.Field{{Key: "q1", Type: exercise.LongText, Label: "The original question"}}}
	id := exerciseID(t, s.PostForm("/therapist/exercises/new", builderValues(d, "save")).Result())
	assign(t, s, id, w.Client.ID, url.Values{"recurrence": {"weekly"}, "end": {"count"}, "count": {"3"}})

	d.Title, d.Fields[0].Label = "After", "A reworded question"
	exerciseID(t, s.PostForm("/therapist/exercises/"+strconv.FormatInt(id, 10)+"/edit", builderValues(d, "save")).Result())

	var pinned []int
	if err := a.DB.Select(&pinned, `SELECT DISTINCT exercise_version FROM assignments WHERE exercise_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if len(pinned) != 1 || pinned[0] != 1 {
		t.Fatalf("assignments pin versions %v, want [1]", pinned)
	}
	client := s.Get("/therapist/clients/" + strconv.FormatInt(w.Client.ID, 10)).Body.String()
	if !strings.Contains(client, "Before") || strings.Contains(client, "After") {
		t.Error("the client's homework shows the new version's title")
	}
	old := s.Get("/therapist/exercises/" + strconv.FormatInt(id, 10) + "?version=1").Body.String()
	if !strings.Contains(old, "The original question") || strings.Contains(old, "A reworded question") {
		t.Error("version 1 does not show its own question")
	}
	if _, err := a.DB.Exec(`UPDATE exercise_versions SET definition = '{}' WHERE exercise_id = $1`, id); err == nil || !strings.Contains(err.Error(), "immutable") {
		t.Errorf("a version could be rewritten in place: %v", err)
	}
	// New assignments take the latest version.
	assign(t, s, id, w.Client2.ID, nil)
	var v int
	if err := a.DB.Get(&v, `SELECT exercise_version FROM assignments WHERE client_id = $1`, w.Client2.ID); err != nil || v != 2 {
		t.Errorf("new assignment pins version %d (%v), want 2", v, err)
	}
}

func TestBuiltinsAreDuplicatedNotEdited(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	s := a.Login(t, w.Therapist)
	var builtin int64
	if err := a.DB.Get(&builtin, `SELECT id FROM exercises WHERE builtin_key = 'weekly-trust-check-in'`); err != nil {
		t.Fatal(err)
	}
	path := "/therapist/exercises/" + strconv.FormatInt(builtin, 10)
	if r := s.Get(path + "/edit"); r.Code != http.StatusNotFound {
		t.Errorf("edit a built-in = %d, want 404", r.Code)
	}
	if r := s.PostForm(path+"/edit", builderValues(everyType, "save")); r.Code != http.StatusNotFound {
		t.Errorf("save over a built-in = %d, want 404", r.Code)
	}
	r := s.PostForm(path+"/duplicate", nil)
	m := regexp.MustCompile(`^/therapist/exercises/(\d+)/edit$`).FindStringSubmatch(r.Header().Get("Location"))
	if r.Code != http.StatusSeeOther || m == nil {
		t.Fatalf("duplicate = %d %q", r.Code, r.Header().Get("Location"))
	}
	copyID, _ := strconv.ParseInt(m[1], 10, 64)
	svc := exercise.NewService(a.DB)
	orig, _ := svc.Get(context.Background(), w.Therapist.Actor(), builtin, 0)
	cp, err := svc.Get(context.Background(), w.Therapist.Actor(), copyID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Builtin() || cp.Title != orig.Title+" (my copy)" || !reflect.DeepEqual(cp.Fields, orig.Fields) {
		t.Errorf("copy = %q builtin=%v, fields equal=%v", cp.Title, cp.Builtin(), reflect.DeepEqual(cp.Fields, orig.Fields))
	}
	if r := s.Get("/therapist/exercises/" + m[1] + "/edit"); r.Code != http.StatusOK {
		t.Errorf("edit the copy = %d", r.Code)
	}
}

// assign posts the assign form for one client with sensible defaults.
func assign(t *testing.T, s *testkit.Session, exerciseID, clientID int64, extra url.Values) {
	t.Helper()
	v := url.Values{"exercise": {strconv.FormatInt(exerciseID, 10)}, "clients": {strconv.FormatInt(clientID, 10)},
		"recurrence": {"once"}, "first_due": {tomorrow()}}
	for k, vs := range extra {
		v[k] = vs
	}
	r := s.PostForm("/therapist/assign", v)
	if r.Code != http.StatusSeeOther {
		t.Fatalf("assign = %d\n%s", r.Code, r.Body.String())
	}
}

// Every question shows the code the sentence uses for its answer, so after
// a removal "Question 2" plainly is {q3}; a sentence left naming a removed
// question is pointed out beside the sentence at once; and every message in
// the summary says which question it is about and leads to something shown
// on the page.
func TestBuilderShowsEachQuestionsCodeAndPointsErrorsAtWhatIsVisible(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	s := a.Login(t, w.Therapist)
	d := exercise.Definition{Title: "Codes", Sentence: "I feel {q1} when {q3}.", Fields: []exercise.Field{
		{Key: "q1", Type: exercise.ShortText, Label: "How do you feel?"},
		{Key: "q2", Type: exercise.LongText, Label: "What happened?"},
		{Key: "q3", Type: exercise.ShortText, Label: "When?"},
	}}
	r := s.PostForm("/therapist/exercises/new", builderValues(d, "remove-0"))
	if r.Code != http.StatusOK {
		t.Fatalf("remove = %d", r.Code)
	}
	body := r.Body.String()
	for i, want := range []string{"{q2}", "{q3}"} {
		legend := between(body, `id="field-`+strconv.Itoa(i)+`"`, "</legend>")
		if !strings.Contains(legend, "Question "+strconv.Itoa(i+1)) || !strings.Contains(legend, "<code>"+want+"</code>") {
			t.Errorf("question %d is headed %q, want its code %s shown", i+1, legend, want)
		}
	}
	if !strings.Contains(body, "Now question 1 is {q2}, question 2 is {q3}.") {
		t.Error("the sentence's hint does not list the questions' codes")
	}
	if msg := between(body, `id="sentence-error">`, "</p>"); !strings.Contains(msg, "{q1}") {
		t.Errorf("beside the sentence after removing question 1: %q, want it to say {q1} is gone", msg)
	}

	// Saving with problems in two questions, one of them a type the form
	// cannot have sent (it is a hidden input).
	bad := builderValues(exercise.Definition{Title: "Codes", Fields: []exercise.Field{
		{Key: "q1", Type: exercise.ShortText, Label: ""},
		{Key: "q2", Type: exercise.LongText, Label: "What happened?"},
	}}, "save")
	bad.Set("f1.type", "nonsense")
	r = s.PostForm("/therapist/exercises/new", bad)
	if r.Code != http.StatusUnprocessableEntity {
		t.Fatalf("save with problems = %d", r.Code)
	}
	body = r.Body.String()
	summary := between(body, `id="error-summary"`, "</div>")
	for _, want := range []string{"Question 1: Enter the question.", "Question 2: Choose a question type."} {
		if !strings.Contains(summary, want) {
			t.Errorf("the error summary lacks %q:\n%s", want, summary)
		}
	}
	links := regexp.MustCompile(`href="#([^"]+)"`).FindAllStringSubmatch(summary, -1)
	if len(links) != 2 {
		t.Fatalf("the summary has %d links, want 2:\n%s", len(links), summary)
	}
	for _, m := range links {
		if !strings.Contains(body, `id="`+m[1]+`"`) {
			t.Errorf("the summary links to #%s, which is not on the page", m[1])
		}
	}
}
