package testkit

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/assignment"
	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/reflection"
)

// TwoQuestions is a small exercise for service tests: a required long
// answer and a tracked 0–10 scale.
var TwoQuestions = exercise.Definition{Title: "Two questions", Fields: []exercise.Field{
	{Key: "story", Type: exercise.LongText, Label: "What happened?", Required: true},
	{Key: "trust", Type: exercise.Scale, Label: "How much trust?", Min: new(0), Max: new(10), Tracked: true},
}}

// AssignToday has therapist save d as an exercise of their practice and
// give it to client once, due today, through the exercise and assignment
// services on the app's own pool (the test practice's time zone is UTC).
// It returns the assignment's id.
func (a *App) AssignToday(t testing.TB, therapist, client account.User, d exercise.Definition) int64 {
	t.Helper()
	ctx := context.Background()
	ex, err := exercise.NewService(a.AppDB).Create(ctx, therapist.Actor(), d)
	if err != nil {
		t.Fatalf("create exercise: %v", err)
	}
	sched := assignment.Schedule{Recurrence: assignment.Once, First: assignment.DateOf(time.Now().UTC())}
	if _, err := assignment.NewService(a.AppDB).Assign(ctx, therapist.Actor(),
		assignment.Request{ExerciseID: ex, ClientIDs: []int64{client.ID}, Schedule: sched}); err != nil {
		t.Fatalf("assign: %v", err)
	}
	var id int64
	if err := a.DB.Get(&id, `SELECT id FROM assignments WHERE exercise_id = $1 AND client_id = $2`, ex, client.ID); err != nil {
		t.Fatalf("find the assignment: %v", err)
	}
	return id
}

// Send has client send form (answers by input name, "a.<key>") for
// assignment id through the reflection service, with a fresh form token.
func (a *App) Send(t testing.TB, client account.User, id int64, form url.Values) reflection.Result {
	t.Helper()
	res, err := reflection.NewService(a.AppDB, nil).Submit(context.Background(), client.Actor(), id, reflection.NewFormToken(), form)
	if err != nil {
		t.Fatalf("send assignment %d: %v", id, err)
	}
	return res
}
