package vectest

import (
	"path/filepath"
	"testing"

	"github.com/vecdb/vecdb/internal/vecio"
)

// SiftSmall is the sift-small set read from the shared data folder: its
// folder, base and query vectors, and ground-truth rows (row numbers of
// base). The test is skipped when the set is missing.
type SiftSmall struct {
	Dir           string
	Base, Queries [][]float32
	Truth         [][]int32
}

// BasePath is the path of the base vectors file.
func (s *SiftSmall) BasePath() string { return filepath.Join(s.Dir, "siftsmall_base.fvecs") }

// QueriesPath is the path of the query vectors file.
func (s *SiftSmall) QueriesPath() string { return filepath.Join(s.Dir, "siftsmall_query.fvecs") }

// LoadSiftSmall reads sift-small, or skips the test when it is missing.
func LoadSiftSmall(tb testing.TB) *SiftSmall {
	tb.Helper()
	s := &SiftSmall{Dir: DataDir(tb, "sift-small")}
	var err error
	if s.Base, err = vecio.ReadFvecsAll(s.BasePath()); err != nil {
		tb.Fatal(err)
	}
	if s.Queries, err = vecio.ReadFvecsAll(s.QueriesPath()); err != nil {
		tb.Fatal(err)
	}
	if s.Truth, err = vecio.ReadIvecs(filepath.Join(s.Dir, "siftsmall_groundtruth.ivecs")); err != nil {
		tb.Fatal(err)
	}
	return s
}
