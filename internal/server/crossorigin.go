package server

import (
	"fmt"
	"net/http"
	"strings"
)

// RejectCrossOrigin rejects with 403 a state-changing request (any method but GET, HEAD and
// OPTIONS) that a browser sent from another origin. Such a request has an Origin header other
// than the server's own origin (the request's scheme and Host), or Sec-Fetch-Site cross-site.
// A request with neither header passes, because command-line clients send neither. Development
// mode serves every request without a token, so without this check any web page could start a
// recompute or change settings with a form post or a simple fetch.
func RejectCrossOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		if err := checkSameOrigin(r); err != nil {
			writeError(w, r, &Error{Status: http.StatusForbidden, Code: CodeForbidden,
				Message: "the development server accepts changes only from its own pages: open the gadget at its own address, http://127.0.0.1:<port>/",
				Err:     err})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkSameOrigin returns an error naming the header that shows r came from another origin.
func checkSameOrigin(r *http.Request) error {
	if site := r.Header.Get("Sec-Fetch-Site"); strings.EqualFold(site, "cross-site") {
		return fmt.Errorf("%s %s with Sec-Fetch-Site %q", r.Method, r.URL.Path, site)
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if own := scheme + "://" + r.Host; !strings.EqualFold(origin, own) {
		return fmt.Errorf("%s %s with Origin %q, not the server's own origin %q", r.Method, r.URL.Path, origin, own)
	}
	return nil
}
