//go:build race

package main

// raceEnabled: the test binary runs with -race, so the trellis binary the
// fault tests start is built with it too, reusing the packages already
// compiled for the test and catching races in the server process.
const raceEnabled = true
