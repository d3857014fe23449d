// Package scale builds a large synthetic practice (by default 100
// therapists, 5,000 clients and a million submissions over two years) so
// Trellis can be measured at the size of a busy practice. It is a measuring
// fixture, never run in production.
package scale

import "fmt"

// Password is the password of every account seed-scale creates.
const Password = "scale test password 1234"

// PracticeName names the practice seed-scale creates.
const PracticeName = "Scale test practice"

// TherapistEmail is the sign-in of the i-th therapist (0-based).
func TherapistEmail(i int) string { return fmt.Sprintf("therapist%03d@scale.trellis.test", i) }

// ClientEmail is the sign-in of the i-th client (0-based, across the practice).
func ClientEmail(i int) string { return fmt.Sprintf("client%04d@scale.trellis.test", i) }

// AdminEmail is the sign-in of the practice's admin.
const AdminEmail = "admin@scale.trellis.test"

// TherapistOf is the therapist (0-based) whose caseload holds the i-th
// client, when the practice has the given number of therapists: caseloads
// are dealt round-robin, so they differ in size by at most one.
func TherapistOf(client, therapists int) int { return client % therapists }
