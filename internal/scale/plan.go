package scale

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// A practice is generated client by client from a seeded random stream per
// client, so every pass over the clients (one per table written) sees the
// same plan without holding two years of homework in memory.

// day is a calendar day in UTC, counted from 1970-01-01.
type day int64

func dayOf(t time.Time) day { return day(t.Unix() / 86400) }

func (d day) time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// weekday is 0 for Sunday (1970-01-01 was a Thursday).
func (d day) weekday() int { return int((d + 4) % 7) }

func (d day) String() string { return d.time().Format(time.DateOnly) }

// dueAt is the end of the day in the practice's time zone (UTC here), as
// assignment.Date.DueAt makes it.
func (d day) dueAt() time.Time { return d.time().Add(24*time.Hour - time.Second) }

// periodDays is the history seeded: two years, to the week.
const periodDays = 728

// Blocks a therapist assigns at a time: a recurring series is renewed every
// blockCount occurrences, as people do (a series holds at most 104).
const blockCount = 12

// Shares that shape the practice. They are realistic guesses, not data.
const (
	shareStartLate     = 0.4   // clients who began after the period's start
	shareDischarged    = 0.08  // clients whose work ended before today
	shareCheckIn       = 0.92  // clients with weekly check-ins
	shareLadder        = 0.4   // clients given the trust ladder
	shareLate          = 0.12  // work sent after its due day
	shareSecondVersion = 0.03  // sent work changed once afterwards
	shareThirdVersion  = 0.003 // and again
	shareNeverReviewed = 0.02  // sent work no one marked reviewed
	shareDiscuss       = 0.03  // marked to discuss in session
	shareFeedback      = 0.22  // reviewed work with feedback
	shareNote          = 0.04  // reviewed work with a private note
	shareDraft         = 0.05  // current open work with a draft
	shareCancelled     = 0.15  // missed work the therapist cancelled
	shareCancelledOld  = 0.7   // the same, missed over four weeks ago
	shareAtRisk        = 0.06  // clients whose writing is flagged more often
	riskAtRisk         = 0.08
	riskOther          = 0.006
	versionRows        = 1 + shareSecondVersion + 2*shareThirdVersion // submission rows per sent assignment
)

// Exercises by role in the plan (indexes into gen.ex, by builtin key).
const (
	keyCheckIn = "weekly-trust-check-in"
	keyThought = "trust-thought-record"
	keyLadder  = "trust-ladder"
)

var onceOffKeys = []string{"roots-of-mistrust", "honest-conversation", "boundaries-expectations", "forgiveness-reflection", "worth-and-trust"}

type version struct {
	id   int64
	at   time.Time
	set  int    // the text set answered with
	mask uint32 // which optional fields were answered
}

type occurrence struct {
	id       int64
	due      day
	status   string
	versions []version // oldest first
	reviewed time.Time
	discuss  bool
	flagged  bool
	// feedback, when set: written, updated, and seen (zero: not yet).
	fbBody               int
	fbAt, fbUpd, fbSeen  time.Time
	hasFeedback, hasNote bool
	noteBody             int
	draftAt              time.Time
}

type series struct {
	id        int64
	ex        int
	recur     string
	interval  int
	first     day
	count     int
	note      string
	created   time.Time
	cancelled time.Time
	occ       []occurrence
}

type clientPlan struct {
	index     int
	therapist int
	join, end day
	created   time.Time
	series    []series
	notes     []time.Time // private notes on the client, not on a submission
	noteBody  []int
	risk      float64
}

func newRand(seed uint64, stream int, n int64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(stream)<<48|uint64(n)))
}

// span draws when a client's work began and ended, and how busy they are:
// the first draws of the client's stream, shared by the quota pass and
// the plan.
func (g *gen) span(r *rand.Rand) (join, end day, weight float64) {
	join = g.start
	if r.Float64() < shareStartLate {
		join += day(r.IntN(periodDays * 3 / 4))
	}
	end = g.today + 13
	if g.today-join > 180 && r.Float64() < shareDischarged {
		end = join + 120 + day(r.IntN(int(g.today-join-150)))
	}
	weight = float64(min(end, g.today)-join) * (0.6 + 0.8*r.Float64())
	return join, end, weight
}

// quotas shares the submissions among clients in proportion to how long
// and how busily each worked, exactly (largest remainder).
func (g *gen) quotas() {
	w := make([]float64, g.o.Clients)
	var total float64
	for c := range w {
		_, _, w[c] = g.span(newRand(g.o.Seed, 1, int64(c)))
		total += w[c]
	}
	g.quota = make([]int, len(w))
	rest := make([]int, len(w))
	frac := make([]float64, len(w))
	given := 0
	for c := range w {
		x := float64(g.o.Submissions) * w[c] / total
		g.quota[c] = int(x)
		frac[c] = x - math.Floor(x)
		rest[c] = c
		given += g.quota[c]
	}
	slices.SortStableFunc(rest, func(a, b int) int {
		switch {
		case frac[a] > frac[b]:
			return -1
		case frac[a] < frac[b]:
			return 1
		}
		return 0
	})
	for i := 0; given < g.o.Submissions; i++ {
		g.quota[rest[i%len(rest)]]++
		given++
	}
}

// ids hands out row ids in plan order, the same in every pass.
type ids struct{ series, assignment, submission int64 }

// plan builds client c's two years of homework.
func (g *gen) plan(c int, next *ids) *clientPlan {
	r := newRand(g.o.Seed, 1, int64(c))
	p := &clientPlan{index: c, therapist: TherapistOf(c, g.o.Therapists)}
	p.join, p.end, _ = g.span(r)
	p.created = g.daytime(r, p.join-day(1+r.IntN(10)))
	p.risk = riskOther
	if r.Float64() < shareAtRisk {
		p.risk = riskAtRisk
	}
	quota := g.quota[c]
	sendRate := 0.78 + 0.2*r.Float64()
	// A little more work than the quota needs: rounding the thought
	// records' interval must not leave the client short.
	past := int(math.Ceil(float64(quota)/versionRows/sendRate*1.03)) + 2
	last := min(p.end, g.today) // no new block starts after this day

	// Weekly check-ins on the client's day, most often Sunday.
	if r.Float64() < shareCheckIn {
		wd := 0
		if r.Float64() < 0.5 {
			wd = r.IntN(7)
		}
		first := p.join + 3
		for first.weekday() != wd {
			first++
		}
		g.blocks(r, p, g.exIdx[keyCheckIn], "weekly", 7, first, last)
	}
	// A trust ladder for some, for a couple of months.
	if r.Float64() < shareLadder && last-p.join > 70 {
		first := p.join + day(r.IntN(int(last-p.join-56)))
		p.series = append(p.series, g.block(r, p, g.exIdx[keyLadder], "weekly", 7, first, 8))
	}
	// One-off exercises now and then.
	n := 1 + int(float64(last-p.join)/periodDays*float64(3+r.IntN(6)))
	for range n {
		due := p.join + 7 + day(r.IntN(int(last-p.join)+7))
		p.series = append(p.series, g.block(r, p, g.exIdx[onceOffKeys[r.IntN(len(onceOffKeys))]], "once", 7, due, 1))
	}
	// Thought records fill the rest, as often as this client's share of
	// the practice's submissions needs.
	have := 0
	for _, s := range p.series {
		for _, o := range s.occ {
			if o.due < last {
				have++
			}
		}
	}
	if rem := past - have; rem > 0 {
		// Rounded down: more occurrences than needed, never fewer.
		interval := int(float64(last-p.join) / float64(rem))
		interval = max(1, min(90, interval))
		recur := "every_n_days"
		if interval == 7 {
			recur = "weekly"
		}
		g.blocks(r, p, g.exIdx[keyThought], recur, interval, p.join+day(1+r.IntN(7)), last)
	}
	g.endWork(p)
	g.send(r, p, quota)
	for i := range p.series {
		s := &p.series[i]
		next.series++
		s.id = next.series
		for j := range s.occ {
			o := &s.occ[j]
			next.assignment++
			o.id = next.assignment
			for k := range o.versions {
				next.submission++
				o.versions[k].id = next.submission
			}
		}
	}
	for range r.IntN(5) {
		p.notes = append(p.notes, g.daytime(r, p.join+day(r.IntN(int(last-p.join)+1))))
		p.noteBody = append(p.noteBody, r.IntN(len(noteTexts)))
	}
	return p
}

// blocks renews a recurring series every blockCount occurrences from first
// while the client is in care.
func (g *gen) blocks(r *rand.Rand, p *clientPlan, ex int, recur string, interval int, first, last day) {
	for d := first; d <= last; d += day(interval * blockCount) {
		p.series = append(p.series, g.block(r, p, ex, recur, interval, d, blockCount))
	}
}

func (g *gen) block(r *rand.Rand, p *clientPlan, ex int, recur string, interval int, first day, count int) series {
	s := series{ex: ex, recur: recur, interval: interval, first: first, count: count,
		note: therapistNotes[r.IntN(len(therapistNotes))]}
	s.created = g.daytime(r, first-day(1+r.IntN(6)))
	if s.created.Before(p.created) {
		s.created = p.created.Add(time.Hour)
	}
	s.occ = make([]occurrence, count)
	for i := range s.occ {
		s.occ[i] = occurrence{due: first + day(i*interval), status: "open"}
	}
	return s
}

// endWork cancels what was still ahead when a discharged client's work
// ended, as cancelling a series does.
func (g *gen) endWork(p *clientPlan) {
	if p.end > g.today {
		return
	}
	at := p.end.time().Add(11 * time.Hour)
	for i := range p.series {
		s := &p.series[i]
		ended := false
		for j := range s.occ {
			if s.occ[j].due >= p.end {
				s.occ[j].status = "cancelled"
				ended = true
			}
		}
		if ended && s.recur != "once" {
			s.cancelled = at
		}
	}
}

// daytime is a moment during the working day.
func (g *gen) daytime(r *rand.Rand, d day) time.Time {
	t := d.time().Add(time.Duration(8*3600+r.IntN(9*3600)) * time.Second)
	if t.After(g.now) {
		t = g.now.Add(-time.Hour)
	}
	return t
}

// sendTime is when a client would send work due on d: mostly in the
// evenings of the last days before it, sometimes days late.
func (g *gen) sendTime(r *rand.Rand, d day, window int) time.Time {
	at := d - day(r.IntN(max(1, min(window, 3))))
	if r.Float64() < shareLate {
		at = d + 1 + day(r.IntN(6))
	}
	sec := 17*3600 + r.IntN(6*3600+1800)
	if r.Float64() < 0.3 {
		sec = 7*3600 + r.IntN(10*3600)
	}
	return at.time().Add(time.Duration(sec)*time.Second + time.Duration(r.IntN(1e6))*time.Microsecond)
}

// send decides what the client sent: exactly quota submission rows when
// there is enough work to send, chosen at random among the occurrences
// whose sending time has come; then reviews, feedback, notes and drafts.
func (g *gen) send(r *rand.Rand, p *clientPlan, quota int) {
	type cand struct {
		s, o int
		at   time.Time
	}
	total := 0
	for _, s := range p.series {
		total += len(s.occ)
	}
	cands := make([]cand, 0, total)
	for i := range p.series {
		s := &p.series[i]
		for j := range s.occ {
			o := &s.occ[j]
			at := g.sendTime(r, o.due, s.interval)
			if at.Before(s.created) {
				at = s.created.Add(2 * time.Hour)
			}
			if o.status == "cancelled" || !at.Before(g.now.Add(-10*time.Minute)) {
				continue
			}
			cands = append(cands, cand{i, j, at})
		}
	}
	r.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
	rows := 0
	for _, c := range cands {
		if rows >= quota {
			break
		}
		n := 1
		if x := r.Float64(); x < shareThirdVersion {
			n = 3
		} else if x < shareSecondVersion {
			n = 2
		}
		n = min(n, quota-rows)
		rows += n
		s := &p.series[c.s]
		o := &s.occ[c.o]
		at := c.at
		o.versions = make([]version, 0, n)
		for k := range n {
			if k > 0 {
				step := time.Duration(1+r.IntN(71)) * time.Hour
				if !at.Add(step).Before(g.now) {
					step = g.now.Sub(at) / 2
				}
				at = at.Add(step)
			}
			set := r.IntN(textSets)
			if r.Float64() < p.risk {
				set = textSets + r.IntN(len(riskSentences))
			}
			v := version{at: at, set: set, mask: g.ex[s.ex].presence(r)}
			o.versions = append(o.versions, v)
			if len(g.ex[s.ex].flags(g.scan, v)) > 0 {
				o.flagged = true
			}
		}
		o.status = "submitted"
	}
	lag := g.lag[p.therapist]
	for i := range p.series {
		s := &p.series[i]
		for j := range s.occ {
			o := &s.occ[j]
			switch {
			case o.status == "submitted":
				g.review(r, o, lag)
			case o.status == "open" && o.due < g.today-7:
				// Missed, and taken off the list; most of the old misses are.
				share := shareCancelled
				if o.due < g.today-28 {
					share = shareCancelledOld
				}
				if r.Float64() < share {
					o.status = "cancelled"
				}
			case o.status == "open" && o.due >= g.today-7 && r.Float64() < shareDraft:
				o.draftAt = g.now.Add(-time.Duration(10+r.IntN(4*24*60)) * time.Minute)
				if o.draftAt.Before(s.created) {
					o.draftAt = s.created.Add(time.Hour)
				}
			}
		}
	}
}

// review marks sent work reviewed after the therapist's usual delay, with
// feedback and notes on some.
func (g *gen) review(r *rand.Rand, o *occurrence, lag float64) {
	sent := o.versions[len(o.versions)-1].at
	o.discuss = r.Float64() < shareDiscuss
	at := sent.Add(time.Duration(lag * (0.2 + 1.6*r.Float64()) * float64(24*time.Hour)))
	if !at.Before(g.now) || r.Float64() < shareNeverReviewed {
		return
	}
	o.status, o.reviewed = "reviewed", at
	if r.Float64() < shareFeedback {
		o.hasFeedback, o.fbBody = true, r.IntN(len(feedbackTexts))
		o.fbAt = at.Add(time.Duration(r.IntN(20*60)) * time.Second)
		o.fbUpd = o.fbAt
		if r.Float64() < 0.08 {
			if upd := o.fbAt.Add(time.Duration(1+r.IntN(47)) * time.Hour); upd.Before(g.now) {
				o.fbUpd = upd
			}
		}
		if seen := o.fbUpd.Add(time.Duration(1+r.IntN(95)) * time.Hour); seen.Before(g.now) && r.Float64() < 0.9 {
			o.fbSeen = seen
		}
		if o.fbAt.After(g.now) {
			o.fbAt, o.fbUpd, o.fbSeen = at, at, time.Time{}
		}
	}
	if r.Float64() < shareNote {
		o.hasNote, o.noteBody = true, r.IntN(len(noteTexts))
	}
}
