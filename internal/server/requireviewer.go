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

// RejectViewer rejects with 403 a request whose verified invocation names a viewer (a principal
// claim or an x-forge-oauth-user token). Forge sends neither with scheduled triggers and
// lifecycle events, while a gadget user can send invokeRemote to any path of the remote, so
// without this check any viewer could uninstall the installation's data or start recomputes.
func RejectViewer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inv, ok := forge.FromContext(r.Context())
		if !ok || inv.AccountID != "" || inv.UserToken() != "" {
			writeError(w, r, &Error{Status: http.StatusForbidden, Code: CodeForbidden,
				Message: "this route accepts only the tokens of Forge's scheduled trigger and lifecycle events, which name no user: call a gadget route instead",
				Err:     fmt.Errorf("viewer token of installation %s, account %q, on an event route", inv.InstallationID, inv.AccountID)})
			return
		}
		next.ServeHTTP(w, r)
	})
}
