package vecdb_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/vecdb/vecdb"

// layers are the floors of DESIGN.md's package table, lowest first:
// quant <- index <- query <- db <- train <- infer/wire/server/client <-
// cmd/vecdb. A package may depend (directly or not, tests included) only
// on packages of its own floor or below. internal/ packages are shared by
// the floors from query up, so they stand just below it: they may reach
// quant and index, no higher (test fixtures that need db or the trainers
// live beside them, e.g. train/traintest).
var layers = [][]string{
	{"quant"},
	{"index"},
	{"query"},
	{"db"},
	{"train"},
	{"infer", "server", "client", "wire"},
	{"cmd"},
}

// layerOf returns the floor of a package path inside the module (-1 for
// internal/ and the root).
func layerOf(rel string) int {
	top, _, _ := strings.Cut(rel, "/")
	for i, names := range layers {
		for _, n := range names {
			if top == n {
				return i
			}
		}
	}
	return -1
}

// TestPackageLayers enforces the whole table: no package reaches a package
// on a higher floor, quant, index and query build and test without the
// storage engine, and db is the only package that imports it.
func TestPackageLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}", module+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	checked := 0
	for _, pkg := range strings.Fields(string(out)) {
		rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
		floor := layerOf(rel)
		if strings.HasPrefix(rel, "internal/") {
			floor = layerOf("index") // what every floor may share
		}
		if floor < 0 {
			continue
		}
		checked++
		deps, err := exec.Command("go", "list", "-deps", "-test", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, deps)
		}
		for _, dep := range strings.Fields(string(deps)) {
			if strings.HasPrefix(dep, "github.com/cockroachdb/pebble") && floor < layerOf("db") {
				t.Errorf("%s depends on %s: only db and what stands on it may reach the storage engine", rel, dep)
			}
			dep, _, _ = strings.Cut(dep, " ") // "pkg [pkg.test]"
			if !strings.HasPrefix(dep, module+"/") {
				continue
			}
			drel := strings.TrimPrefix(dep, module+"/")
			if strings.HasSuffix(drel, ".test") || strings.HasSuffix(drel, "_test") {
				continue
			}
			if df := layerOf(drel); df > floor {
				t.Errorf("%s (floor %d) depends on %s (floor %d)", rel, floor, drel, df)
			}
		}
		direct, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -f %s: %v\n%s", pkg, err, direct)
		}
		if rel != "db" && strings.Contains(string(direct), "github.com/cockroachdb/pebble") {
			t.Errorf("%s imports the storage engine; only db may", rel)
		}
	}
	if checked < 5 {
		t.Fatalf("checked %d packages; the module layout changed", checked)
	}
}

// TestStyleBans enforces STYLE.md's bans on the module's Go files:
// errors come from cockroachdb/errors (no fmt.Errorf, no pkg/errors) and
// sentinels are attached with internal/sentinel (not errors.Mark);
// atomics are typed (no sync/atomic functions on plain integers); no
// package is called util, common or helpers; and outside cmd/vecdb no
// non-test code of a library exits the process (log.Fatal, os.Exit).
// Programs (package main), test binaries' child processes and examples
// may exit.
func TestStyleBans(t *testing.T) {
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(".", func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			if name := e.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			switch e.Name() {
			case "util", "common", "helpers":
				t.Errorf("%s: package names say what they hold, never util, common or helpers", path)
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files++
		isTest := strings.HasSuffix(path, "_test.go")
		inCmd := strings.HasPrefix(filepath.ToSlash(path), "cmd/")
		for _, imp := range f.Imports {
			if imp.Path.Value == `"github.com/pkg/errors"` {
				t.Errorf("%s: imports github.com/pkg/errors; use github.com/cockroachdb/errors", path)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			x, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			at := fset.Position(sel.Pos())
			name := sel.Sel.Name
			switch {
			case x.Name == "errors" && name == "Mark" && !isTest:
				t.Errorf("%s: errors.Mark alone is invisible to the standard errors.Is; use internal/sentinel.Mark", at)
			case x.Name == "fmt" && name == "Errorf":
				t.Errorf("%s: fmt.Errorf; use errors.Newf or errors.Wrapf (cockroachdb/errors)", at)
			case x.Name == "atomic" && (strings.HasPrefix(name, "Add") || strings.HasPrefix(name, "Load") || strings.HasPrefix(name, "Store") || strings.HasPrefix(name, "Swap") || strings.HasPrefix(name, "CompareAndSwap")):
				t.Errorf("%s: atomic.%s; use the typed atomics (atomic.Int64, ...)", at, name)
			case !isTest && !inCmd && f.Name.Name != "main" && ((x.Name == "log" && strings.HasPrefix(name, "Fatal")) || (x.Name == "os" && name == "Exit")):
				t.Errorf("%s: %s.%s outside cmd/vecdb; return an error", at, x.Name, name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("parsed %d Go files; the walk missed the module", files)
	}
}
