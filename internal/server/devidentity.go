package server

import (
	"fmt"
	"net"
	"net/http"
	"strings"

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

// LoopbackHost rejects with 403 a request whose Host header names anything but localhost or a
// loopback address. Development mode answers without a token, so without this check a web page
// whose host name resolves to 127.0.0.1 (DNS rebinding) could read the reports in a browser.
func LoopbackHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
		ip := net.ParseIP(host)
		if !strings.EqualFold(host, "localhost") && (ip == nil || !ip.IsLoopback()) {
			writeError(w, r, &Error{Status: http.StatusForbidden, Code: CodeForbidden,
				Message: "the development server answers only requests for localhost or a loopback address: open it at http://127.0.0.1:<port>/",
				Err:     fmt.Errorf("host %q is not a loopback host", r.Host)})
			return
		}
		next.ServeHTTP(w, r)
	})
}
