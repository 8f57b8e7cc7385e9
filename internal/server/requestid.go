package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
)

type loggerKey struct{}

// loggerFrom returns the request's logger, which carries the request id and trace id, or
// slog.Default() outside a request.
func loggerFrom(ctx context.Context) *slog.Logger {
	if logger, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return logger
	}
	return slog.Default()
}

// RequestID gives each request an id and echoes it in the X-Request-Id reply header. The id is
// the incoming X-Request-Id when that is a short token, else a random one. It also stores a
// logger in the request context whose lines carry request_id and the x-b3-traceid as trace_id.
func RequestID(base *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := r.Header.Get("X-Request-Id")
			if !isToken(id, 64) {
				id = randomID()
			}
			trace := r.Header.Get("X-B3-Traceid")
			if !isToken(trace, 32) {
				trace = ""
			}
			w.Header().Set("X-Request-Id", id)
			logger := base.With("request_id", id, "trace_id", trace)
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), loggerKey{}, logger)))
		})
	}
}

// isToken reports whether s is 1 to max letters, digits, '-' or '_', so it is safe to log and echo.
func isToken(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
