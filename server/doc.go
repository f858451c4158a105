// Package server serves a *db.DB over HTTP: the API of DESIGN.md's
// "Server API" (collections, records, search, recommend, analogy, index
// builds as background jobs, metrics and an OpenAPI description). A
// *Server is an http.Handler, so an application may mount it beside its
// own routes; package client is its Go client, and package wire holds the
// JSON shapes both speak.
//
// # Caveats
//
// A Server is goroutine-safe. It does not own the database: Close stops
// the server's background jobs and waits for them, and the caller closes
// the database after it. Vectors are float32 on the wire, written in the
// shortest form that reads back as the same float32.
package server
