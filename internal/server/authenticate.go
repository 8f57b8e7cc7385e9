package server

import (
	"context"
	"net/http"

	"github.com/devops-metrics/devops-metrics/internal/forge"
)

// TokenVerifier checks a Forge invocation token; *forge.Verifier implements it.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (forge.Invocation, error)
}

// Headers in which Forge sends the app's OAuth tokens beside the invocation token.
const (
	headerUserToken   = "X-Forge-Oauth-User"
	headerSystemToken = "X-Forge-Oauth-System"
)

// Authenticate verifies the Forge invocation token in the Authorization header and stores the
// verified invocation, with the app tokens from the x-forge-oauth-user and x-forge-oauth-system
// headers, in the request context. A missing or invalid token gets 401 with a JSON body. The
// log line of a rejection names the cause and never the token.
func Authenticate(verifier TokenVerifier, m *Metrics) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token, err := forge.BearerToken(r.Header.Get("Authorization"))
			if err == nil {
				var inv forge.Invocation
				inv, err = verifier.Verify(r.Context(), token)
				if err == nil {
					m.tokens.WithLabelValues("valid").Inc()
					inv = inv.WithAppTokens(r.Header.Get(headerUserToken), r.Header.Get(headerSystemToken))
					next.ServeHTTP(w, r.WithContext(forge.NewContext(r.Context(), inv)))
					return
				}
			}
			m.tokens.WithLabelValues("invalid").Inc()
			writeError(w, r, err)
		})
	}
}
