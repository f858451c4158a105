//go:build race

package word2vec

func init() { raceEnabled = true }
