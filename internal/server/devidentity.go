package server

import (
	"net/http"

	"github.com/devops-metrics/devops-metrics/internal/forge"
)

// DevIdentity stores inv in the context of every request, standing in for Authenticate in
// development mode, where no Forge token exists. Dangerous outside development: every caller
// becomes inv's viewer, so the server only serves it on a loopback address.
func DevIdentity(inv forge.Invocation) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(forge.NewContext(r.Context(), inv)))
		})
	}
}
