package sentinel

import (
	stderrors "errors"
	"io/fs"
	"testing"

	"github.com/cockroachdb/errors"
)

func TestMark(t *testing.T) {
	s := errors.New("pkg: not found")
	inner := &fs.PathError{Op: "open", Path: "x", Err: fs.ErrNotExist}
	err := errors.Wrap(Mark(errors.Wrapf(inner, "reading %s", "x"), s), "outer")
	for name, is := range map[string]func(error, error) bool{"std": stderrors.Is, "cockroachdb": errors.Is} {
		if !is(err, s) || !is(err, fs.ErrNotExist) {
			t.Errorf("%s: Is(sentinel) %v, Is(cause) %v", name, is(err, s), is(err, fs.ErrNotExist))
		}
		if is(err, stderrors.New("pkg: not found")) {
			t.Errorf("%s: matched a different error with the same text", name)
		}
	}
	var pe *fs.PathError
	if !stderrors.As(err, &pe) || pe.Path != "x" {
		t.Error("errors.As lost the cause")
	}
	if got, want := err.Error(), "outer: reading x: open x: file does not exist"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if Mark(nil, s) != nil {
		t.Error("Mark(nil) is not nil")
	}
}
