package server

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// noContent is the handler behind each development-mode guard in these tests.
var noContent = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })

func TestLoopbackHostMiddleware(t *testing.T) {
	cases := []struct {
		host   string
		status int
	}{
		{"127.0.0.1:8080", http.StatusNoContent},
		{"127.0.0.1", http.StatusNoContent},
		{"127.1.2.3:8080", http.StatusNoContent},
		{"localhost:8080", http.StatusNoContent},
		{"LocalHost", http.StatusNoContent},
		{"[::1]:8080", http.StatusNoContent},
		{"[::1]", http.StatusNoContent},
		{"[::ffff:127.0.0.1]:8080", http.StatusNoContent},
		{"::1", http.StatusForbidden},
		{"[127.0.0.1", http.StatusForbidden},
		{"[]", http.StatusForbidden},
		{"127.0.0.1:http", http.StatusForbidden},
		{"evil.example", http.StatusForbidden},
		{"evil.example:8080", http.StatusForbidden},
		{"127.0.0.1.evil.example:8080", http.StatusForbidden},
		{"localhost.evil.example", http.StatusForbidden},
		{"localhost.:8080", http.StatusForbidden},
		{"10.0.0.5:8080", http.StatusForbidden},
		{"0.0.0.0:8080", http.StatusForbidden},
		{"[::]:8080", http.StatusForbidden},
		{"[fe80::1]:8080", http.StatusForbidden},
		{"169.254.169.254", http.StatusForbidden},
		{"", http.StatusForbidden},
	}
	handler := LoopbackHost(noContent)
	for _, tc := range cases {
		t.Run("host "+tc.host, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/forge/gadget/projects", nil)
			req.Host = tc.host
			rec := httptest.NewRecorder()

			handler.ServeHTTP(rec, req)

			assert.Equal(t, tc.status, rec.Code)
			if tc.status == http.StatusForbidden {
				assert.Equal(t, CodeForbidden, errorCodeOf(t, rec))
			}
		})
	}
}

func TestRejectCrossOriginMiddleware(t *testing.T) {
	cases := []struct {
		name   string
		method string
		origin string
		site   string
		tls    bool
		status int
	}{
		{name: "POST without browser headers", method: http.MethodPost, status: http.StatusNoContent},
		{name: "POST from own origin", method: http.MethodPost, origin: "http://127.0.0.1:8080", site: "same-origin", status: http.StatusNoContent},
		{name: "PUT from own origin in upper case", method: http.MethodPut, origin: "HTTP://127.0.0.1:8080", status: http.StatusNoContent},
		{name: "POST typed into the address bar", method: http.MethodPost, site: "none", status: http.StatusNoContent},
		{name: "POST from own origin over TLS", method: http.MethodPost, origin: "https://127.0.0.1:8080", tls: true, status: http.StatusNoContent},
		{name: "POST from foreign origin", method: http.MethodPost, origin: "http://evil.example", status: http.StatusForbidden},
		{name: "POST from foreign origin claiming same-origin", method: http.MethodPost, origin: "http://evil.example", site: "same-origin", status: http.StatusForbidden},
		{name: "POST from another port of the host", method: http.MethodPost, origin: "http://127.0.0.1:3000", site: "same-site", status: http.StatusForbidden},
		{name: "POST from localhost to 127.0.0.1", method: http.MethodPost, origin: "http://localhost:8080", status: http.StatusForbidden},
		{name: "POST from https to http", method: http.MethodPost, origin: "https://127.0.0.1:8080", status: http.StatusForbidden},
		{name: "POST from opaque origin", method: http.MethodPost, origin: "null", status: http.StatusForbidden},
		{name: "POST cross-site without origin", method: http.MethodPost, site: "cross-site", status: http.StatusForbidden},
		{name: "PUT cross-site", method: http.MethodPut, origin: "http://evil.example", site: "cross-site", status: http.StatusForbidden},
		{name: "DELETE from foreign origin", method: http.MethodDelete, origin: "http://evil.example", status: http.StatusForbidden},
		{name: "PATCH cross-site from own origin", method: http.MethodPatch, origin: "http://127.0.0.1:8080", site: "cross-site", status: http.StatusForbidden},
		{name: "GET from foreign origin", method: http.MethodGet, origin: "http://evil.example", site: "cross-site", status: http.StatusNoContent},
		{name: "HEAD from foreign origin", method: http.MethodHead, origin: "http://evil.example", site: "cross-site", status: http.StatusNoContent},
		{name: "OPTIONS from foreign origin", method: http.MethodOptions, origin: "http://evil.example", site: "cross-site", status: http.StatusNoContent},
	}
	handler := RejectCrossOrigin(noContent)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, "/forge/triggers/recompute", strings.NewReader("{}"))
			req.Host = "127.0.0.1:8080"
			req.Header.Set("Content-Type", "text/plain")
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			if tc.site != "" {
				req.Header.Set("Sec-Fetch-Site", tc.site)
			}
			if tc.tls {
				req.TLS = &tls.ConnectionState{}
			}
			rec := httptest.NewRecorder()

			handler.ServeHTTP(rec, req)

			assert.Equal(t, tc.status, rec.Code)
			if tc.status == http.StatusForbidden {
				assert.Equal(t, CodeForbidden, errorCodeOf(t, rec))
			}
		})
	}
}

func TestRejectCrossSiteMiddleware(t *testing.T) {
	cases := []struct {
		method string
		site   string
		status int
	}{
		{http.MethodGet, "", http.StatusNoContent},
		{http.MethodGet, "same-origin", http.StatusNoContent},
		{http.MethodGet, "same-site", http.StatusNoContent},
		{http.MethodGet, "none", http.StatusNoContent},
		{http.MethodGet, "cross-site", http.StatusForbidden},
		{http.MethodGet, "Cross-Site", http.StatusForbidden},
		{http.MethodHead, "cross-site", http.StatusForbidden},
		{http.MethodOptions, "cross-site", http.StatusForbidden},
		{http.MethodPost, "cross-site", http.StatusForbidden},
	}
	handler := RejectCrossSite(noContent)
	for _, tc := range cases {
		t.Run(tc.method+" with Sec-Fetch-Site "+tc.site, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, "/api/report?project=EE", nil)
			req.Host = "127.0.0.1:8080"
			if tc.site != "" {
				req.Header.Set("Sec-Fetch-Site", tc.site)
			}
			rec := httptest.NewRecorder()

			handler.ServeHTTP(rec, req)

			assert.Equal(t, tc.status, rec.Code)
			if tc.status == http.StatusForbidden && tc.method != http.MethodHead {
				assert.Equal(t, CodeForbidden, errorCodeOf(t, rec))
			}
		})
	}
}

// FuzzLoopbackHost checks that every Host header value that LoopbackHost accepts is one that a
// URL parser also reads as localhost or a loopback address.
func FuzzLoopbackHost(f *testing.F) {
	for _, seed := range []string{"127.0.0.1:8080", "localhost", "[::1]:8080", "[::1]", "::1", "[127.0.0.1",
		"127.0.0.1.evil.example", "evil.example:8080", "[::ffff:127.0.0.1]:80", "localhost:", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, host string) {
		if !isLoopbackHost(host) {
			return
		}
		u, err := url.Parse("http://" + host + "/")
		if err != nil {
			t.Fatalf("accepted host %q does not parse as a URL host: %v", host, err)
		}
		name := u.Hostname()
		ip := net.ParseIP(name)
		if !strings.EqualFold(name, "localhost") && (ip == nil || !ip.IsLoopback()) {
			t.Fatalf("accepted host %q has URL host name %q, which is not loopback", host, name)
		}
	})
}
