package server

import (
	"fmt"
	"net/http"
	"strings"
)

// RejectCrossSite rejects with 403 every request, whatever its method, whose Sec-Fetch-Site
// header is cross-site, which browsers send when a page of another site makes the request.
// Development mode mounts it on the data routes (/forge/ and /api/), so another site's page
// cannot load them as a script, an image or a frame, while links to the gadget page still work.
func RejectCrossSite(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if site := r.Header.Get("Sec-Fetch-Site"); strings.EqualFold(site, "cross-site") {
			writeError(w, r, &Error{Status: http.StatusForbidden, Code: CodeForbidden,
				Message: "the development server serves its data only to its own pages: open the gadget at its own address, http://127.0.0.1:<port>/",
				Err:     fmt.Errorf("%s %s with Sec-Fetch-Site %q", r.Method, r.URL.Path, site)})
			return
		}
		next.ServeHTTP(w, r)
	})
}
