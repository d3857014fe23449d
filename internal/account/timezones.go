package account

import (
	_ "embed"
	"strings"
)

//go:embed timezones.txt
var timeZoneList string

// TimeZoneGroup is the zones of one region (Europe, America …), for a
// choice list.
type TimeZoneGroup struct {
	Region string
	Zones  []TimeZone
}

// TimeZone is one IANA zone: its name, and how a person reads it
// ("Argentina / Buenos Aires" for America/Argentina/Buenos_Aires).
type TimeZone struct {
	Name  string
	Label string
}

// regionWords name the tz database's regions as people say them.
var regionWords = map[string]string{"America": "Americas", "Atlantic": "Atlantic Ocean", "Indian": "Indian Ocean", "Pacific": "Pacific Ocean"}

// TimeZones lists the zones a practice can choose, grouped by region,
// UTC first. UpdatePractice accepts any zone Go can load; these are the
// ones offered.
func TimeZones() []TimeZoneGroup {
	var groups []TimeZoneGroup
	for line := range strings.Lines(timeZoneList) {
		name := strings.TrimSpace(line)
		if name == "" || strings.HasPrefix(name, "#") {
			continue
		}
		region, place, ok := strings.Cut(name, "/")
		if !ok {
			region, place = "Universal", name
		}
		if words, ok := regionWords[region]; ok {
			region = words
		}
		if len(groups) == 0 || groups[len(groups)-1].Region != region {
			groups = append(groups, TimeZoneGroup{Region: region})
		}
		label := strings.ReplaceAll(strings.ReplaceAll(place, "_", " "), "/", " / ")
		g := &groups[len(groups)-1]
		g.Zones = append(g.Zones, TimeZone{Name: name, Label: label})
	}
	return groups
}
