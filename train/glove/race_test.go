//go:build race

package glove

// Under the race detector, tests that train with several threads are
// skipped: Hogwild updates race by design (see the package Caveats).
func init() { raceEnabled = true }
