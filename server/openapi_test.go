package server_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/vecdb/vecdb/server"
)

// TestOpenAPI: the document parses, and it describes exactly the routes
// the server registers; every $ref resolves.
func TestOpenAPI(t *testing.T) {
	d := openTestDB(t)
	s := server.New(d, nil)
	defer s.Close()
	ts, _ := serve(t, d, nil)
	status, body := raw(t, ts, "GET", "/v1/openapi.json", "", nil)
	if status != 200 {
		t.Fatalf("GET /v1/openapi.json = %d", status)
	}
	var doc struct {
		OpenAPI    string                                `json:"openapi"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components map[string]map[string]json.RawMessage `json:"components"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
		t.Errorf("openapi %q, want 3.0.x", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	routes := s.Routes()
	slices.Sort(documented)
	slices.Sort(routes)
	if !slices.Equal(documented, routes) {
		t.Errorf("documented routes:\n%s\nregistered:\n%s", strings.Join(documented, "\n"), strings.Join(routes, "\n"))
	}
	for _, ref := range strings.Split(body, `"$ref": "#/components/`)[1:] {
		kind, rest, _ := strings.Cut(ref, "/")
		name, _, _ := strings.Cut(rest, `"`)
		if _, ok := doc.Components[kind][name]; !ok {
			t.Errorf("$ref to missing %s/%s", kind, name)
		}
	}
}
