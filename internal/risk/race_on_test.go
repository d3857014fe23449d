//go:build race

package risk

// raceEnabled: the race detector slows regexp matching about tenfold, so
// the slowest equivalence checks use fewer variants under -race.
const raceEnabled = true
