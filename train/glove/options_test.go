package glove

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/vecdb/vecdb/train/text"
)

// raceEnabled is set by race_test.go when the race detector is on.
var raceEnabled = false

func TestDefaultOptions(t *testing.T) {
	o := DefaultOptions()
	want := Options{Dim: 100, Window: 10, XMax: 100, Alpha: 0.75, LearningRate: 0.05, Epochs: 25,
		Threads: runtime.GOMAXPROCS(0), MemoryBytes: 512 << 20, TempDir: o.TempDir}
	if o.TempDir == "" || o.Progress != nil {
		t.Errorf("DefaultOptions() = %+v", o)
	}
	if !equalOptions(o, want) {
		t.Errorf("DefaultOptions() = %+v, want %+v", o, want)
	}
	if err := o.Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
	set := Options{Dim: 7, Window: 3, XMax: 10, Alpha: 0.5, LearningRate: 0.1, Epochs: 2, Threads: 3, Seed: 9, MemoryBytes: 1 << 20, TempDir: "x"}
	got := set
	got.EnsureDefaults()
	if !equalOptions(got, set) {
		t.Errorf("EnsureDefaults changed set fields: %+v, want %+v", got, set)
	}
}

// equalOptions compares options other than Progress.
func equalOptions(a, b Options) bool {
	a.Progress, b.Progress = nil, nil
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func TestBadOptions(t *testing.T) {
	v, err := text.NewVocab([]string{"a", "b"}, []int64{2, 1})
	if err != nil {
		t.Fatal(err)
	}
	c := stringCorpus("a b a b\n")
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"negative dim", Options{Dim: -1}, "Dim"},
		{"huge dim", Options{Dim: 1 << 20}, "Dim"},
		{"negative window", Options{Window: -2}, "Window"},
		{"window too wide", Options{Window: MaxWindow + 1}, "Window"},
		{"negative xmax", Options{XMax: -1}, "XMax"},
		{"NaN xmax", Options{XMax: math.NaN()}, "XMax"},
		{"infinite xmax", Options{XMax: math.Inf(1)}, "XMax"},
		{"negative alpha", Options{Alpha: -0.5}, "Alpha"},
		{"NaN alpha", Options{Alpha: math.NaN()}, "Alpha"},
		{"negative learning rate", Options{LearningRate: -0.05}, "LearningRate"},
		{"infinite learning rate", Options{LearningRate: math.Inf(1)}, "LearningRate"},
		{"negative epochs", Options{Epochs: -1}, "Epochs"},
		{"negative threads", Options{Threads: -4}, "Threads"},
		{"tiny memory", Options{MemoryBytes: 100}, "MemoryBytes"},
		{"negative memory", Options{MemoryBytes: -1}, "MemoryBytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			o.EnsureDefaults()
			if err := o.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate(%+v) = %v, want an error about %s", tc.opts, err, tc.want)
			}
			if _, err := Train(context.Background(), c, v, tc.opts); err == nil {
				t.Errorf("Train accepted %+v", tc.opts)
			}
			if co, err := Count(context.Background(), c, v, tc.opts); err == nil {
				co.Close()
				t.Errorf("Count accepted %+v", tc.opts)
			}
		})
	}
	t.Run("missing inputs", func(t *testing.T) {
		empty, err := text.NewVocab(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range []struct {
			c *text.Corpus
			v *text.Vocab
		}{{nil, v}, {c, nil}, {c, empty}} {
			if _, err := Train(context.Background(), in.c, in.v, Options{}); err == nil {
				t.Errorf("Train(%v, %v) accepted", in.c, in.v)
			}
		}
		if _, err := TrainCooccurrences(context.Background(), nil, Options{}); err == nil {
			t.Error("TrainCooccurrences(nil) accepted")
		}
	})
	t.Run("no pairs", func(t *testing.T) {
		// Every line has one word: nothing co-occurs.
		if _, err := Train(context.Background(), stringCorpus("a\nb\na\n"), v, Options{Threads: 1, TempDir: t.TempDir()}); err == nil ||
			!strings.Contains(err.Error(), "co-occur") {
			t.Errorf("Train on a corpus without pairs: %v", err)
		}
	})
}
