package server

import (
	_ "embed" // the OpenAPI document
	"net/http"
)

// openAPI is the OpenAPI 3.0 description of the API, served at GET
// /v1/openapi.json. A test checks that it lists exactly the routes the
// server registers.
//
//go:embed openapi.json
var openAPI []byte

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	// The status is sent: a failure is the client's connection.
	_, _ = w.Write(openAPI)
}
