package vectest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// CheckGolden compares got with the golden file testdata/name at the module
// root. With update it rewrites the file instead. On a mismatch it writes
// name.got beside it for inspection and fails: a changed golden file is a
// format change and needs a version bump.
func CheckGolden(tb testing.TB, name string, got []byte, update bool) {
	tb.Helper()
	path := filepath.Join(ModuleRoot(tb), "testdata", name)
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run the test with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		_ = os.WriteFile(path+".got", got, 0o644) // for inspection; the failure is what matters
		tb.Errorf("%s changed (see %s.got): a format change needs a version bump", name, path)
	}
}
