package auth

import (
	"strings"
	"testing"
	"time"
)

// A code is right for its own step and one step either side, no further,
// and the step it matched is reported so the caller can refuse reuse.
func TestMatchTOTPAcceptsOneStepOfSkewAndSaysWhichStep(t *testing.T) {
	secret, uri, err := NewTOTP("Trellis", "pat@harbour.example")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(uri, "otpauth://totp/Trellis:pat@harbour.example?") || !strings.Contains(uri, "secret="+secret) {
		t.Errorf("uri = %q", uri)
	}
	// RFC 6238's own test secret ("12345678901234567890") and vector: at
	// 59 s the SHA-1 code is 94287082, of which apps show the last six.
	secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	if code, err := TOTPCode(secret, time.Unix(59, 0)); err != nil || code != "287082" {
		t.Fatalf("RFC 6238 vector: %q (%v), want 287082", code, err)
	}
	now := time.Date(2026, 12, 3, 10, 0, 15, 0, time.UTC)
	cur := TOTPStep(now)
	for _, d := range []int64{-2, -1, 0, 1, 2} {
		code, err := TOTPCode(secret, time.Unix((cur+d)*TOTPPeriod, 0))
		if err != nil {
			t.Fatal(err)
		}
		step, ok := MatchTOTP(secret, code[:3]+" "+code[3:], now)
		want := d >= -TOTPSkew && d <= TOTPSkew
		if ok != want || (ok && step != cur+d) {
			t.Errorf("code %d steps away: ok=%v step=%d, want ok=%v step=%d", d, ok, step, want, cur+d)
		}
	}
	if _, ok := MatchTOTP(secret, "12345", now); ok {
		t.Error("a five-digit code matched")
	}
	if _, ok := MatchTOTP("not base32!", "123456", now); ok {
		t.Error("a broken secret matched")
	}
}

func TestRecoveryCodesAreDistinctHighEntropyAndHashedAsTyped(t *testing.T) {
	codes, hashes := NewRecoveryCodes()
	if len(codes) != RecoveryCodes || len(hashes) != RecoveryCodes {
		t.Fatalf("%d codes, %d hashes", len(codes), len(hashes))
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if len(c) != 19 || strings.Count(c, "-") != 3 || !IsRecoveryCode(c) || seen[c] {
			t.Errorf("code %q", c)
		}
		seen[c] = true
		typed := strings.ToUpper(strings.ReplaceAll(c, "-", " "))
		if string(HashRecoveryCode(typed)) != string(hashes[i]) {
			t.Errorf("code %q typed as %q hashes differently", c, typed)
		}
	}
	if IsRecoveryCode("123456") {
		t.Error("an authenticator code taken for a recovery code")
	}
}
