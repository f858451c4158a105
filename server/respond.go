package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/internal/sentinel"
	"github.com/vecdb/vecdb/wire"
)

var healthOK = wire.Health{OK: true}

// errUnavailable marks a request the server cannot serve now (it is
// closing, or the database is): 503.
var errUnavailable = errors.New("server: unavailable")

// writeJSON writes v as the JSON answer with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	// The status is sent: a failure here is the client's connection,
	// which nothing can be told of.
	_ = enc.Encode(v)
}

// writeError writes {"error": one line, "index": index}.
func writeError(w http.ResponseWriter, status int, err error, index *int) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	writeJSON(w, status, wire.Error{Error: wire.ErrorMessage(err), Index: index})
}

// fail answers err with its status (see statusOf); an internal failure
// is logged, with its whole message.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.failAt(w, r, err, nil)
}

// failAt is fail naming the bad record's index in its batch.
func (s *Server) failAt(w http.ResponseWriter, r *http.Request, err error, index *int) {
	status := statusOf(err)
	if status == http.StatusInternalServerError {
		s.logError(r, "internal error", err)
	}
	writeError(w, status, err, index)
}

// statusOf maps an error to its HTTP status: bad input is 4xx, never
// 500.
func statusOf(err error) int {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, db.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, db.ErrExists):
		return http.StatusConflict
	case errors.Is(err, db.ErrInvalid), errors.Is(err, db.ErrDimensionMismatch):
		return http.StatusBadRequest
	case errors.Is(err, db.ErrReadOnly):
		return http.StatusForbidden
	case errors.Is(err, db.ErrDiskFull):
		return http.StatusInsufficientStorage
	case errors.Is(err, db.ErrClosed), errors.Is(err, errUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// invalid marks err as bad input.
func invalid(err error) error { return sentinel.Mark(err, db.ErrInvalid) }

// decode reads r's body, one JSON value, into v: numbers in free-form
// metadata keep every digit (UseNumber), unknown fields and trailing data
// are refused. An empty body is refused unless emptyOK (v keeps its zero
// value then).
func decode(r *http.Request, v any, emptyOK bool) error {
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if err == io.EOF {
			if emptyOK {
				return nil
			}
			return invalid(errors.New("request body is empty: want a JSON object"))
		}
		return bodyError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return bodyError(err)
		}
		return invalid(errors.New("request body: data after the JSON object"))
	}
	return nil
}

// bodyError is the error of a body that does not decode: too large (413)
// or bad JSON (400), said in the API's terms.
func bodyError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errors.Wrapf(err, "request body larger than %d bytes", tooLarge.Limit)
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := typeErr.Field
		if field == "" {
			field = "the body"
		}
		return invalid(errors.Newf("request body: %s: want %s, got JSON %s", field, typeErr.Type, typeErr.Value))
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if err == io.ErrUnexpectedEOF {
		msg = "unexpected end of JSON"
	}
	return invalid(errors.Newf("request body: %s", msg))
}
