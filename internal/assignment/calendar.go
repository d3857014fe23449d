package assignment

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/policy"
)

// DueDate is one piece of homework's due date, for the client's calendar.
type DueDate struct {
	AssignmentID int64     `db:"id"`
	On           time.Time `db:"due_on"`
}

// CalendarWindow is how far back the calendar keeps due dates: far enough
// for a week's overdue work to stay visible, short enough to stay small.
const CalendarWindow = 30 * 24 * time.Hour

// CalendarDates lists the due dates of the client's homework still to do
// (open), from CalendarWindow ago on, for their own calendar. Work sent or
// cancelled leaves it.
func (s *Service) CalendarDates(ctx context.Context, actor policy.Actor) ([]DueDate, error) {
	if !policy.Allowed(actor, policy.UsePortal) {
		return nil, errkind.ErrForbidden
	}
	var out []DueDate
	err := sqlx.SelectContext(ctx, s.db, &out, `SELECT id, due_on FROM assignments
		WHERE client_id = $1 AND status = 'open' AND due_at > $2 ORDER BY due_on, id`,
		actor.UserID, s.now().Add(-CalendarWindow))
	if err != nil {
		return nil, fmt.Errorf("calendar dates: %w", err)
	}
	return out, nil
}
