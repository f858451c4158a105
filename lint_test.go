package vecdb_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestForbiddenImports keeps the storage engine out of the pure packages:
// quant, index and query must build and test without a disk.
func TestForbiddenImports(t *testing.T) {
	for _, pkg := range []string{"./quant", "./index", "./query"} {
		out, err := exec.Command("go", "list", "-deps", "-test", pkg).CombinedOutput()
		if err != nil {
			if strings.Contains(string(out), "no Go files") || strings.Contains(string(out), "matched no packages") {
				continue
			}
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "github.com/cockroachdb/pebble") || dep == "github.com/vecdb/vecdb/db" {
				t.Errorf("%s depends on %s", pkg, dep)
			}
		}
	}
}
