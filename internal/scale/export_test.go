package scale

import "maps"

// RiskSentences are the texts meant to be flagged.
func RiskSentences() []string { return riskSentences }

// SafeTexts are every other text a client's answers are made of.
func SafeTexts() []string {
	out := append(append([]string{}, longSentences...), shortTexts...)
	for pool := range maps.Values(byKey) {
		out = append(out, pool...)
	}
	return out
}
