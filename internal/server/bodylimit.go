package server

import (
	"fmt"
	"net/http"
)

// DefaultMaxBodyBytes is the largest request body Forge sends to a remote: 500 KB.
const DefaultMaxBodyBytes = 500 << 10

// BodyLimit rejects a request whose declared Content-Length exceeds max with 413, and caps the
// body of every other request at max bytes, so a decoder that reads past it gets an
// *http.MaxBytesError, which writeError also turns into 413.
func BodyLimit(max int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > max {
				writeError(w, r, &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeTooLarge,
					Message: fmt.Sprintf("the request body is %d bytes, larger than the %d allowed: send a smaller body", r.ContentLength, max)})
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, max)
			next.ServeHTTP(w, r)
		})
	}
}
