//go:build !unix

package word2vec

// cpuSeconds is unavailable here; the benchmarks then skip words/cpu-s.
func cpuSeconds() float64 { return 0 }
