package server

import (
	"fmt"
	"net/http"

	"github.com/devops-metrics/devops-metrics/internal/forge"
)

// RequireViewer rejects with 401 a request whose verified invocation has no viewer (no
// principal claim), such as a trigger's token replayed against a gadget route.
func RequireViewer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inv, ok := forge.FromContext(r.Context())
		if !ok || inv.AccountID == "" {
			writeError(w, r, fmt.Errorf("%w: the token has no principal, so it was not issued for a user's request", forge.ErrInvalidToken))
			return
		}
		next.ServeHTTP(w, r)
	})
}
