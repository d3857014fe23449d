package reports

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Fixtures: realistic, deterministic report data.

var london = mustLocation("Europe/London")

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("GMT", 0)
	}
	return loc
}

var sentences = []string{
	"Before the team meeting I noticed my chest tightening and my hands getting cold.",
	"The thought that came first was that everyone would see I had not prepared enough.",
	"I rated how much I believed it at about eighty percent, which felt high even as I wrote it down.",
	"When I looked for evidence against it, I remembered that my manager thanked me for the last report.",
	"I went for a short walk at lunch instead of eating at my desk, and the afternoon felt less heavy.",
	"My sister called and I managed to tell her that I could not come on Sunday without apologising five times.",
	"I slept badly on Tuesday and Wednesday; I think the late coffee did not help.",
	"Writing the balanced thought felt artificial at first, but by the evening I half believed it.",
	"I caught myself checking the front door three times and stopped at the third, which is one fewer than last week.",
	"I noticed I was mind reading again when my friend did not reply for a few hours.",
	"The breathing exercise helped a little on the bus, less at home where I kept getting interrupted.",
	"I would like to talk about why weekends are harder than weekdays for me.",
	"Afterwards I felt tired but also a bit proud that I had said something in the meeting at all.",
	"The worst moment was around four o'clock, when the emails piled up and I felt I was drowning.",
}

var questions = []string{
	"What was the situation? Where were you, who was there, what was happening?",
	"What went through your mind? Which thought was the strongest?",
	"What did you feel, and how strongly (0–100)?",
	"What is a more balanced way of seeing it?",
	"What did you do afterwards, and how did it go?",
}

// prose is n sentences drawn from the pool.
func prose(r *rand.Rand, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = sentences[r.IntN(len(sentences))]
	}
	return strings.Join(parts, " ")
}

// history is a Summary of weeks weekly check-ins (five qualities and
// overall trust), thought-record before/after ratings and n reflections
// of realistic length, for a twelve-month period when weeks is 52.
func history(client string, weeks, n int) Summary {
	r := rand.New(rand.NewPCG(7, 11))
	to := time.Date(2025, 4, 30, 0, 0, 0, 0, london)
	from := to.AddDate(0, 0, -7*weeks+1)
	qualities := []string{"Mood", "Sleep", "Energy", "Connection", "Calm", "Overall trust"}
	checkins := Chart{Title: "Weekly check-in", Unit: "0–10, higher is better", Min: 0, Max: 10}
	for qi, q := range qualities {
		s := Series{Name: q, Emphasis: q == "Overall trust"}
		v := 3 + qi%3
		for w := 0; w < weeks; w++ {
			// Drifting slowly upwards over the year, with weekly noise.
			target := 3 + qi%3 + 4*w/max(weeks, 1)
			v += r.IntN(3) - 1
			if v < target-1 {
				v++
			} else if v > target+1 {
				v--
			}
			v = max(0, min(10, v))
			s.Points = append(s.Points, Point{At: from.AddDate(0, 0, 7*w+1).Add(19 * time.Hour), Value: v})
		}
		checkins.Series = append(checkins.Series, s)
	}
	before := Series{Name: "Distress before"}
	after := Series{Name: "Distress after"}
	for w := 0; w < weeks; w += 2 {
		at := from.AddDate(0, 0, 7*w+3).Add(21 * time.Hour)
		b := 60 + r.IntN(35)
		before.Points = append(before.Points, Point{At: at, Value: b})
		after.Points = append(after.Points, Point{At: at, Value: b - 15 - r.IntN(30)})
	}
	drops := Chart{Title: "Thought records: distress before and after", Unit: "0–100", Min: 0, Max: 100, Series: []Series{before, after}}

	s := Summary{
		Practice:   "Riverside Counselling Practice",
		Therapist:  "Dr Anna Kowalski",
		Client:     client,
		From:       from,
		To:         to,
		Generated:  time.Date(2025, 5, 3, 14, 5, 0, 0, london),
		Location:   london,
		Completion: Completion{Assigned: 24, Submitted: 20, OnTime: 17},
		Charts:     []Chart{checkins, drops},
		Notes: []Note{
			{At: to.AddDate(0, 0, -20), Text: "PRIVATE-NOTE-ALPHA: consider exploring the relationship with her father next time."},
			{At: to.AddDate(0, 0, -6), Text: "PRIVATE-NOTE-OMEGA: possible avoidance around work topics; check medication review date."},
		},
	}
	for i := 0; i < n; i++ {
		sent := from.Add(time.Duration(i) * (to.Sub(from) / time.Duration(max(n, 1)))).Add(20 * time.Hour)
		ref := Reflection{
			Title:   []string{"Thought record", "Weekly reflection", "Behavioural experiment", "Worry diary"}[i%4],
			Sent:    sent,
			Version: 1 + i%3/2,
		}
		for q := 0; q < 3+i%3; q++ {
			ans := []string{prose(r, 2+r.IntN(5))}
			if q == 2 && i%5 == 0 {
				ans = []string{"Anxious 70", "Ashamed 40", "Tired 55"}
			}
			ref.Answers = append(ref.Answers, QA{Question: questions[q], Answer: ans})
		}
		if i%7 == 3 {
			ref.Flagged = []string{"distress rated 9 or above"}
		}
		if i%2 == 0 {
			ref.Feedback = []Feedback{{Given: sent.Add(30 * time.Hour), Text: fmt.Sprintf("Thank you for writing this up so carefully (%d). Notice how the balanced thought lowered the distress; let's look at the weekend pattern together.", i+1)}}
		}
		s.Reflections = append(s.Reflections, ref)
	}
	return s
}

// session is a realistic session report.
func session(client string) SessionReport {
	last := time.Date(2025, 4, 24, 10, 0, 0, 0, london)
	now := time.Date(2025, 5, 1, 8, 30, 0, 0, london)
	r := SessionReport{
		Practice:    "Riverside Counselling Practice",
		Therapist:   "Dr Anna Kowalski",
		Client:      client,
		LastSession: last,
		NextSession: time.Date(2025, 5, 1, 10, 0, 0, 0, london),
		Generated:   now,
		Location:    london,
		Submitted: []Item{
			{Title: "Thought record: the team meeting", Due: last.AddDate(0, 0, 3), Submitted: last.AddDate(0, 0, 2).Add(9 * time.Hour), Detail: "Balanced thought: my manager has thanked me for the last two reports."},
			{Title: "Weekly check-in", Due: last.AddDate(0, 0, 6), Submitted: last.AddDate(0, 0, 6).Add(8 * time.Hour)},
		},
		Overdue: []Item{
			{Title: "Behavioural experiment: saying no to Sunday lunch", Due: last.AddDate(0, 0, 4)},
		},
		Flagged: []Item{
			{Title: "Worry diary, Tuesday", Submitted: last.AddDate(0, 0, 5), Detail: "Distress rated 9. “The worst moment was around four o'clock, when the emails piled up and I felt I was drowning.”"},
		},
		Discuss: []Item{
			{Title: "Why weekends are harder", Submitted: last.AddDate(0, 0, 5), Detail: "I would like to talk about why weekends are harder than weekdays for me."},
		},
		CheckInMin: 0,
		CheckInMax: 10,
	}
	for i, v := range []int{4, 5, 4, 6, 5, 6, 7, 6} {
		r.CheckIns = append(r.CheckIns, Point{At: last.AddDate(0, 0, -49+7*i), Value: v})
	}
	return r
}
