// Package index holds vecdb's storage-agnostic search structures: the
// top-k candidate heap shared by exact and approximate search, and (in
// progress) the IVF coarse quantiser, posting-list block codec and list
// scanning. It reads lists through small interfaces and never imports the
// storage engine.
//
// # Caveats
//
// TopK is not goroutine-safe; each query uses its own.
package index
