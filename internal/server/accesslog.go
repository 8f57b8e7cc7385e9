package server

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// AccessLog logs one line when each request starts and one when it ends, with the route
// pattern, status, size and duration. It never logs headers or query values, which may carry
// tokens.
func AccessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		logger := loggerFrom(r.Context())
		logger.Debug("request started", "method", r.Method, "path", r.URL.Path)
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		logger.Info("request served", "method", r.Method, "path", r.URL.Path, "route", routePattern(r),
			"status", statusOf(ww), "bytes", ww.BytesWritten(), "duration", time.Since(start))
	})
}

// routePattern returns the chi route pattern that matched r, such as
// "/forge/projects/{projectId}/settings", or "unmatched".
func routePattern(r *http.Request) string {
	if rctx := chi.RouteContext(r.Context()); rctx != nil {
		if pattern := rctx.RoutePattern(); pattern != "" {
			return pattern
		}
	}
	return "unmatched"
}

func statusOf(ww middleware.WrapResponseWriter) int {
	if ww.Status() == 0 {
		return http.StatusOK
	}
	return ww.Status()
}
