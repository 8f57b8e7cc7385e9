package jira

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// readPOSTPaths are the only endpoints that accept POST from this client. Each is a read:
// Jira uses POST there only because the request carries a long JQL or id list.
var readPOSTPaths = map[string]bool{
	"/rest/api/3/search/jql":               true,
	"/rest/api/3/search/approximate-count": true,
	"/rest/api/3/changelog/bulkfetch":      true,
	"/rest/api/3/issue/bulkfetch":          true,
	"/rest/api/3/permissions/check":        true,
}

// guardTransport is the outermost transport of every Client. It blocks any request that
// could change Jira or reach a host other than the site, so such a request fails with
// ErrReadOnly before it reaches the next transport.
type guardTransport struct {
	// site is the base URL the client was built for; its scheme, host and path prefix bound every request.
	site *url.URL
	next http.RoundTripper
}

func (g *guardTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := g.check(req); err != nil {
		if req.Body != nil {
			_ = req.Body.Close() // the RoundTripper contract: close the body even on error
		}
		return nil, err
	}
	return g.next.RoundTrip(req)
}

// check returns an error wrapping ErrReadOnly unless req is a read of the site.
func (g *guardTransport) check(req *http.Request) error {
	if err := g.checkDestination(req.URL); err != nil {
		return err
	}
	apiPath, err := g.apiPath(req.URL)
	if err != nil {
		return err
	}
	switch req.Method {
	case http.MethodGet:
		return nil
	case http.MethodPost:
		if readPOSTPaths[apiPath] {
			return nil
		}
		return fmt.Errorf("%w: POST %s is not one of the read endpoints", ErrReadOnly, apiPath)
	default:
		return fmt.Errorf("%w: method %s is not allowed (only GET, and POST to read endpoints)", ErrReadOnly, req.Method)
	}
}

// checkDestination accepts only the scheme and host of the site the Client was built for.
// Which sites a Client may be built for is limited by the transport in Options.HTTPClient:
// serve passes one guarded by an egress allowlist (package egress).
func (g *guardTransport) checkDestination(u *url.URL) error {
	if u.Scheme != g.site.Scheme || !strings.EqualFold(u.Host, g.site.Host) {
		return fmt.Errorf("%w: destination %s://%s is not the Jira site %s://%s", ErrReadOnly, u.Scheme, u.Host, g.site.Scheme, g.site.Host)
	}
	if u.User != nil {
		return fmt.Errorf("%w: URLs with user information are not allowed", ErrReadOnly)
	}
	return nil
}

// apiPath returns the request path below the site's path prefix (for Forge, /ex/jira/{cloudId}).
// Paths with dot segments, escapes that change the path, or outside /rest/api/3/ are rejected,
// so a request cannot name one endpoint and reach another.
func (g *guardTransport) apiPath(u *url.URL) (string, error) {
	if u.RawPath != "" && u.RawPath != u.EscapedPath() {
		return "", fmt.Errorf("%w: escaped path %q is not allowed", ErrReadOnly, u.RawPath)
	}
	p := u.Path
	if strings.Contains(u.EscapedPath(), "%") {
		return "", fmt.Errorf("%w: escaped path %q is not allowed", ErrReadOnly, u.EscapedPath())
	}
	if path.Clean(p) != p {
		return "", fmt.Errorf("%w: path %q is not in clean form", ErrReadOnly, p)
	}
	prefix := strings.TrimSuffix(g.site.Path, "/")
	if !strings.HasPrefix(p, prefix+"/") {
		return "", fmt.Errorf("%w: path %q is outside the site path %q", ErrReadOnly, p, prefix)
	}
	rest := strings.TrimPrefix(p, prefix)
	if !strings.HasPrefix(rest, "/rest/api/3/") {
		return "", fmt.Errorf("%w: path %q is outside /rest/api/3/", ErrReadOnly, rest)
	}
	return rest, nil
}
