package scale

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/risk"
)

// textSets is how many sets of written answers each exercise has; a
// submission answers with one of them (or, rarely, with one of the sets
// that carry risk language). A fixed number of texts keeps the risk scan,
// which is the app's own, to a few thousand calls for a million
// submissions.
const textSets = 48

// exInfo is a built-in exercise at the version assignments pin, with what
// the generator needs to answer it.
type exInfo struct {
	key      string
	id       int64
	version  int
	def      exercise.Definition
	optional []int // indexes of optional fields, in order: bit i of a mask
	textMask uint32
	// sets[s][f] is the text answer to field f in set s ("" for fields
	// that are not text).
	sets [][]string
	// before names the "…_before" field an "…_after" field follows.
	before map[string]string
	// memo of the risk scan: the flags the app stores for the text of a
	// set with some optional fields left out.
	memo map[[2]uint32][]string
}

func newExInfo(key string, id int64, version int, def exercise.Definition, seed uint64) (*exInfo, error) {
	e := &exInfo{key: key, id: id, version: version, def: def, before: map[string]string{}, memo: map[[2]uint32][]string{}}
	risky := -1
	for i, f := range def.Fields {
		text := f.Type == exercise.LongText || f.Type == exercise.ShortText
		if !f.Required {
			if len(e.optional) == 32 {
				return nil, fmt.Errorf("exercise %s has more than 32 optional fields", key)
			}
			if text {
				e.textMask |= 1 << len(e.optional)
			}
			e.optional = append(e.optional, i)
		}
		// Risk language goes in a long answer that is always there, so
		// the flag it raises is never lost to a skipped question.
		if f.Type == exercise.LongText && (risky < 0 || (f.Required && !def.Fields[risky].Required)) {
			risky = i
		}
		if b, ok := strings.CutSuffix(f.Key, "_after"); ok {
			for _, g := range def.Fields {
				if g.Key == b+"_before" {
					e.before[f.Key] = g.Key
				}
			}
		}
	}
	r := newRand(seed, 4, id)
	for s := range textSets + len(riskSentences) {
		set := make([]string, len(def.Fields))
		for i, f := range def.Fields {
			set[i] = textFor(r, f)
		}
		if s >= textSets && risky >= 0 {
			set[risky] += " " + riskSentences[s-textSets]
		}
		e.sets = append(e.sets, set)
	}
	return e, nil
}

func textFor(r *rand.Rand, f exercise.Field) string {
	if pool, ok := byKey[f.Key]; ok {
		return pool[r.IntN(len(pool))]
	}
	switch f.Type {
	case exercise.ShortText:
		return shortTexts[r.IntN(len(shortTexts))]
	case exercise.LongText:
		parts := make([]string, 1+r.IntN(3))
		for i := range parts {
			parts[i] = longSentences[r.IntN(len(longSentences))]
		}
		return strings.Join(parts, " ")
	}
	return ""
}

// presence draws which optional questions a submission answers.
func (e *exInfo) presence(r *rand.Rand) uint32 {
	var m uint32
	for i := range e.optional {
		p := 0.9
		if e.textMask&(1<<i) != 0 {
			p = 0.75
		}
		if r.Float64() < p {
			m |= 1 << i
		}
	}
	return m
}

func (e *exInfo) present(mask uint32) []bool {
	out := make([]bool, len(e.def.Fields))
	for i, f := range e.def.Fields {
		out[i] = f.Required
	}
	for bit, i := range e.optional {
		if mask&(1<<bit) != 0 {
			out[i] = true
		}
	}
	return out
}

// flags are the risk categories the app stores with this version: the
// scanner run over the text answers joined exactly as the reflection
// service joins them.
func (e *exInfo) flags(scan *risk.Scanner, v version) []string {
	key := [2]uint32{uint32(v.set), v.mask & e.textMask}
	if f, ok := e.memo[key]; ok {
		return f
	}
	present := e.present(v.mask)
	var b strings.Builder
	for i, f := range e.def.Fields {
		if f.Type == exercise.LongText || f.Type == exercise.ShortText {
			if present[i] {
				b.WriteString(e.sets[v.set][i])
			}
			b.WriteString("\n")
		}
	}
	out := risk.Categories(scan.Scan(b.String()))
	if out == nil {
		out = []string{}
	}
	e.memo[key] = out
	return out
}

// answers builds what the client sent in version v of an occurrence: the
// set's texts, and numbers that follow the client's course over the period
// (later "…_after" answers below their "…_before"). progress is how far
// through the period the client was (0 to 1).
func (e *exInfo) answers(seed uint64, client int, v version, progress float64) exercise.Answers {
	r := newRand(seed, 5, v.id)
	present := e.present(v.mask)
	a := exercise.Answers{}
	nums := map[string]int{}
	for i, f := range e.def.Fields {
		if !present[i] {
			continue
		}
		var val string
		switch f.Type {
		case exercise.LongText, exercise.ShortText:
			val = e.sets[v.set][i]
		case exercise.Scale, exercise.Percent:
			lo, hi := f.Bounds()
			span := float64(hi - lo)
			var n int
			if b, ok := e.before[f.Key]; ok && present[indexOf(e.def, b)] {
				n = nums[b] - int(math.Round((0.05+0.3*r.Float64())*span))
			} else {
				h := hash(seed, uint64(client), f.Key)
				start := 0.2 + 0.4*unit(h)
				end := start + 0.45*unit(h>>20) - 0.1
				n = lo + int(math.Round(span*(start+(end-start)*progress)+span*0.08*r.NormFloat64()))
			}
			n = max(lo, min(hi, n))
			nums[f.Key] = n
			val = strconv.Itoa(n)
		case exercise.Choice:
			val = f.Options[r.IntN(len(f.Options))].Key
		case exercise.Checklist:
			a[f.Key] = []string{f.Options[r.IntN(len(f.Options))].Key}
			continue
		case exercise.YesNo:
			val = "no"
			if r.IntN(2) == 0 {
				val = "yes"
			}
		case exercise.Date:
			val = v.at.Add(time.Duration(r.IntN(8)) * 24 * time.Hour).Format(time.DateOnly)
		}
		if val != "" {
			a[f.Key] = []string{val}
		}
	}
	return a
}

// draft is what a client had typed so far: the first answers of a version
// they have not sent.
func (e *exInfo) draft(seed uint64, client int, v version, progress float64) exercise.Answers {
	full := e.answers(seed, client, v, progress)
	out := exercise.Answers{}
	for i, f := range e.def.Fields {
		if i > len(e.def.Fields)/2 {
			break
		}
		if x, ok := full[f.Key]; ok {
			out[f.Key] = x
		}
	}
	return out
}

func indexOf(d exercise.Definition, key string) int {
	for i, f := range d.Fields {
		if f.Key == key {
			return i
		}
	}
	return -1
}

// hash mixes a client and a field name into 64 well-spread bits
// (splitmix64 over FNV-1a).
func hash(seed, client uint64, key string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= 1099511628211
	}
	z := h ^ seed ^ client*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// unit maps the low 20 bits of h to [0, 1).
func unit(h uint64) float64 { return float64(h&(1<<20-1)) / (1 << 20) }
