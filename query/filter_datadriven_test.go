package query

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/cockroachdb/errors"
)

// TestFilterDataDriven runs testdata/filter. Commands:
//
//	schema          one "name type" per line; starts a new, empty index
//	docs            one "id [deleted] name=value ..." per line; keywords
//	                values are comma-separated, "name=" is an empty set
//	parse           the canonical form of the filter, or the error
//	compile         the checked, simplified plan, or the error
//	eval            the matching doc ids
func TestFilterDataDriven(t *testing.T) {
	var ix *filterMemIndex
	datadriven.RunTest(t, "testdata/filter", func(t *testing.T, d *datadriven.TestData) string {
		switch d.Cmd {
		case "schema":
			var schema Fields
			for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
				name, typ, _ := strings.Cut(strings.TrimSpace(line), " ")
				ft, err := ParseFieldType(typ)
				if err != nil {
					d.Fatalf(t, "%v", err)
				}
				schema = append(schema, Field{Name: name, Type: ft})
			}
			ix = newFilterMemIndex(schema)
			return ""
		case "docs":
			for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
				if err := addFilterDocLine(ix, line); err != nil {
					d.Fatalf(t, "%s: %v", line, err)
				}
			}
			return ""
		case "parse":
			e, err := ParseFilter(d.Input)
			if err != nil {
				return formatFilterError(err)
			}
			return e.String()
		case "compile":
			f, err := CompileFilter(d.Input, ix.schema)
			if err != nil {
				return formatFilterError(err)
			}
			return f.root.String()
		case "eval":
			f, err := CompileFilter(d.Input, ix.schema)
			if err != nil {
				return formatFilterError(err)
			}
			b, err := f.Eval(ix)
			if err != nil {
				return "eval error: " + err.Error()
			}
			if want := ix.refEval(f.Expr()); !b.Equals(want) {
				t.Errorf("%s: Eval = %v, refEval = %v", d.Pos, b.ToArray(), want.ToArray())
			}
			if b.IsEmpty() {
				return "(none)"
			}
			return strings.Trim(fmt.Sprint(b.ToArray()), "[]")
		}
		d.Fatalf(t, "unknown command %s", d.Cmd)
		return ""
	})
}

func formatFilterError(err error) string {
	var pe *ParseError
	if errors.As(err, &pe) {
		return err.Error() + "\n" + pe.Caret()
	}
	return "error: " + err.Error()
}

// addFilterDocLine adds a document written as "id [deleted] name=value ...".
func addFilterDocLine(ix *filterMemIndex, line string) error {
	fields := strings.Fields(line)
	id, err := strconv.ParseUint(fields[0], 10, 32)
	if err != nil {
		return err
	}
	d, live := filterDoc{}, true
	for _, kv := range fields[1:] {
		if kv == "deleted" {
			live = false
			continue
		}
		name, val, _ := strings.Cut(kv, "=")
		f, ok := ix.schema.Field(name)
		if !ok {
			return errors.Newf("unknown field %q", name)
		}
		switch f.Type {
		case Keyword:
			d[name] = val
		case Keywords:
			set := []string{}
			if val != "" {
				set = strings.Split(val, ",")
			}
			d[name] = set
		case Int:
			d[name], err = strconv.ParseInt(val, 10, 64)
		case Float:
			d[name], err = strconv.ParseFloat(val, 64)
		case Bool:
			d[name], err = strconv.ParseBool(val)
		}
		if err != nil {
			return err
		}
	}
	ix.add(uint32(id), d, live)
	return nil
}
