// Package auth holds the mechanics of authentication: password hashing and
// policy, single-use tokens, the PostgreSQL session store and the login
// rate counter. Who may sign in, and what happens then, is the account
// package's business.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/trellis-app/trellis/internal/database"
)

// Argon2id parameters of OWASP's and R1's recommendation: 19 MiB, two
// passes, one lane.
const (
	argonMemoryKiB = 19456
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
	// Verify refuses hashes dearer than this, so a planted hash cannot
	// make one sign-in take the server down.
	maxMemoryKiB = 256 * 1024
	maxPasses    = 10
)

// HashSlots is how many hashes may run at once. Each takes 19 MiB, so a
// login flood holds at most HashSlots × 19 MiB for hashing.
const HashSlots = 4

// HashMemoryCap is the most memory hashing can hold at once, in bytes.
const HashMemoryCap = HashSlots * argonMemoryKiB * 1024

// ErrMismatch means the password does not match the hash.
var ErrMismatch = errors.New("password does not match")

// ErrBusy means every hashing slot stayed taken for SlotWait: the server is
// flooded with sign-ins and answers "try again" instead of queueing.
var ErrBusy = fmt.Errorf("password hashing: %w", database.ErrBusy)

// SlotWait bounds how long a request waits for a hashing slot.
const SlotWait = 5 * time.Second

// Cost is an argon2id cost: memory in KiB and passes.
type Cost struct {
	MemoryKiB uint32
	Passes    uint32
}

// R1Cost is the cost NewHasher hashes at.
func R1Cost() Cost { return Cost{MemoryKiB: argonMemoryKiB, Passes: argonTime} }

// Hasher hashes and verifies passwords with argon2id behind a semaphore.
type Hasher struct {
	slots chan struct{}
	cost  Cost
	// dummy is verified against for accounts that do not exist; it has
	// the hasher's cost, so a wrong email costs what a wrong password does.
	dummy string
	// after starts the bounded wait for a slot (time.After; tests fire it).
	after func(time.Duration) <-chan time.Time
}

// NewHasher returns a Hasher at R1's cost allowing HashSlots hashes at once.
func NewHasher() *Hasher {
	return &Hasher{slots: make(chan struct{}, HashSlots), cost: R1Cost(), dummy: dummyHash, after: time.After}
}

// NewHasherAt returns a Hasher like NewHasher's that hashes at cost c. Only
// tests use a cost other than R1Cost: signing in hundreds of times at R1's
// cost would be most of their time, and a cheaper argon2id hash still
// takes every step of the real verification.
func NewHasherAt(c Cost) (*Hasher, error) {
	if c == R1Cost() {
		return NewHasher(), nil
	}
	if c.MemoryKiB < 8*argonThreads || c.Passes < 1 || c.MemoryKiB > maxMemoryKiB || c.Passes > maxPasses {
		return nil, fmt.Errorf("argon2id cost %+v is out of range", c)
	}
	h := &Hasher{slots: make(chan struct{}, HashSlots), cost: c, after: time.After}
	dummy, err := h.Hash(context.Background(), rand.Text())
	if err != nil {
		return nil, err
	}
	h.dummy = dummy
	return h, nil
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-h.after(SlotWait):
		return ErrBusy
	case <-ctx.Done():
		return fmt.Errorf("wait for a hashing slot: %w", ctx.Err())
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns an encoded argon2id hash of password, in the PHC string
// format, with a random salt.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, h.cost.Passes, h.cost.MemoryKiB, argonThreads, argonKeyLen)
	h.release()
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, h.cost.MemoryKiB, h.cost.Passes, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify checks password against an encoded hash in constant time. It
// returns ErrMismatch when they differ.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) error {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return errors.New("unknown password hash format")
	}
	var version int
	var mem uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return errors.New("unknown argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &p); err != nil {
		return fmt.Errorf("parse argon2 parameters: %w", err)
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return fmt.Errorf("decode salt: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return fmt.Errorf("decode hash: %w", err)
	}
	if mem > maxMemoryKiB || t > maxPasses || p > 8 {
		return errors.New("argon2 parameters out of range")
	}
	if err := h.acquire(ctx); err != nil {
		return err
	}
	got := argon2.IDKey([]byte(password), salt, t, mem, p, uint32(len(want)))
	h.release()
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrMismatch
	}
	return nil
}

// dummyHash is verified against when an account does not exist, so a
// wrong email takes as long as a wrong password (R4).
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$zjwCgVlnzUorWvwaR8+f/g$93bNLfRpxP2biZhOq4JmzK2SlUMsecNf/aEDZk9zX1I"

// Waste verifies a password against a fixed hash of the hasher's cost and
// discards the result; it fails only when no hashing slot could be had.
func (h *Hasher) Waste(ctx context.Context, password string) error {
	if err := h.Verify(ctx, h.dummy, password); !errors.Is(err, ErrMismatch) {
		return err
	}
	return nil
}
