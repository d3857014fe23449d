package measure_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/measure"
	"github.com/trellis-app/trellis/internal/testkit"
)

// answers gives item i the value vals[i-1]; -1 leaves it unanswered.
func answers(vals ...int) exercise.Answers {
	a := exercise.Answers{}
	for i, v := range vals {
		if v >= 0 {
			a[measure.ItemKey(i+1)] = []string{fmt.Sprint(v)}
		}
	}
	return a
}

// spread makes len items summing to total, filled from the first item.
func spread(items, total int) []int {
	out := make([]int, items)
	for i := range out {
		out[i] = min(3, total)
		total -= out[i]
	}
	return out
}

func TestScoreEveryBandEdge(t *testing.T) {
	cases := []struct {
		in    measure.Instrument
		total int
		band  string
	}{
		{measure.PHQ9, 0, "minimal"}, {measure.PHQ9, 4, "minimal"},
		{measure.PHQ9, 5, "mild"}, {measure.PHQ9, 9, "mild"},
		{measure.PHQ9, 10, "moderate"}, {measure.PHQ9, 14, "moderate"},
		{measure.PHQ9, 15, "moderately severe"}, {measure.PHQ9, 19, "moderately severe"},
		{measure.PHQ9, 20, "severe"}, {measure.PHQ9, 27, "severe"},
		{measure.GAD7, 0, "minimal"}, {measure.GAD7, 4, "minimal"},
		{measure.GAD7, 5, "mild"}, {measure.GAD7, 9, "mild"},
		{measure.GAD7, 10, "moderate"}, {measure.GAD7, 14, "moderate"},
		{measure.GAD7, 15, "severe"}, {measure.GAD7, 21, "severe"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s=%d", c.in.Short, c.total), func(t *testing.T) {
			s := c.in.Score(answers(spread(len(c.in.Items), c.total)...))
			if !s.Valid || s.Prorated || s.Total != c.total || s.Band.Name != c.band {
				t.Errorf("score = %+v, want total %d in band %q", s, c.total, c.band)
			}
		})
	}
}

func TestScoreProratesOneOrTwoMissingAndRefusesMore(t *testing.T) {
	cases := []struct {
		name     string
		in       measure.Instrument
		items    []int
		valid    bool
		total    int
		prorated bool
	}{
		// 8 answered summing to 8: mean 1 × 9 = 9.
		{"phq one missing", measure.PHQ9, []int{1, 1, 1, 1, 1, 1, 1, 1, -1}, true, 9, true},
		// 7 answered summing to 10: 10/7 × 9 = 12.857… → 13.
		{"phq two missing", measure.PHQ9, []int{3, 3, 2, 1, 1, 0, 0, -1, -1}, true, 13, true},
		// 6 answered summing to 7: 7/6 × 7 = 8.1667 → 8.
		{"gad one missing", measure.GAD7, []int{2, 2, 1, 1, 1, 0, -1}, true, 8, true},
		// 5 answered summing to 5: 5/5 × 7 = 7.
		{"gad two missing", measure.GAD7, []int{1, 1, 1, 1, 1, -1, -1}, true, 7, true},
		{"phq three missing", measure.PHQ9, []int{3, 3, 3, 3, 3, 3, -1, -1, -1}, false, 0, false},
		{"gad nothing answered", measure.GAD7, []int{-1, -1, -1, -1, -1, -1, -1}, false, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := c.in.Score(answers(c.items...))
			if s.Valid != c.valid || s.Total != c.total || s.Prorated != c.prorated {
				t.Fatalf("score = %+v, want valid %v total %d prorated %v", s, c.valid, c.total, c.prorated)
			}
			if !c.valid && !strings.Contains(s.Reason, "were not answered") {
				t.Errorf("reason = %q, want it to say why there is no score", s.Reason)
			}
		})
	}
}

func TestScoreIgnoresTheDifficultyQuestionButKeepsIt(t *testing.T) {
	a := answers(1, 1, 1, 1, 1, 1, 1, 1, 1)
	a[measure.DifficultyKey] = []string{"3"}
	s := measure.PHQ9.Score(a)
	if s.Total != 9 || s.Difficulty != "Extremely difficult" {
		t.Errorf("score = %+v, want total 9 and the difficulty answer kept", s)
	}
}

func TestItemNineAboveZeroIsARiskWhateverTheTotal(t *testing.T) {
	if s := measure.PHQ9.Score(answers(1, 1, 0, 0, 0, 0, 0, 0, 1)); !s.Risk || s.Total != 3 || s.Band.Name != "minimal" {
		t.Errorf("item 9 = 1, total 3: %+v, want a risk in the minimal band", s)
	}
	if s := measure.PHQ9.Score(answers(3, 3, 3, 3, 3, 3, 3, 3, 0)); s.Risk {
		t.Errorf("item 9 = 0, total 24: risk raised")
	}
	if s := measure.GAD7.Score(answers(3, 3, 3, 3, 3, 3, 3)); s.Risk {
		t.Errorf("GAD-7 has no risk item, yet a risk was raised")
	}
}

// TestRCIMatchesTheWorkedFormula checks the index against Jacobson, N. S.
// & Truax, P. (1991), "Clinical significance: a statistical approach to
// defining meaningful change in psychotherapy research", J Consult Clin
// Psychol 59(1):12-19, formula (4)-(5): RC = (x2 − x1) / S_diff with
// S_diff = √(2·SE²) and SE = s1·√(1 − rxx); the same SD₁·√2·√(1 − r) is
// C. Evans' reliable change calculator (psyctc.org/stats/rcsc1.htm).
// Worked by hand for PHQ-9 with Kocalevent et al.'s norms (SD 3.52,
// r .87): SE = 3.52·√0.13 = 1.26915; S_diff = 1.79486; a fall from 18 to 9
// is −9 / 1.79486 = −5.0143, so any change of 4 or more points is
// reliable (3/1.79486 = 1.671, 4/1.79486 = 2.229).
func TestRCIMatchesTheWorkedFormula(t *testing.T) {
	n := measure.Norms{SD: 3.52, Reliability: 0.87}
	if got := measure.RCI(18, 9, n); math.Abs(got-(-5.0143)) > 0.0005 {
		t.Errorf("RCI(18→9) = %.4f, want −5.0143", got)
	}
	cases := []struct {
		in     measure.Instrument
		x1, x2 int
		want   measure.Change
	}{
		{measure.PHQ9, 18, 9, measure.Improvement},
		{measure.PHQ9, 12, 9, measure.NoChange},      // −3: RCI −1.67
		{measure.PHQ9, 12, 8, measure.Improvement},   // −4: RCI −2.23
		{measure.PHQ9, 8, 12, measure.Deterioration}, // +4
		{measure.PHQ9, 10, 10, measure.NoChange},
		// GAD-7 (SD 3.41, r .89): S_diff = 3.41·√2·√0.11 = 1.59944; 3 points
		// is 1.876, 4 points 2.501.
		{measure.GAD7, 10, 7, measure.NoChange},
		{measure.GAD7, 10, 6, measure.Improvement},
		{measure.GAD7, 6, 10, measure.Deterioration},
	}
	for _, c := range cases {
		if _, got := c.in.Reliable(c.x1, c.x2); got != c.want {
			t.Errorf("%s %d→%d: %v, want %v", c.in.Short, c.x1, c.x2, got, c.want)
		}
	}
}

func TestNHSThresholds(t *testing.T) {
	cases := []struct {
		in     measure.Instrument
		x1, x2 int
		want   measure.Change
	}{
		{measure.PHQ9, 16, 10, measure.Improvement}, {measure.PHQ9, 16, 11, measure.NoChange},
		{measure.PHQ9, 10, 16, measure.Deterioration}, {measure.PHQ9, 10, 15, measure.NoChange},
		{measure.GAD7, 14, 10, measure.Improvement}, {measure.GAD7, 14, 11, measure.NoChange},
		{measure.GAD7, 10, 14, measure.Deterioration},
	}
	for _, c := range cases {
		if got := c.in.NHS(c.x1, c.x2); got != c.want {
			t.Errorf("%s %d→%d: %v, want %v", c.in.Short, c.x1, c.x2, got, c.want)
		}
	}
}

// readReference reads a reference copy: every line that is not a comment.
func readReference(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open("reference/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// lines renders an instrument as its reference copy is written.
func lines(in measure.Instrument) []string {
	out := []string{in.Stem}
	for i, item := range in.Items {
		out = append(out, fmt.Sprintf("%d. %s", i+1, item))
	}
	for i, a := range in.Answers {
		out = append(out, fmt.Sprintf("%d = %s", i, a))
	}
	return append(append(out, in.Difficulty), in.DifficultyAnswers...)
}

// TestMeasureTextMatchesThePublishedInstrument compares each instrument,
// as stored in the database by the migration and as the client sees it,
// with the reference copy of the published form kept beside this test.
func TestMeasureTextMatchesThePublishedInstrument(t *testing.T) {
	db := testkit.DB(t)
	for file, in := range map[string]measure.Instrument{"phq9.txt": measure.PHQ9, "gad7.txt": measure.GAD7} {
		t.Run(in.Short, func(t *testing.T) {
			want := readReference(t, file)
			if got := lines(in); !reflect.DeepEqual(got, want) {
				t.Errorf("wording differs from reference/%s:\n got %q\nwant %q", file, got, want)
			}
			var raw []byte
			if err := db.Get(&raw, `SELECT v.definition FROM exercises e JOIN exercise_versions v ON v.exercise_id = e.id
				WHERE e.builtin_key = $1 AND v.version = $2`, in.Key, in.Version); err != nil {
				t.Fatalf("load %s: %v", in.Key, err)
			}
			var stored exercise.Definition
			if err := json.Unmarshal(raw, &stored); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(stored, in.Definition()) {
				t.Errorf("the migrated definition of %s is not the instrument:\n%+v\nwant\n%+v", in.Key, stored, in.Definition())
			}
			// What the client is shown, field by field, is the reference.
			shown := []string{stored.Intro}
			for _, f := range stored.Fields[:len(in.Items)] {
				shown = append(shown, f.Label)
			}
			for _, o := range stored.Fields[0].Options {
				shown = append(shown, o.Key+" = "+o.Label)
			}
			last := stored.Fields[len(stored.Fields)-1]
			shown = append(shown, last.Label)
			for _, o := range last.Options {
				shown = append(shown, o.Label)
			}
			if !reflect.DeepEqual(shown, want) {
				t.Errorf("the stored form shows\n%q\nwant\n%q", shown, want)
			}
		})
	}
}

// A PHQ-9 with item 9 left out raises no flag, but is marked so the
// therapist is told to ask: a missing answer is not a 0. GAD-7 has no
// risk item.
func TestAnUnansweredItemNineIsMarkedNotTakenAsZero(t *testing.T) {
	s := measure.PHQ9.Score(answers(0, 0, 0, 0, 0, 0, 0, 0, -1))
	if s.Risk || !s.RiskUnanswered {
		t.Errorf("item 9 unanswered: risk %v, unanswered %v; want false, true", s.Risk, s.RiskUnanswered)
	}
	if s := measure.PHQ9.Score(answers(0, 0, 0, 0, 0, 0, 0, 0, 0)); s.RiskUnanswered {
		t.Error("item 9 answered 0 is marked unanswered")
	}
	if s := measure.GAD7.Score(answers(-1, 0, 0, 0, 0, 0, 0)); s.RiskUnanswered || s.Risk {
		t.Error("GAD-7 has no risk item, yet one is marked")
	}
	series := measure.Series{Instrument: measure.PHQ9, Points: []measure.Point{
		{Score: measure.PHQ9.Score(answers(1, 1, 1, 1, 1, 1, 1, 1, 0))},
		{Score: measure.PHQ9.Score(answers(1, 1, 1, 1, 1, 1, 1, 1, -1))},
	}}
	if !series.RiskUnanswered() {
		t.Error("the newest submission left item 9 out, and the series does not say so")
	}
}
