package auth

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP (RFC 6238) as authenticator apps speak it: SHA-1, six digits, a
// 30-second step.
const (
	TOTPPeriod = 30
	// TOTPSkew is how many steps before or after the current one a code
	// may be for: one, for a phone whose clock is a little off.
	TOTPSkew = 1
)

var totpOpts = totp.ValidateOpts{Period: TOTPPeriod, Skew: TOTPSkew, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// NewTOTP makes a new random secret for account, with the otpauth:// URI an
// authenticator app reads from the QR code.
func NewTOTP(issuer, account string) (secret, uri string, err error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: TOTPPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", "", fmt.Errorf("new totp secret: %w", err)
	}
	return key.Secret(), key.URL(), nil
}

// TOTPQR draws the QR code of an otpauth:// URI as a PNG, on the server,
// so the page needs no script.
func TOTPQR(uri string, size int) ([]byte, error) {
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return nil, fmt.Errorf("totp qr: %w", err)
	}
	img, err := key.Image(size, size)
	if err != nil {
		return nil, fmt.Errorf("totp qr: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("totp qr: %w", err)
	}
	return buf.Bytes(), nil
}

// TOTPStep is the RFC 6238 time step of t.
func TOTPStep(t time.Time) int64 { return t.Unix() / TOTPPeriod }

// MatchTOTP reports which time step, within TOTPSkew of now, code is the
// right code for. The caller must still refuse a step already used.
func MatchTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	code = NormalizeCode(code)
	if len(code) != int(otp.DigitsSix) {
		return 0, false
	}
	cur := TOTPStep(now)
	for s := cur - TOTPSkew; s <= cur+TOTPSkew; s++ {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*TOTPPeriod, 0), totpOpts)
		if err != nil {
			return 0, false // a stored secret that is not base32: no code is right
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// TOTPCode is the code for secret at t, for tests and nothing else.
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totpOpts)
}

// RecoveryCodes is how many single-use recovery codes a person gets.
const RecoveryCodes = 10

// recoveryEncoding writes codes in lower-case base32 without padding: no 0/O
// or 1/l to confuse when typed from paper.
var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewRecoveryCodes returns RecoveryCodes fresh codes, as shown to the
// person ("abcd-efgh-ijkl-mnop"), and their stored hashes.
//
// Each code is 80 random bits, so a plain SHA-256 is enough to store it:
// a slow hash such as argon2 protects low-entropy secrets people choose,
// and no amount of hashing speed makes 2^80 guesses feasible.
func NewRecoveryCodes() (codes []string, hashes [][]byte) {
	for range RecoveryCodes {
		b := make([]byte, 10)
		_, _ = rand.Read(b) // crypto/rand.Read never fails on supported systems
		raw := strings.ToLower(recoveryEncoding.EncodeToString(b))
		codes = append(codes, raw[0:4]+"-"+raw[4:8]+"-"+raw[8:12]+"-"+raw[12:16])
		hashes = append(hashes, HashRecoveryCode(raw))
	}
	return codes, hashes
}

// IsRecoveryCode reports whether code, as typed, has the shape of a
// recovery code (not of a six-digit authenticator code).
func IsRecoveryCode(code string) bool {
	return len(NormalizeCode(code)) == 16
}

// HashRecoveryCode is the stored form of a recovery code as typed.
func HashRecoveryCode(code string) []byte {
	sum := sha256.Sum256([]byte(NormalizeCode(code)))
	return sum[:]
}

// NormalizeCode drops what people type around a code: spaces, dashes and
// capitals.
func NormalizeCode(code string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(code) {
		if r == ' ' || r == '-' || r == '\t' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
