package reports

import (
	"fmt"
	"time"
)

// ProgressFileName and SessionFileName are the download names of the
// reports: the client's id and the date only, never a name (R20), since
// file names end up in browser histories, download folders and logs. The
// date is generated's own, so pass it in the practice's time zone.
func ProgressFileName(clientID int64, generated time.Time) string {
	return fmt.Sprintf("trellis-progress-%d-%s.pdf", clientID, generated.Format("2006-01-02"))
}

// SessionFileName: see ProgressFileName.
func SessionFileName(clientID int64, generated time.Time) string {
	return fmt.Sprintf("trellis-session-%d-%s.pdf", clientID, generated.Format("2006-01-02"))
}
