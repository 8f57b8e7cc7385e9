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

// gadgetModuleType is the app.module.type of the invocation tokens of the gadget's calls.
const gadgetModuleType = "jira:dashboardGadget"

// RejectViewer rejects with 403 a request that comes from the gadget: one with an
// x-forge-oauth-user token, or a principal claim in a token of the gadget module. Forge sends no
// user token with scheduled triggers and lifecycle events, while a gadget user can send
// invokeRemote to any path of the remote, so without this check any viewer could delete the
// installation's data or start recomputes.
// NOTE: a principal in a token of another module type passes, because it is not documented
// whether the token of a lifecycle event names the admin who caused it.
func RejectViewer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inv, ok := forge.FromContext(r.Context())
		if !ok || inv.UserToken() != "" || (inv.AccountID != "" && inv.ModuleType == gadgetModuleType) {
			writeError(w, r, &Error{Status: http.StatusForbidden, Code: CodeForbidden,
				Message: "this route accepts only the tokens of Forge's scheduled trigger and lifecycle events, which carry no user token: call a gadget route instead",
				Err: fmt.Errorf("gadget token of installation %s, account %q, module type %q, on an event route",
					inv.InstallationID, inv.AccountID, inv.ModuleType)})
			return
		}
		next.ServeHTTP(w, r)
	})
}
