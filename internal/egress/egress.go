// Package egress limits the hosts the backend sends requests to and builds the HTTP clients
// that enforce the limit.
//
// Every outbound client of the server (the Jira clients and the JWKS fetcher) is built with
// Allowlist.Client, whose transport rejects a request to a host outside the allowlist before
// any connection is made. The check applies to every hop, so a redirect to another host fails the
// same way.
//
// # Caveats
//
// The check compares host names, not the addresses they resolve to. A proxy set through
// HTTPS_PROXY or HTTP_PROXY is still used: the allowlist then limits the destinations
// requested through the proxy, not the connection to the proxy itself.
package egress

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// ErrBlocked is returned, wrapped, for a request to a host outside the allowlist or with a
// scheme the allowlist does not accept. Such a request never reaches the network.
var ErrBlocked = errors.New("egress: destination not allowed")

// Timeouts and limits of the transports that Client builds.
const (
	// DialTimeout bounds one TCP connect.
	DialTimeout = 10 * time.Second
	// TLSHandshakeTimeout bounds one TLS handshake.
	TLSHandshakeTimeout = 10 * time.Second
	// ResponseHeaderTimeout bounds the wait for a reply's headers after the request is sent.
	ResponseHeaderTimeout = 30 * time.Second
	// IdleConnTimeout closes a kept-alive connection that has been idle this long.
	IdleConnTimeout = 90 * time.Second
	// MaxResponseHeaderBytes bounds the headers of one reply. It is an estimate with a wide
	// margin: the replies of Jira and of the JWKS host carry a few KiB of headers.
	MaxResponseHeaderBytes = 64 << 10
)

// Allowlist is the set of destinations that outbound requests may name. It is immutable and
// safe for concurrent use.
type Allowlist struct {
	// entries are lower-case "host" or "host:port" values. A bare host matches it on any port.
	entries   []string
	allowHTTP bool
}

// NewAllowlist returns an allowlist of hosts, each a host name or IP address with an optional
// port ("api.atlassian.com", "127.0.0.1:8443"). Requests must use https unless allowHTTP is
// set. allowHTTP is dangerous: tokens then travel unencrypted, so only development mode and
// tests against a loopback Jira set it.
func NewAllowlist(hosts []string, allowHTTP bool) (*Allowlist, error) {
	a := &Allowlist{allowHTTP: allowHTTP}
	for _, h := range hosts {
		entry, err := parseEntry(h)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(a.entries, entry) {
			a.entries = append(a.entries, entry)
		}
	}
	if len(a.entries) == 0 {
		return nil, errors.New("egress allowlist: missing hosts: name at least one host, such as api.atlassian.com")
	}
	return a, nil
}

// parseEntry checks one allowlist entry and returns it in lower case.
func parseEntry(h string) (string, error) {
	entry := strings.ToLower(strings.TrimSpace(h))
	if entry == "" || strings.ContainsAny(entry, "/?#@ ") {
		return "", fmt.Errorf("invalid egress host %q: give a host name with an optional port, such as api.atlassian.com or 127.0.0.1:8443", h)
	}
	if strings.HasPrefix(entry, "[") && strings.HasSuffix(entry, "]") {
		// A bracketed IPv6 address without a port matches url.URL.Hostname, which has no brackets.
		entry = strings.Trim(entry, "[]")
		if net.ParseIP(entry) == nil {
			return "", fmt.Errorf("invalid egress host %q: the brackets contain no IPv6 address: give a host name or address, such as api.atlassian.com or [::1]", h)
		}
		return entry, nil
	}
	if strings.Contains(entry, ":") {
		host, port, err := net.SplitHostPort(entry)
		if err != nil || host == "" || port == "" {
			return "", fmt.Errorf("invalid egress host %q: give a host name with an optional port, such as api.atlassian.com or 127.0.0.1:8443", h)
		}
	}
	return entry, nil
}

// Hosts returns the entries of the allowlist in the order they were given, in lower case.
func (a *Allowlist) Hosts() []string { return slices.Clone(a.entries) }

// Check returns an error wrapping ErrBlocked unless u names an allowed host with an allowed
// scheme and carries no user information.
func (a *Allowlist) Check(u *url.URL) error {
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && a.allowHTTP:
	default:
		return fmt.Errorf("%w: scheme %q of %s is not allowed (only https)", ErrBlocked, u.Scheme, u.Redacted())
	}
	if u.User != nil {
		return fmt.Errorf("%w: URL %s carries user information", ErrBlocked, u.Redacted())
	}
	host := strings.ToLower(u.Host)
	hostname := strings.ToLower(u.Hostname())
	if hostname == "" {
		return fmt.Errorf("%w: URL %s has no host", ErrBlocked, u.Redacted())
	}
	if slices.Contains(a.entries, host) || slices.Contains(a.entries, hostname) {
		return nil
	}
	return fmt.Errorf("%w: host %q is not on the egress allowlist (%s)", ErrBlocked, u.Host, strings.Join(a.entries, ", "))
}

// Transport returns a RoundTripper that sends only the requests that Check accepts to next,
// and fails the others with an error wrapping ErrBlocked.
func (a *Allowlist) Transport(next http.RoundTripper) http.RoundTripper {
	return &guardTransport{allow: a, next: next}
}

// Client returns an HTTP client whose whole request, redirects and body read included, ends
// after timeout, and whose transport is a NewTransport guarded by the allowlist. timeout must
// be positive.
func (a *Allowlist) Client(timeout time.Duration) *http.Client {
	if timeout <= 0 {
		panic(fmt.Sprintf("egress client: timeout %s is not positive", timeout))
	}
	return &http.Client{Transport: a.Transport(NewTransport()), Timeout: timeout}
}

type guardTransport struct {
	allow *Allowlist
	next  http.RoundTripper
}

func (g *guardTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := g.allow.Check(req.URL); err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	return g.next.RoundTrip(req)
}

// NewTransport returns a transport with every timeout of this package set, TLS 1.2 or newer,
// and the proxy from the environment. Each call returns a new transport with its own
// connection pool.
func NewTransport() *http.Transport {
	dialer := &net.Dialer{Timeout: DialTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    TLSHandshakeTimeout,
		ResponseHeaderTimeout:  ResponseHeaderTimeout,
		ExpectContinueTimeout:  time.Second,
		IdleConnTimeout:        IdleConnTimeout,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    8,
		MaxResponseHeaderBytes: MaxResponseHeaderBytes,
	}
}
