package vectest

import (
	"os"
	"path/filepath"
	"testing"
)

// ModuleRoot returns the directory holding the module's go.mod, found by
// walking up from the working directory (a package folder under go test).
func ModuleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatalf("vectest: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatalf("vectest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// DataDir returns the folder of a real data set (e.g. "sift-small") under
// $VECDB_DATA, or else shared/data beside the module checkout. When the
// folder is missing the test is skipped with a message saying where it
// looked, so a checkout without the data still passes, visibly.
func DataDir(tb testing.TB, name string) string {
	tb.Helper()
	root := os.Getenv("VECDB_DATA")
	if root == "" {
		root = filepath.Join(ModuleRoot(tb), "..", "shared", "data")
	}
	dir := filepath.Join(root, name)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		tb.Skipf("data set %q not found at %s (set VECDB_DATA to the folder holding the shared data sets)", name, dir)
	}
	return dir
}

// Long reports whether long-running opt-in tests should run (VECDB_LONG=1).
func Long() bool { return os.Getenv("VECDB_LONG") == "1" }
