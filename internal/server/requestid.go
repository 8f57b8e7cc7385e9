package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
)

type loggerKey struct{}

type requestKey struct{}

// requestIDs are the ids that every log line of a request carries.
type requestIDs struct {
	requestID, traceID string
}

// LoggerFrom returns the request's logger, whose lines carry request_id and trace_id, or
// slog.Default() outside a request.
func LoggerFrom(ctx context.Context) *slog.Logger {
	if logger, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return logger
	}
	return slog.Default()
}

func loggerFrom(ctx context.Context) *slog.Logger { return LoggerFrom(ctx) }

// RequestAttrs wraps h so that a record logged with a request's context (InfoContext and the
// like) carries the request_id and trace_id of that request. Components that log with the
// request context but have their own logger, such as the permission gate, need it.
func RequestAttrs(h slog.Handler) slog.Handler {
	if _, ok := h.(requestAttrsHandler); ok {
		return h
	}
	return requestAttrsHandler{next: h}
}

type requestAttrsHandler struct{ next slog.Handler }

func (h requestAttrsHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h requestAttrsHandler) Handle(ctx context.Context, r slog.Record) error {
	if ids, ok := ctx.Value(requestKey{}).(requestIDs); ok {
		r = r.Clone()
		r.AddAttrs(slog.String("request_id", ids.requestID), slog.String("trace_id", ids.traceID))
	}
	return h.next.Handle(ctx, r)
}

func (h requestAttrsHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestAttrsHandler{next: h.next.WithAttrs(attrs)}
}

func (h requestAttrsHandler) WithGroup(name string) slog.Handler {
	return requestAttrsHandler{next: h.next.WithGroup(name)}
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
			// The logger carries the ids itself, so the server's own lines need no context.
			logger := base.With("request_id", id, "trace_id", trace)
			ctx := context.WithValue(r.Context(), loggerKey{}, logger)
			ctx = context.WithValue(ctx, requestKey{}, requestIDs{requestID: id, traceID: trace})
			next.ServeHTTP(w, r.WithContext(ctx))
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
