package egress_test

import (
	"net/url"
	"testing"

	"github.com/devops-metrics/devops-metrics/internal/egress"
)

// FuzzNewAllowlist checks that every --allow-api-host value is either rejected or accepted
// together with the https URL that names it, and that Check never panics on any URL.
func FuzzNewAllowlist(f *testing.F) {
	for _, seed := range []string{"api.atlassian.com", "127.0.0.1:8443", "[::1]", "[::1]:80", "", "host:", "a/b", "https://x", "[x]"} {
		f.Add(seed, "https://api.atlassian.com/ex/jira/1")
	}
	f.Fuzz(func(t *testing.T, host, rawURL string) {
		allow, err := egress.NewAllowlist([]string{host}, false)
		if err != nil {
			return
		}
		self := &url.URL{Scheme: "https", Host: allow.Hosts()[0]}
		if u, err := url.Parse(self.String()); err == nil && u.Host == self.Host {
			if err := allow.Check(u); err != nil {
				t.Errorf("allowlist of %q blocks its own host %q: %v", host, u.Host, err)
			}
		}
		if u, err := url.Parse(rawURL); err == nil {
			_ = allow.Check(u)
		}
	})
}
