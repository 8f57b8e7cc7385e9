package server

import (
	"fmt"
	"net/http"
	"runtime/debug"
)

// Recoverer turns a panic in a handler into a logged 500 JSON reply, so one bad request does not
// end the process. http.ErrAbortHandler is passed on, as net/http expects.
func Recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			if rec == http.ErrAbortHandler {
				panic(rec)
			}
			loggerFrom(r.Context()).Error("handler panicked", "panic", fmt.Sprint(rec), "stack", string(debug.Stack()))
			writeError(w, r, fmt.Errorf("handler panicked: %v", rec))
		}()
		next.ServeHTTP(w, r)
	})
}
