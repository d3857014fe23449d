package risk

import (
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Triggers: the letter strings any match of a pattern must contain, read
// from the pattern when it is compiled (prefilter.go finds them in a text),
// so the scanner runs a pattern only on text that has one of them.

// required returns what every match of re contains, as sets of letter
// strings in foldText form: a match contains a string from each set. Nil
// means nothing can be relied on. It reads the pattern before loosen: the
// letters of a literal stay in order in any match, each possibly repeated,
// which foldText undoes. At most maxSets sets are kept, the most selective.
func required(re *syntax.Regexp) [][]string {
	exact, all := prefilter(re)
	if u := usable(exact); u != nil {
		all = append(all, u)
	}
	slices.SortStableFunc(all, func(a, b []string) int {
		switch {
		case betterTriggers(a, b):
			return -1
		case betterTriggers(b, a):
			return 1
		}
		return 0
	})
	return all[:min(len(all), maxSets)]
}

const (
	maxExact = 64 // bound on the sets of exact strings prefilter multiplies out
	maxSets  = 4  // sets kept per pattern
)

// prefilter describes what a match of re must contain. exact, when not
// nil, lists every string of letters a match of re can be, once folded (""
// for an empty match). all lists sets of strings: a match contains one
// string of each set. Non-letters (spaces, apostrophes, hyphens) end an
// exact string, because loosen makes them optional or variable.
func prefilter(re *syntax.Regexp) (exact []string, all [][]string) {
	switch re.Op {
	case syntax.OpEmptyMatch:
		return []string{""}, nil
	case syntax.OpLiteral:
		isLetter := func(r rune) bool { return unicode.IsLetter(r) }
		if strings.IndexFunc(string(re.Rune), func(r rune) bool { return !isLetter(r) }) < 0 {
			return []string{string(foldText(nil, string(re.Rune)))}, nil
		}
		for _, run := range strings.FieldsFunc(string(re.Rune), func(r rune) bool { return !isLetter(r) }) {
			all = append(all, []string{string(foldText(nil, run))})
		}
		return nil, all
	case syntax.OpCharClass:
		var set []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if !unicode.IsLetter(r) || len(set) > maxExact {
					return nil, nil
				}
				set = append(set, string(foldRune(r)))
			}
		}
		slices.Sort(set)
		return slices.Compact(set), nil
	case syntax.OpCapture:
		return prefilter(re.Sub[0])
	case syntax.OpQuest:
		if ex, _ := prefilter(re.Sub[0]); ex != nil {
			return union(ex, []string{""}), nil
		}
		return nil, nil
	case syntax.OpPlus:
		return nil, asSets(prefilter(re.Sub[0]))
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return nil, asSets(prefilter(re.Sub[0]))
		}
		return nil, nil
	case syntax.OpAlternate:
		// A match is a match of one branch: the union of one set from each
		// branch is needed (the branch's best), or exact strings if all are.
		var exact, set []string
		exactOK, setOK := true, true
		for _, sub := range re.Sub {
			ex, a := prefilter(sub)
			if exactOK && ex != nil && len(exact)+len(ex) <= maxExact {
				exact = union(exact, ex)
			} else {
				exactOK = false
			}
			var b []string
			for _, s := range asSets(ex, a) {
				if betterTriggers(s, b) {
					b = s
				}
			}
			if b == nil {
				setOK = false // this branch promises nothing
			}
			set = union(set, b)
		}
		switch {
		case exactOK:
			return exact, nil
		case setOK:
			return nil, [][]string{set}
		}
		return nil, nil
	case syntax.OpConcat:
		// Multiply out runs of exact children; a run ends at a child that is
		// not exact (or would make the run too big). Every run and every
		// child's sets are needed. Only if no run ended is the whole exact.
		cur := []string{""}
		isExact := true
		for _, sub := range re.Sub {
			ex, a := prefilter(sub)
			if ex != nil && len(cur)*len(ex) <= maxExact {
				cur = product(cur, ex)
				continue
			}
			isExact = false
			if u := usable(cur); u != nil {
				all = append(all, u)
			}
			all = append(all, a...)
			cur = []string{""}
			if ex != nil {
				cur = ex
			}
		}
		if isExact {
			return cur, nil
		}
		if u := usable(cur); u != nil {
			all = append(all, u)
		}
		return nil, all
	}
	return nil, nil
}

// asSets turns a node's description into sets only.
func asSets(exact []string, all [][]string) [][]string {
	if u := usable(exact); u != nil {
		return append(all, u)
	}
	return all
}

// usable returns set unless it is empty or holds "", which every text contains.
func usable(set []string) []string {
	if len(set) == 0 || slices.Contains(set, "") {
		return nil
	}
	return set
}

func union(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// product joins every string of a to every string of b, folding again so a
// doubled letter at the join is written once, as foldText writes it.
func product(a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			out = append(out, string(foldText(nil, x+y)))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// betterTriggers prefers the set whose shortest string is longer (rarer in
// text), then the smaller set.
func betterTriggers(a, b []string) bool {
	if a == nil {
		return false
	}
	if b == nil {
		return true
	}
	minLen := func(ss []string) int {
		n := len(ss[0])
		for _, s := range ss {
			n = min(n, len(s))
		}
		return n
	}
	if ma, mb := minLen(a), minLen(b); ma != mb {
		return ma > mb
	}
	return len(a) < len(b)
}

// canMatch reports whether some match of re can contain the rune r.
func canMatch(re *syntax.Regexp, r rune) bool {
	switch re.Op {
	case syntax.OpLiteral:
		for _, l := range re.Rune {
			// Only letters have case: the delimiters asked about are not.
			if l == r || (re.Flags&syntax.FoldCase != 0 && unicode.IsLetter(r) && foldRune(l) == foldRune(r)) {
				return true
			}
		}
		return false
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i] <= r && r <= re.Rune[i+1] {
				return true
			}
		}
		return false
	case syntax.OpAnyChar:
		return true
	case syntax.OpAnyCharNotNL:
		return r != '\n'
	}
	for _, sub := range re.Sub {
		if canMatch(sub, r) {
			return true
		}
	}
	return false
}

// foldRune maps every rune to one representative of the runes it equals
// under (?i) (the smallest), so folded texts compare the way the patterns
// match: k, K and the Kelvin sign all become K.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}

// foldText appends s to buf with every rune folded and each run of one
// letter written once ("Kiiill" becomes "KIL"), the form triggers are kept
// in. Any match of a pattern, folded, contains one of its triggers.
func foldText(buf []byte, s string) []byte {
	prev := rune(-1)
	for _, r := range s {
		c := foldRune(r)
		if !unicode.IsLetter(c) {
			prev = -1
		} else if c == prev {
			continue
		} else {
			prev = c
		}
		buf = utf8.AppendRune(buf, c)
	}
	return buf
}
