// Package client is the Go client of a vecdb server (package server): one
// method per route, taking and returning the shapes of package wire.
// Errors the server answers are *Error values that match db's sentinels
// with errors.Is (404 db.ErrNotFound, 409 db.ErrExists, 400 db.ErrInvalid),
// so code written against a local *db.DB tests errors the same way.
//
// # Caveats
//
// A Client is goroutine-safe. Discover finds the server that announced
// itself in a database directory (server.Announce), and only when it
// answers.
package client
