package server

import (
	"fmt"
	"net"
	"net/http"
	"strings"
)

// LoopbackHost rejects with 403 a request whose Host header names anything but localhost or a
// loopback address (127.0.0.0/8 or ::1), with or without a port. Development mode serves every
// request without a token, so without this check a web page whose host name resolves to
// 127.0.0.1 (DNS rebinding) could read the reports in a browser.
func LoopbackHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isLoopbackHost(r.Host) {
			writeError(w, r, &Error{Status: http.StatusForbidden, Code: CodeForbidden,
				Message: "the development server accepts only requests for localhost or a loopback address: open it at http://127.0.0.1:<port>/",
				Err:     fmt.Errorf("host %q is not a loopback host", r.Host)})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isLoopbackHost reports whether hostport, a Host header value, names localhost or a loopback
// address, with an optional decimal port. An IPv6 address counts only in brackets, as in a URL.
// An empty host is not loopback.
func isLoopbackHost(hostport string) bool {
	host := hostport
	if h, port, err := net.SplitHostPort(hostport); err == nil {
		if strings.Trim(port, "0123456789") != "" {
			return false
		}
		host = h
	} else if len(host) > 2 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	} else if strings.Contains(host, ":") {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
