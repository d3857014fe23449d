package notify

import (
	"fmt"
	"net/url"
	"time"

	"github.com/trellis-app/trellis/internal/mail"
)

// What Trellis says by email, in full. Every message is the minimum
// necessary: what the link is for and the link. None carries a name,
// clinical text, an exercise title or the practice's own words, and none
// says "therapy": an email can be read over someone's shoulder or in a
// shared inbox. A test seeds distinctive text everywhere and searches every
// delivered message for it.

const signature = "\n-- \nTrellis\n"

func linkMessage(kind Kind, link *url.URL, valid time.Duration) (subject, text string) {
	switch kind {
	case KindInvite:
		return "Your Trellis invitation", fmt.Sprintf(`Hello,

You have been invited to set up an account on Trellis. Choose your password with this link. It works once, for %s:

%s

If you were not expecting this, you can ignore this email.
`, humanDuration(valid), link) + signature
	case KindReset:
		return "Your Trellis sign-in link", fmt.Sprintf(`Hello,

Here is the link to set a new password for Trellis. It works once, for %s:

%s

If you did not ask for a new link, tell the person who looks after your account.
`, humanDuration(valid), link) + signature
	}
	panic("notify: no link message for " + string(kind))
}

// existingAccountMessage answers an invitation for an email that already
// has an account. Its subject is an invitation's, so nothing tells a
// bystander (or the inviter) which of the two was sent.
func existingAccountMessage(signin *url.URL) (subject, text string) {
	return "Your Trellis invitation", fmt.Sprintf(`Hello,

You have been invited to Trellis, and this email address already has a Trellis account. Sign in with it here:

%s

If you cannot sign in, ask the person who invited you for a new sign-in link.
`, signin) + signature
}

// humanDuration says how long a link stays valid, to the nearest day,
// hour or minute: a link sent a few seconds after it was made has a few
// seconds less than its 72 hours and is still "3 days".
func humanDuration(d time.Duration) string {
	switch {
	case d >= 36*time.Hour:
		return fmt.Sprintf("%d days", (d+12*time.Hour)/(24*time.Hour))
	case d >= 90*time.Minute:
		return fmt.Sprintf("%d hours", (d+30*time.Minute)/time.Hour)
	case d >= 90*time.Second:
		return fmt.Sprintf("%d minutes", (d+30*time.Second)/time.Minute)
	default:
		return "a minute"
	}
}

// withID gives a message its Message-ID. A reminder keeps one ID across
// retries, so a resend after a crash is recognisably the same message. A
// link email gets a new ID with each attempt: each attempt mints a new
// link, and the older one stops working, so mail systems must not drop the
// resend as a repeat.
func withID(m mail.Message, outboxID int64, c claimed) mail.Message {
	if c.Kind == KindInvite || c.Kind == KindReset {
		m.ID = fmt.Sprintf("trellis-%d-%d", outboxID, c.Attempts)
		return m
	}
	m.ID = fmt.Sprintf("trellis-%d", outboxID)
	return m
}
