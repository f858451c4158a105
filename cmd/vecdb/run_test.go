package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/cockroachdb/errors"

	"github.com/vecdb/vecdb/internal/vecio"
)

// TestTranscripts runs the CLI transcripts in testdata/*.txt. Each file gets
// a fresh database ($DB, also $VECDB_DB) and scratch directory ($TMP).
// Directives:
//
//	run [stdin=NAME] [nodist]
//	                      the input line is "vecdb <args>" without "vecdb",
//	                      split like a shell (quotes, no expansion but $DB
//	                      and $TMP); output is stdout, then stderr lines
//	                      prefixed "stderr: ", then "exit: 1" on error;
//	                      nodist masks the distance column of results
//	write-file NAME [gzip] [crlf]   writes the input (plus "\n") to $TMP/NAME
//	write-fvecs NAME      writes the input rows of numbers as fvecs
//	                      (gzip-compressed when NAME ends in .gz)
//	cat NAME [fvecs]      prints $TMP/NAME, decompressed; fvecs files
//	                      (named .fvecs or given the fvecs arg) as rows of
//	                      numbers
//
// Outputs show the directories as $DB and $TMP, disk sizes as <size>, and
// imports take 125ms on a fake clock.
//
// Regenerate with: go test ./cmd/vecdb -rewrite
func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/*.txt transcripts")
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			dir := t.TempDir()
			ts := &transcript{db: filepath.Join(dir, "db"), tmp: filepath.Join(dir, "tmp")}
			if err := os.Mkdir(ts.tmp, 0o755); err != nil {
				t.Fatal(err)
			}
			t.Setenv("VECDB_DB", ts.db)
			useFakeClock(t)
			datadriven.RunTest(t, path, ts.do)
		})
	}
}

// useFakeClock makes now advance 125ms per call until the test ends, so an
// import (which reads it before and after) takes 125ms.
func useFakeClock(t *testing.T) {
	t.Helper()
	saved := now
	tick := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now = func() time.Time {
		tick = tick.Add(125 * time.Millisecond)
		return tick
	}
	t.Cleanup(func() { now = saved })
}

type transcript struct {
	db, tmp string
}

var (
	diskJSON = regexp.MustCompile(`"disk_bytes":\d+`)
	// What the process holds in memory varies run to run: masked.
	memJSON  = regexp.MustCompile(`"memory":\{[^}]*\}`)
	memText  = regexp.MustCompile(`(?m)^(memory|mapped)( +).*$`)
	procJSON = regexp.MustCompile(`"process":\{[^}]*\}`)
	procText = regexp.MustCompile(`(?m)^(process|budget): .*$`)
	// Plan timings (--explain) are wall-clock: masked.
	planMSJSON = regexp.MustCompile(`"(filter|scan|rerank|resolve)_ms":[0-9.e-]+`)
	planMSText = regexp.MustCompile(`\d+\.\d{3} ms`)
	diskText   = regexp.MustCompile(`(?m)\d+(\.\d)? (B|KiB|MiB|GiB)$`)
	// Training times and speeds are wall-clock: masked.
	trainJSON      = regexp.MustCompile(`"(vocab_seconds|train_seconds|write_seconds|words_per_s|words_per_s_per_thread)":[0-9.e+-]+`)
	distanceHeader = regexp.MustCompile(`DISTANCE +META`)
	resultDist     = regexp.MustCompile(`(?m)^(\d+ +\S+ +)-?[0-9][0-9.e+-]*( +\S.*)?$`)
	trainText      = regexp.MustCompile(`(?m)^(trained .* (?:threads|dims) in |.* trained in )[^;\n]+`)
)

func (ts *transcript) do(t *testing.T, td *datadriven.TestData) string {
	t.Helper()
	switch td.Cmd {
	case "run":
		return ts.run(t, td)
	case "write-file":
		data := []byte(td.Input + "\n")
		if td.HasArg("crlf") {
			data = bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
		}
		if td.HasArg("gzip") {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			if _, err := zw.Write(data); err != nil {
				t.Fatal(err)
			}
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			data = buf.Bytes()
		}
		if err := os.WriteFile(filepath.Join(ts.tmp, td.CmdArgs[0].Key), data, 0o644); err != nil {
			t.Fatal(err)
		}
		return ""
	case "write-fvecs":
		var rows [][]float32
		for line := range strings.Lines(td.Input) {
			var row []float32
			for _, f := range strings.Fields(line) {
				x, err := strconv.ParseFloat(f, 32)
				if err != nil {
					td.Fatalf(t, "%v", err)
				}
				row = append(row, float32(x))
			}
			rows = append(rows, row)
		}
		if err := vecio.WriteFvecsFile(filepath.Join(ts.tmp, td.CmdArgs[0].Key), rows); err != nil {
			t.Fatal(err)
		}
		return ""
	case "cat":
		return ts.clean(ts.cat(t, td.CmdArgs[0].Key, td.HasArg("fvecs")))
	default:
		td.Fatalf(t, "unknown directive %q", td.Cmd)
		return ""
	}
}

func (ts *transcript) run(t *testing.T, td *datadriven.TestData) string {
	t.Helper()
	line := strings.TrimSpace(td.Input)
	if strings.Contains(line, "\n") {
		td.Fatalf(t, "run takes one command line")
	}
	args, err := splitArgs(line)
	if err != nil {
		td.Fatalf(t, "%v", err)
	}
	for i, a := range args {
		a = strings.ReplaceAll(a, "$DB", ts.db)
		args[i] = strings.ReplaceAll(a, "$TMP", ts.tmp)
	}
	var stdin io.Reader = strings.NewReader("")
	if td.HasArg("stdin") {
		var name string
		td.ScanArgs(t, "stdin", &name)
		f, err := os.Open(filepath.Join(ts.tmp, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		stdin = f
	}
	out := runRendered(context.Background(), args, stdin)
	if td.HasArg("nodist") {
		// Distances of trained vectors depend on the float kernels the
		// machine runs; the ranking is what the transcript pins.
		return ts.clean(maskDistances(out))
	}
	return ts.clean(out)
}

// maskDistances replaces the distance column of result tables with <d>,
// and the padding after it (which depends on the distances' widths) with
// two spaces.
func maskDistances(s string) string {
	s = distanceHeader.ReplaceAllString(s, "DISTANCE  META")
	return resultDist.ReplaceAllStringFunc(s, func(line string) string {
		m := resultDist.FindStringSubmatch(line)
		if m[2] == "" {
			return m[1] + "<d>"
		}
		return m[1] + "<d>  " + strings.TrimLeft(m[2], " ")
	})
}

// clean makes output independent of the temporary directories and of
// disk sizes.
func (ts *transcript) clean(s string) string {
	s = strings.ReplaceAll(s, ts.db, "$DB")
	s = strings.ReplaceAll(s, ts.tmp, "$TMP")
	s = diskJSON.ReplaceAllString(s, `"disk_bytes":<n>`)
	s = memJSON.ReplaceAllString(s, `"memory":{<memory>}`)
	s = memText.ReplaceAllString(s, "${1}${2}<memory>")
	s = procJSON.ReplaceAllString(s, `"process":{<process>}`)
	s = procText.ReplaceAllString(s, "${1}: <memory>")
	s = planMSJSON.ReplaceAllString(s, `"${1}_ms":<t>`)
	s = planMSText.ReplaceAllString(s, "<t> ms")
	s = trainJSON.ReplaceAllString(s, `"${1}":<t>`)
	s = trainText.ReplaceAllString(s, "${1}<t>")
	return diskText.ReplaceAllString(s, "<size>")
}

func (ts *transcript) cat(t *testing.T, name string, fvecs bool) string {
	t.Helper()
	path := filepath.Join(ts.tmp, name)
	if fvecs || strings.Contains(name, ".fvecs") {
		rows, err := vecio.ReadFvecsAll(path)
		if err != nil {
			return fmt.Sprintf("error: %v\n", err)
		}
		var out strings.Builder
		for _, row := range rows {
			for i, x := range row {
				if i > 0 {
					out.WriteByte(' ')
				}
				out.WriteString(formatFloat(x))
			}
			out.WriteByte('\n')
		}
		return out.String()
	}
	rc, err := vecio.Open(path)
	if err != nil {
		return fmt.Sprintf("error: %v\n", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Sprintf("error: %v\n", err)
	}
	return string(b)
}

// splitArgs splits a command line like a POSIX shell without expansions:
// words are separated by spaces and tabs; '...' is literal; "..." allows
// \" and \\ escapes.
func splitArgs(s string) ([]string, error) {
	var (
		args  []string
		cur   strings.Builder
		inArg bool
	)
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case ' ', '\t':
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		case '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.Newf("unterminated ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inArg = true
		case '"':
			inArg = true
			for i++; ; i++ {
				if i >= len(s) {
					return nil, errors.Newf("unterminated \" in %q", s)
				}
				if s[i] == '"' {
					break
				}
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				}
				cur.WriteByte(s[i])
			}
		default:
			cur.WriteByte(ch)
			inArg = true
		}
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args, nil
}

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"words", "search docs  -k 3", []string{"search", "docs", "-k", "3"}},
		{"single", `--filter 'genre = "a b"'`, []string{"--filter", `genre = "a b"`}},
		{"double", `--filter "x = \"y\""`, []string{"--filter", `x = "y"`}},
		{"joined", `a'b c'"d"`, []string{"ab cd"}},
		{"empty arg", `get docs ''`, []string{"get", "docs", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := splitArgs(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tc.want) {
				t.Errorf("splitArgs(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain", "unknown flag: --x", "unknown flag: --x"},
		{"prefixed", "vecdb: no database at d", "no database at d"},
		{"wrapped", `import a.csv: row 3: vecdb: record "x": bad`, `import a.csv: row 3: record "x": bad`},
		{"multi-line", "a\n\nb  c\n", "a b  c"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := errorMessage(stringError(tc.in)); got != tc.want {
				t.Errorf("errorMessage(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

type stringError string

func (e stringError) Error() string { return string(e) }
