package auth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn/frequency"
)

func TestHashVerifyRoundTrip(t *testing.T) {
	h := NewHasher()
	ctx := context.Background()
	enc, err := h.Hash(ctx, "a long and memorable passphrase")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q does not use argon2id with R1's parameters", enc)
	}
	if err := h.Verify(ctx, enc, "a long and memorable passphrase"); err != nil {
		t.Errorf("Verify(right) = %v", err)
	}
	if err := h.Verify(ctx, enc, "a long and memorable passphrasE"); !errors.Is(err, ErrMismatch) {
		t.Errorf("Verify(wrong) = %v, want ErrMismatch", err)
	}
	enc2, _ := h.Hash(ctx, "a long and memorable passphrase")
	if enc2 == enc {
		t.Error("two hashes of one password are equal: salt is not random")
	}
	if err := h.Verify(ctx, "$bcrypt$nonsense", "x"); err == nil || errors.Is(err, ErrMismatch) {
		t.Errorf("Verify(unknown format) = %v, want a format error", err)
	}
}

func TestDummyHashIsValid(t *testing.T) {
	// Waste must do real argon2 work, or a wrong email answers faster than a
	// wrong password (R4).
	err := NewHasher().Verify(context.Background(), dummyHash, "anything")
	if !errors.Is(err, ErrMismatch) {
		t.Fatalf("dummy hash does not parse as a real hash: %v", err)
	}
}

func TestHashingIsCappedBySemaphore(t *testing.T) {
	h := NewHasher()
	enc, err := h.Hash(context.Background(), "a long and memorable passphrase")
	if err != nil {
		t.Fatal(err)
	}
	// Count hashes in progress from inside the critical section: wrap the
	// verification so each goroutine marks itself while it holds a slot.
	var inside, peak atomic.Int32
	var wg sync.WaitGroup
	for range 3 * HashSlots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := h.acquire(context.Background()); err != nil {
				t.Error(err)
				return
			}
			n := inside.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			_ = argonCheck(enc) // real work while holding the slot
			inside.Add(-1)
			h.release()
		}()
	}
	wg.Wait()
	if p := peak.Load(); p != HashSlots {
		t.Fatalf("peak concurrent hashes = %d with %d waiting, want exactly %d", p, 3*HashSlots, HashSlots)
	}
	if HashMemoryCap != HashSlots*19456*1024 {
		t.Fatalf("HashMemoryCap = %d", HashMemoryCap)
	}
}

// argonCheck does one argon2id derivation at R1's cost.
func argonCheck(enc string) error {
	return NewHasher().Verify(context.Background(), enc, "x") // its own slots
}

func TestHashGivesUpWhenTheRequestEnds(t *testing.T) {
	h := NewHasher()
	for range HashSlots {
		h.slots <- struct{}{} // every slot busy
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, "a long and memorable passphrase"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Hash with no free slot = %v, want the context's deadline", err)
	}
}

// Without a deadline the wait for a slot is still bounded, by SlotWait,
// and reported as busy (a 503), not a hang; a slot freed within the wait
// is taken. The test fires the wait's timer itself rather than sleeping
// out the real five seconds.
func TestSlotWaitIsBoundedAndASlotFreedInTimeIsTaken(t *testing.T) {
	h := NewHasher()
	waits := make(chan time.Duration, 1)
	fire := make(chan time.Time)
	h.after = func(d time.Duration) <-chan time.Time { waits <- d; return fire }
	for range HashSlots {
		h.slots <- struct{}{} // every slot busy
	}

	done := make(chan error)
	go func() { done <- h.Waste(context.Background(), "x") }()
	if d := <-waits; d != SlotWait {
		t.Fatalf("Waste waits %v for a slot, want SlotWait (%v)", d, SlotWait)
	}
	fire <- time.Now() // the wait is over and every slot is still busy
	if err := <-done; !errors.Is(err, ErrBusy) {
		t.Fatalf("Waste with no free slot within SlotWait = %v, want ErrBusy", err)
	}

	go func() { done <- h.Waste(context.Background(), "x") }()
	<-waits     // waiting now, the timer not fired
	h.release() // a slot comes free within the wait
	if err := <-done; err != nil {
		t.Fatalf("Waste after a slot came free = %v, want it to take the slot and verify", err)
	}
}

// A hasher at another cost (the tests' cheap one) still makes and checks
// real argon2id hashes, and its Waste verifies against a hash of its own
// cost, so a wrong email costs what a wrong password does (R4). Hashes
// carry their cost: each hasher verifies the other's.
func TestHasherAtACheaperCostIsStillArgon2id(t *testing.T) {
	ctx := context.Background()
	cheap, err := NewHasherAt(Cost{MemoryKiB: 8, Passes: 1})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := cheap.Hash(ctx, "a long and memorable passphrase")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=8,t=1,p=1$") {
		t.Errorf("cheap hash %q is not argon2id at m=8,t=1,p=1", enc)
	}
	if err := cheap.Verify(ctx, enc, "a long and memorable passphrasE"); !errors.Is(err, ErrMismatch) {
		t.Errorf("cheap Verify(wrong) = %v, want ErrMismatch", err)
	}
	full := NewHasher()
	if err := full.Verify(ctx, enc, "a long and memorable passphrase"); err != nil {
		t.Errorf("R1 hasher Verify(cheap hash, right) = %v", err)
	}
	encFull, err := full.Hash(ctx, "a long and memorable passphrase")
	if err != nil {
		t.Fatal(err)
	}
	if err := cheap.Verify(ctx, encFull, "a long and memorable passphrase"); err != nil {
		t.Errorf("cheap hasher Verify(R1 hash, right) = %v", err)
	}
	if !strings.HasPrefix(cheap.dummy, "$argon2id$v=19$m=8,t=1,p=1$") || cheap.dummy == dummyHash {
		t.Errorf("cheap hasher's dummy hash %q is not of its own cost", cheap.dummy)
	}
	if r1, err := NewHasherAt(R1Cost()); err != nil || r1.dummy != dummyHash {
		t.Errorf("NewHasherAt(R1Cost()) = %v, want NewHasher's", err)
	}
	if full.dummy != dummyHash {
		t.Errorf("R1 hasher's dummy hash is %q, want dummyHash", full.dummy)
	}
	if err := cheap.Waste(ctx, "a long and memorable passphrase"); err != nil {
		t.Errorf("cheap Waste = %v", err)
	}
	for _, c := range []Cost{{MemoryKiB: 7, Passes: 1}, {MemoryKiB: 8, Passes: 0}, {MemoryKiB: maxMemoryKiB + 1, Passes: 1}, {MemoryKiB: 8, Passes: maxPasses + 1}} {
		if _, err := NewHasherAt(c); err == nil {
			t.Errorf("NewHasherAt(%+v) = nil error, want the cost refused: Verify would refuse or argon2 panic", c)
		}
	}
}

func TestPasswordPolicy(t *testing.T) {
	c := NewPasswordChecker()
	tests := []struct {
		name, password, email string
		ok                    bool
	}{
		{"12 characters is enough", "kv7 mqt dfzw", "", true},
		{"11 is too short", "kv7 mqt dfz", "", false},
		{"length counts characters, not bytes", "ελληνικάλέξη", "", true},
		{"128 is allowed", strings.Repeat("kv7 mqt dfzw ", 10)[:128], "", true},
		{"129 is too long", strings.Repeat("kv7 mqt dfzw ", 10)[:129], "", false},
		{"no composition rules", "all lower case words", "", true},
		{"a genuinely strong passphrase", "lantern orchard quietly hums", "", true},
		{"a common password", "qwerty123456", "", false},
		{"a common password in capitals", "LeaveMeAlone", "", false},
		{"a common password with spaces around", "  qwerty123456  ", "", false},
		{"a common word with digits added", "password1234", "", false},
		{"a common phrase with digits added", "iloveyou1234", "", false},
		{"a keyboard row with digits added", "qwertyuiop12", "", false},
		{"a name and a year", "jennifer1990", "", false},
		{"a repeated pattern", strings.Repeat("ab", 64), "", false},
		{"a common password with accents added", "pässwörd1234", "", false},
		{"a passphrase in Greek", "ελληνική λέξη", "", true},
		{"a passphrase in Vietnamese", "Hương đi chợ sáng", "", true},
		{"the user's own email", "jo.smith@example.org", "Jo.Smith@example.org", false},
		{"the email's local part", "jo.smith.home", "jo.smith.home@example.org", false},
		{"the email's local part with digits", "josmithson2024", "josmithson@example.org", false},
		{"the service's name with digits", "trellis12345", "", false},
		{"invalid UTF-8", "abcdefghijk\xff", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := c.Problem(tt.password, tt.email)
			if (msg == "") != tt.ok {
				t.Errorf("Problem(%q) = %q, want ok=%v", tt.password, msg, tt.ok)
			}
		})
	}
}

// Every password of zxcvbn's list of the 30,000 most common (a superset of
// R2's 10,000) that is long enough to be allowed at all is refused.
func TestEveryLongCommonPasswordIsRefused(t *testing.T) {
	c := NewPasswordChecker()
	var long int
	for _, p := range frequency.FrequencyLists["passwords"] {
		if utf8.RuneCountInString(p) < MinPasswordLen {
			continue
		}
		long++
		if msg := c.Problem(p, ""); msg == "" {
			t.Errorf("common password %q is allowed", p)
		}
	}
	if long < 200 {
		t.Fatalf("only %d common passwords of %d characters or more: the list did not load", long, MinPasswordLen)
	}
}

// BenchmarkPasswordCheck measures the policy check that runs on every
// password set (invite, reset, change), for a typical passphrase and for
// the slowest input found: 128 characters of l33t symbols, which zxcvbn
// alone takes close to a second on.
func BenchmarkPasswordCheck(b *testing.B) {
	c := NewPasswordChecker()
	for _, bc := range []struct{ name, password string }{
		{"passphrase", "lantern orchard quietly hums"},
		{"common", "password1234"},
		{"leet-128", strings.Repeat("4@8({[<3!1|7+0$5%2", 8)[:128]},
		{"random-128", strings.Repeat("x7#Qm2!vL9@pR4$w", 8)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.Problem(bc.password, "jo.smith@example.org")
			}
		})
	}
}

func TestTokensAreRandomAndStoredHashed(t *testing.T) {
	a, ha := NewToken()
	b, hb := NewToken()
	if a == b || string(ha) == string(hb) {
		t.Fatal("two tokens are equal")
	}
	if len(a) < 40 {
		t.Errorf("token %q too short for 256 bits", a)
	}
	if string(HashToken(a)) != string(ha) || strings.Contains(string(ha), a) {
		t.Error("hash does not match or contains the token")
	}
}

// BenchmarkLogin measures one password verification at R1's argon2id cost:
// the ceiling on sign-ins per second per instance. Run with -cpu 1,2 to see
// how it scales over this machine's cores.
func BenchmarkLogin(b *testing.B) {
	h := NewHasher()
	enc, err := h.Hash(context.Background(), "a long and memorable passphrase")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := h.Verify(context.Background(), enc, "a long and memorable passphrase"); err != nil {
				b.Error(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
	b.ReportMetric(float64(HashMemoryCap)/(1<<20), "MiB-cap")
}
