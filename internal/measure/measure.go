// Package measure owns the standardised outcome measures (PHQ-9, GAD-7):
// each published version's exact wording, answer options, recall period,
// scoring rules, severity bands, norms for reliable change and the
// citations they come from. A measure is assigned like an exercise (its
// definition is a built-in, locked exercise version, migration 00025); this
// package turns the answers into scores. Everything here is a pure
// function: no I/O.
package measure

import (
	"fmt"
	"math"
	"strconv"

	"github.com/trellis-app/trellis/internal/exercise"
)

// Band is one severity band of a total, inclusive at both ends.
type Band struct {
	Min, Max int
	Name     string // the clinical name: "moderately severe"
	// Plain is the name a client reads: plain words, nothing alarming.
	Plain string
}

// Norms are the published figures reliable change is computed from.
type Norms struct {
	SD          float64 // standard deviation of the reference sample
	Reliability float64 // internal consistency (Cronbach's alpha)
	Citation    string
}

// Instrument is one version of a measure, exactly as published.
type Instrument struct {
	Key     string // the built-in exercise's key: "phq-9"
	Version int    // the exercise version it is stored as
	Title   string
	Short   string // "PHQ-9"
	// Stem is the question with its recall period, as printed above the
	// items.
	Stem    string
	Items   []string
	Answers []string // scored 0, 1, 2, 3 in this order
	// Difficulty is the functional-difficulty question: shown and
	// stored, never scored.
	Difficulty        string
	DifficultyAnswers []string
	Bands             []Band
	// CutOff is the usual clinical cut-off (a total at or above it is in
	// the clinical range), drawn as a line on charts.
	CutOff int
	// RiskItem is the 1-based item whose any answer above 0 raises the
	// risk flag, 0 for none.
	RiskItem int
	Norms    Norms
	// NHSChange is the NHS Talking Therapies reliable-change threshold:
	// a change of at least this many points.
	NHSChange int
	Source    string // where the wording comes from
}

// Max is the highest possible total.
func (in Instrument) Max() int { return 3 * len(in.Items) }

// ItemKey is the answer key of item i (1-based).
func ItemKey(i int) string { return "item" + strconv.Itoa(i) }

// DifficultyKey is the answer key of the functional-difficulty question.
const DifficultyKey = "difficulty"

// RiskFlag is the flag a submission gets when the risk item is above 0;
// the inbox and the review page show it like any risk flag.
func (in Instrument) RiskFlag() string {
	return fmt.Sprintf("%s item %d (thoughts of being better off dead or of self-harm)", in.Short, in.RiskItem)
}

// ProrateRule is the missing-answers rule, stated wherever a score is.
const ProrateRule = "With one or two questions unanswered, the total is the mean of the answered questions times the number of questions, rounded to the nearest whole number. With more unanswered, no total is given."

var options = []string{"Not at all", "Several days", "More than half the days", "Nearly every day"}
var difficulty = []string{"Not difficult at all", "Somewhat difficult", "Very difficult", "Extremely difficult"}

const difficultyQuestion = "If you checked off any problems, how difficult have these problems made it for you to do your work, take care of things at home, or get along with other people?"

// PHQ9 is the Patient Health Questionnaire, version 1 in Trellis.
var PHQ9 = Instrument{
	Key: "phq-9", Version: 1, Title: "PHQ-9 (Patient Health Questionnaire)", Short: "PHQ-9",
	Stem: "Over the last 2 weeks, how often have you been bothered by any of the following problems?",
	Items: []string{
		"Little interest or pleasure in doing things",
		"Feeling down, depressed, or hopeless",
		"Trouble falling or staying asleep, or sleeping too much",
		"Feeling tired or having little energy",
		"Poor appetite or overeating",
		"Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
		"Trouble concentrating on things, such as reading the newspaper or watching television",
		"Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety or restless that you have been moving around a lot more than usual",
		"Thoughts that you would be better off dead or of hurting yourself in some way",
	},
	Answers: options, Difficulty: difficultyQuestion, DifficultyAnswers: difficulty,
	Bands: []Band{{0, 4, "minimal", "low"}, {5, 9, "mild", "mild"}, {10, 14, "moderate", "moderate"},
		{15, 19, "moderately severe", "moderately high"}, {20, 27, "severe", "high"}},
	// Kroenke, Spitzer & Williams (2001): 10 or more, sensitivity and
	// specificity of 88% for major depression.
	CutOff: 10, RiskItem: 9, NHSChange: 6,
	Norms: Norms{SD: 3.52, Reliability: 0.87,
		Citation: "Kocalevent RD, Hinz A, Brähler E. Standardization of the depression screener Patient Health Questionnaire (PHQ-9) in the general population. Gen Hosp Psychiatry. 2013;35(5):551-555 (SD 3.52, Cronbach's alpha 0.87)."},
	Source: "PHQ-9, developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, with an educational grant from Pfizer Inc.; no permission required to reproduce. Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression severity measure. J Gen Intern Med. 2001;16(9):606-613.",
}

// GAD7 is the Generalized Anxiety Disorder scale, version 1 in Trellis.
var GAD7 = Instrument{
	Key: "gad-7", Version: 1, Title: "GAD-7 (Generalized Anxiety Disorder scale)", Short: "GAD-7",
	Stem: "Over the last 2 weeks, how often have you been bothered by the following problems?",
	Items: []string{
		"Feeling nervous, anxious or on edge",
		"Not being able to stop or control worrying",
		"Worrying too much about different things",
		"Trouble relaxing",
		"Being so restless that it is hard to sit still",
		"Becoming easily annoyed or irritable",
		"Feeling afraid as if something awful might happen",
	},
	Answers: options, Difficulty: difficultyQuestion, DifficultyAnswers: difficulty,
	Bands:  []Band{{0, 4, "minimal", "low"}, {5, 9, "mild", "mild"}, {10, 14, "moderate", "moderate"}, {15, 21, "severe", "high"}},
	CutOff: 10, NHSChange: 4,
	Norms: Norms{SD: 3.41, Reliability: 0.89,
		Citation: "Löwe B, Decker O, Müller S, et al. Validation and standardization of the Generalized Anxiety Disorder Screener (GAD-7) in the general population. Med Care. 2008;46(3):266-274 (SD 3.41, Cronbach's alpha 0.89)."},
	Source: "GAD-7, developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, with an educational grant from Pfizer Inc.; no permission required to reproduce. Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing generalized anxiety disorder: the GAD-7. Arch Intern Med. 2006;166(10):1092-1097.",
}

// All lists every instrument version, in the order the library shows them.
var All = []Instrument{PHQ9, GAD7}

// For returns the instrument a definition is, by its measure key and the
// version assignments pin.
func For(d exercise.Definition, version int) (Instrument, bool) {
	for _, in := range All {
		if in.Key == d.Measure && in.Version == version {
			return in, true
		}
	}
	return Instrument{}, false
}

// Definition is the instrument as an exercise definition: the stem as the
// introduction, one single-choice field per item (answer keys "0"–"3", the
// item's score), then the difficulty question. No item is required, so a
// client may leave one out; scoring says what that means.
func (in Instrument) Definition() exercise.Definition {
	d := exercise.Definition{Title: in.Title, Measure: in.Key, Minutes: 5,
		Purpose: "A standard questionnaire, scored by Trellis. Its wording cannot be changed. " + in.Source,
		Intro:   in.Stem}
	for i, text := range in.Items {
		f := exercise.Field{Key: ItemKey(i + 1), Type: exercise.Choice, Label: fmt.Sprintf("%d. %s", i+1, text)}
		for n, a := range in.Answers {
			f.Options = append(f.Options, exercise.Option{Key: strconv.Itoa(n), Label: a})
		}
		d.Fields = append(d.Fields, f)
	}
	f := exercise.Field{Key: DifficultyKey, Type: exercise.Choice, Label: in.Difficulty}
	for n, a := range in.DifficultyAnswers {
		f.Options = append(f.Options, exercise.Option{Key: strconv.Itoa(n), Label: a})
	}
	d.Fields = append(d.Fields, f)
	return d
}

// Score is one scored submission.
type Score struct {
	// Valid is false when too many items are unanswered; Reason says so.
	Valid    bool
	Reason   string
	Total    int // prorated when Prorated
	Answered int
	Prorated bool
	Band     Band
	Items    []int // each item's answer, -1 when unanswered
	// Risk: the risk item was answered above 0.
	Risk bool
	// RiskUnanswered: the risk item was left out, so the score says
	// nothing of it either way; the therapist is told to ask.
	RiskUnanswered bool
	// Difficulty is the functional-difficulty answer's label, "" if none.
	Difficulty string
}

// Score scores answers by the published rules: the sum of the items;
// with one or two unanswered, prorated (ProrateRule); with more, no score.
func (in Instrument) Score(a exercise.Answers) Score {
	s := Score{Items: make([]int, len(in.Items))}
	sum := 0
	for i := range in.Items {
		s.Items[i] = -1
		n, err := strconv.Atoi(a.First(ItemKey(i + 1)))
		if err != nil || n < 0 || n >= len(in.Answers) {
			continue
		}
		s.Items[i] = n
		s.Answered++
		sum += n
	}
	if in.RiskItem > 0 {
		s.Risk = s.Items[in.RiskItem-1] > 0
		s.RiskUnanswered = s.Items[in.RiskItem-1] < 0
	}
	if n, err := strconv.Atoi(a.First(DifficultyKey)); err == nil && n >= 0 && n < len(in.DifficultyAnswers) {
		s.Difficulty = in.DifficultyAnswers[n]
	}
	missing := len(in.Items) - s.Answered
	switch {
	case missing == 0:
		s.Total = sum
	case missing <= 2:
		s.Prorated = true
		s.Total = int(math.Round(float64(sum) / float64(s.Answered) * float64(len(in.Items))))
	default:
		s.Reason = fmt.Sprintf("Not scored: %d of the %d questions were not answered, and a total can be estimated only when at most 2 are missing.", missing, len(in.Items))
		return s
	}
	s.Valid = true
	s.Band = in.BandOf(s.Total)
	return s
}

// BandOf is the severity band a total falls in.
func (in Instrument) BandOf(total int) Band {
	for _, b := range in.Bands {
		if total >= b.Min && total <= b.Max {
			return b
		}
	}
	return Band{}
}

// Change is a classification of the change between two totals.
type Change int

// Lower scores are better on both measures.
const (
	NoChange Change = iota
	Improvement
	Deterioration
)

// String is the phrase pages and reports print.
func (c Change) String() string {
	switch c {
	case Improvement:
		return "reliable improvement"
	case Deterioration:
		return "reliable deterioration"
	}
	return "no reliable change"
}

// RCI is Jacobson & Truax's reliable change index: the change divided by
// the standard error of the difference, SD₁·√2·√(1 − r).
func RCI(x1, x2 float64, n Norms) float64 {
	return (x2 - x1) / (n.SD * math.Sqrt2 * math.Sqrt(1-n.Reliability))
}

// Reliable classifies the change from x1 to x2 by the RCI: reliable when
// |RCI| > 1.96 (beyond what measurement error alone gives 95% of the time).
func (in Instrument) Reliable(x1, x2 int) (float64, Change) {
	rci := RCI(float64(x1), float64(x2), in.Norms)
	switch {
	case rci < -1.96:
		return rci, Improvement
	case rci > 1.96:
		return rci, Deterioration
	}
	return rci, NoChange
}

// NHS classifies the change by the NHS Talking Therapies threshold: a
// change of at least NHSChange points.
func (in Instrument) NHS(x1, x2 int) Change {
	switch d := x2 - x1; {
	case d <= -in.NHSChange:
		return Improvement
	case d >= in.NHSChange:
		return Deterioration
	}
	return NoChange
}
