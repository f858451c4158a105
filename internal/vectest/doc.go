// Package vectest holds helpers shared by vecdb's tests and benchmarks:
// locating the real data sets, generating synthetic vectors, brute-force
// ground truth and recall@k.
//
// # Caveats
//
// Everything here is for tests: functions call t.Fatal or t.Skip rather than
// return errors, and none of it is tuned for production use.
package vectest
