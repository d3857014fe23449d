package risk

// Running every pattern's regular expression over every piece of text is
// slow (Go's regexp follows each alternative of a long list at every word).
// So each pattern carries trigger sets, letter strings its matches must
// contain (see required), and a piece is only searched with the patterns
// whose every set has a string in it. The trigger strings of all patterns
// are found together in one pass with an Aho–Corasick automaton.

// triggerIndex answers: which patterns may match this folded piece?
type triggerIndex struct {
	ac       automaton
	postings [][]posting // by trigger string id: the sets it belongs to
	full     []uint8     // by pattern id: the bit mask of all its sets
	always   []int32     // patterns with no sets: always searched
}

// posting says: the trigger string is in set bit of pattern pat.
type posting struct {
	pat int32
	bit uint8
}

// newTriggerIndex indexes the trigger sets of each pattern, by pattern id.
// A pattern has at most 8 sets (maxSets is smaller).
func newTriggerIndex(patterns [][][]string) *triggerIndex {
	ix := &triggerIndex{full: make([]uint8, len(patterns))}
	ids := map[string]int32{}
	var words []string
	for p, sets := range patterns {
		if len(sets) == 0 {
			ix.always = append(ix.always, int32(p))
			continue
		}
		ix.full[p] = uint8(1<<len(sets) - 1)
		for bit, set := range sets {
			for _, t := range set {
				id, ok := ids[t]
				if !ok {
					id = int32(len(words))
					ids[t] = id
					words = append(words, t)
					ix.postings = append(ix.postings, nil)
				}
				ix.postings[id] = append(ix.postings[id], posting{pat: int32(p), bit: uint8(1 << bit)})
			}
		}
	}
	ix.ac = newAutomaton(words)
	return ix
}

// scratch is the per-Scan state of a triggerIndex, so that Scan needs no
// locks and clears nothing between pieces: an entry is current only when
// its stamp equals gen.
type scratch struct {
	gen       uint32
	wordStamp []uint32 // by trigger id: seen in this piece
	patStamp  []uint32 // by pattern id: mask is for this piece
	mask      []uint8  // by pattern id: sets seen in this piece
	out       []int32
}

func (ix *triggerIndex) newScratch() *scratch {
	return &scratch{
		wordStamp: make([]uint32, len(ix.postings)),
		patStamp:  make([]uint32, len(ix.full)),
		mask:      make([]uint8, len(ix.full)),
	}
}

// candidates returns the ids of the patterns that may match folded. The
// slice is reused by the next call.
func (ix *triggerIndex) candidates(folded []byte, sc *scratch) []int32 {
	sc.gen++
	sc.out = append(sc.out[:0], ix.always...)
	ix.ac.each(folded, func(id int32) {
		if sc.wordStamp[id] == sc.gen {
			return
		}
		sc.wordStamp[id] = sc.gen
		for _, p := range ix.postings[id] {
			if sc.patStamp[p.pat] != sc.gen {
				sc.patStamp[p.pat] = sc.gen
				sc.mask[p.pat] = 0
			}
			before := sc.mask[p.pat]
			sc.mask[p.pat] |= p.bit
			if before != ix.full[p.pat] && sc.mask[p.pat] == ix.full[p.pat] {
				sc.out = append(sc.out, p.pat)
			}
		}
	})
	return sc.out
}

// automaton is an Aho–Corasick matcher over bytes with a full transition
// table. Bytes are mapped to classes first (only the bytes that occur in
// some word get their own), which keeps the table small.
type automaton struct {
	class [256]uint8
	width int32     // number of classes, class 0 being "in no word"
	delta []int32   // state*width + class → next state; state 0 is the root
	out   [][]int32 // by state: ids of the words that end here
}

func newAutomaton(words []string) automaton {
	var a automaton
	a.width = 1
	for _, w := range words {
		for _, b := range []byte(w) {
			if a.class[b] == 0 {
				a.class[b] = uint8(a.width)
				a.width++
			}
		}
	}
	newState := func() int32 {
		for range a.width {
			a.delta = append(a.delta, -1)
		}
		a.out = append(a.out, nil)
		return int32(len(a.out) - 1)
	}
	newState() // the root
	for id, w := range words {
		s := int32(0)
		for _, b := range []byte(w) {
			i := s*a.width + int32(a.class[b])
			if a.delta[i] < 0 {
				t := newState() // may grow a.delta; index again below
				a.delta[i] = t
			}
			s = a.delta[i]
		}
		a.out[s] = append(a.out[s], int32(id))
	}
	// Breadth first, fill in the missing transitions from the failure
	// state's, and inherit the failure state's words.
	fail := make([]int32, len(a.out))
	var queue []int32
	for c := range a.width {
		if t := a.delta[c]; t < 0 {
			a.delta[c] = 0
		} else {
			queue = append(queue, t)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for c := range a.width {
			i := s*a.width + c
			t := a.delta[i]
			if t < 0 {
				a.delta[i] = a.delta[fail[s]*a.width+c]
				continue
			}
			fail[t] = a.delta[fail[s]*a.width+c]
			a.out[t] = append(a.out[t], a.out[fail[t]]...)
			queue = append(queue, t)
		}
	}
	return a
}

// each calls fn with the id of every word found in text, once per
// occurrence.
func (a *automaton) each(text []byte, fn func(id int32)) {
	s := int32(0)
	for _, b := range text {
		s = a.delta[s*a.width+int32(a.class[b])]
		for _, id := range a.out[s] {
			fn(id)
		}
	}
}
