package main

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/devops-metrics/devops-metrics/internal/egress"
	"github.com/devops-metrics/devops-metrics/internal/forge"
)

// forgeJWKSHosts are the hosts that serve the JWKS of Forge invocation tokens: production
// and staging.
var forgeJWKSHosts = []string{"forge.cdn.prod.atlassian-dev.net", "forge.cdn.stg.atlassian-dev.net"}

// Whole-request timeouts of the outbound clients, redirects and body reads included.
const (
	// jwksFetchTimeout bounds one fetch of the JWKS.
	jwksFetchTimeout = 10 * time.Second
	// jiraRequestTimeout bounds one Jira request of a recompute or a dev-mode client. A
	// bulkfetch page of many histories is the slowest request.
	jiraRequestTimeout = 60 * time.Second
)

// forgeEgress contains the allowlists of Forge mode: Jira's API gateway for the Jira clients
// and the JWKS host for the token verifier.
type forgeEgress struct {
	// api is the allowlist of Jira API hosts: forge.DefaultAPIHosts plus --allow-api-host.
	api *egress.Allowlist
	// jwks contains only the host of --jwks-url.
	jwks *egress.Allowlist
}

// newForgeEgress builds the allowlists of Forge mode from the flags. Hosts other than
// Atlassian's (--allow-api-host, a --jwks-url elsewhere) and http:// URLs need
// --insecure-testing, because the viewer's token and the key that authenticates every
// request would come from or go to them.
func newForgeEgress(opts serveOptions) (*forgeEgress, error) {
	if len(opts.allowAPIHosts) > 0 && !opts.insecureTesting {
		return nil, usageError("serve: --allow-api-host %s needs --insecure-testing: viewers' tokens would be sent there, so it is for tests against a local Jira emulator only", strings.Join(opts.allowAPIHosts, ","))
	}
	api, err := egress.NewAllowlist(append(slices.Clone(forge.DefaultAPIHosts), opts.allowAPIHosts...), opts.insecureTesting)
	if err != nil {
		return nil, usageError("serve: --allow-api-host: %v", err)
	}

	jwksURL, err := url.Parse(opts.jwksURL)
	if err != nil || jwksURL.Host == "" || (jwksURL.Scheme != "https" && jwksURL.Scheme != "http") {
		return nil, usageError("serve: invalid --jwks-url %q: give an absolute URL such as %s", opts.jwksURL, forge.ProductionJWKSURL)
	}
	onForgeHost := jwksURL.Scheme == "https" && jwksURL.Port() == "" && slices.Contains(forgeJWKSHosts, strings.ToLower(jwksURL.Hostname()))
	if !onForgeHost && !opts.insecureTesting {
		return nil, usageError("serve: --jwks-url %q is not on a Forge JWKS host (https on %s): give --insecure-testing to use another one in tests", opts.jwksURL, strings.Join(forgeJWKSHosts, " or "))
	}
	jwks, err := egress.NewAllowlist([]string{jwksURL.Host}, opts.insecureTesting)
	if err != nil {
		return nil, usageError("serve: --jwks-url: %v", err)
	}
	return &forgeEgress{api: api, jwks: jwks}, nil
}

// devEgress contains the one HTTP client of development mode, which reaches only the configured
// Jira site: --jira-url or the in-process emulator.
type devEgress struct {
	once   sync.Once
	client *http.Client
	err    error
}

// clientFor returns the shared client for the site at siteURL, built on the first call. Every
// later call returns the same client whatever siteURL it gives.
func (d *devEgress) clientFor(siteURL string) (*http.Client, error) {
	d.once.Do(func() {
		u, err := url.Parse(siteURL)
		if err != nil || u.Host == "" {
			d.err = fmt.Errorf("invalid Jira URL %q: use https://your-site.atlassian.net", siteURL)
			return
		}
		allow, err := egress.NewAllowlist([]string{u.Host}, u.Scheme == "http")
		if err != nil {
			d.err = fmt.Errorf("egress allowlist of Jira URL %q: %w", siteURL, err)
			return
		}
		d.client = allow.Client(jiraRequestTimeout)
	})
	return d.client, d.err
}
