package auth

import (
	"strings"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn/frequency"
)

// Password length bounds of NIST SP 800-63B as R2 sets them, in characters.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 128
)

// PasswordChecker applies the password policy (R2): length, not one of the
// 10,000 most common passwords, not the user's own email. No composition
// rules.
type PasswordChecker struct {
	common map[string]struct{}
}

// NewPasswordChecker loads the common-password list zxcvbn ships, ranked by
// frequency, and keeps the first 10,000.
func NewPasswordChecker() *PasswordChecker {
	list := frequency.FrequencyLists["passwords"]
	if len(list) > 10000 {
		list = list[:10000]
	}
	common := make(map[string]struct{}, len(list))
	for _, p := range list {
		common[strings.ToLower(p)] = struct{}{}
	}
	return &PasswordChecker{common: common}
}

// CommonCount is how many common passwords are refused.
func (c *PasswordChecker) CommonCount() int { return len(c.common) }

// Problem returns a message for the person choosing password, or "" when
// the password is acceptable.
func (c *PasswordChecker) Problem(password, email string) string {
	if !utf8.ValidString(password) {
		return "Your password has characters we cannot read. Please type it again."
	}
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLen:
		return "Choose a password of at least 12 characters. A few words together work well."
	case n > MaxPasswordLen:
		return "Choose a password of at most 128 characters."
	}
	lower := strings.ToLower(strings.TrimSpace(password))
	if _, ok := c.common[lower]; ok {
		return "That password is one of the most common ones, so it is easy to guess. Please choose another."
	}
	if email != "" {
		e := strings.ToLower(strings.TrimSpace(email))
		local, _, _ := strings.Cut(e, "@")
		if lower == e || (len(local) >= 4 && lower == local) {
			return "Your password must not be your email address."
		}
	}
	return ""
}
