package jira

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
)

// Sentinel errors. Test for them with errors.Is; the concrete error is usually an *APIError.
var (
	// ErrUnauthorized is returned when Jira returns 401: the credentials are missing, wrong or expired.
	ErrUnauthorized = errors.New("jira: unauthorized")
	// ErrForbidden is returned when Jira returns 403: the caller may not read the resource.
	ErrForbidden = errors.New("jira: forbidden")
	// ErrNotFound is returned when Jira returns 404, which Jira also uses for resources the caller may not see.
	ErrNotFound = errors.New("jira: not found")
	// errUnreadableReply wraps the decode error of a 2xx reply, which is retried like a
	// transient failure because a cut connection can deliver part of a body.
	errUnreadableReply = errors.New("decode reply")
	// ErrBadRequest is returned when Jira rejects a request with 400 or another 4xx not listed above,
	// for example invalid JQL. The *APIError carries Jira's errorMessages and errors.
	ErrBadRequest = errors.New("jira: bad request")
	// ErrUnavailable is returned when Jira kept replying 429, 500, 502, 503 or 504, or kept
	// failing with network errors or unreadable bodies, until the attempts ran out, or when it
	// requested a Retry-After longer than the client waits.
	ErrUnavailable = errors.New("jira: unavailable after retries")
	// ErrUnreachable is returned when no connection to Jira could be opened: the host name
	// did not resolve, or the connection was refused or timed out. Such a failure also matches
	// ErrUnavailable, but the client gives up on it after MaxConnectAttempts.
	ErrUnreachable = errors.New("jira: cannot connect")
	// ErrReadOnly is returned when the client's guard blocks a request that could write to Jira
	// or leave for another host. Such a request never reaches the network.
	ErrReadOnly = errors.New("jira: request blocked by the read-only guard")
)

// APIError is a Jira reply that the client did not accept.
type APIError struct {
	Method string
	Path   string
	// Status is the HTTP status of the last attempt, or 0 when the last attempt failed
	// before a status arrived (network error) or its body could not be read or decoded.
	Status int
	// Messages and Fields are Jira's errorMessages and errors from the reply body.
	Messages []string
	Fields   map[string]string
	// Attempts is the number of requests sent for this call.
	Attempts int
	// Err is the cause when there is no usable status, such as a network or decode error.
	Err error
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "jira %s %s", e.Method, e.Path)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": status %d", e.Status)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if len(e.Messages) > 0 {
		fmt.Fprintf(&b, ": %s", strings.Join(e.Messages, "; "))
	}
	if len(e.Fields) > 0 {
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "; %s: %s", k, e.Fields[k])
		}
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if hint := e.hint(); hint != "" {
		fmt.Fprintf(&b, " (%s)", hint)
	}
	return b.String()
}

func (e *APIError) hint() string {
	switch {
	case e.Status == 401:
		return "check the account email and API token, or the Forge token"
	case e.Status == 403:
		return "the account lacks the permission to read this"
	case e.Status >= 300 && e.Status < 400:
		return "Jira replied with a redirect, which the client does not follow: use the site's base URL, such as https://your-site.atlassian.net"
	case e.connectFailed():
		return "cannot connect to Jira: check the site URL and the network"
	case errors.Is(e.Err, errUnreadableReply):
		return "Jira's reply was cut off or malformed: try again later, and report it if it persists"
	case e.retryable():
		return "Jira is rate limiting or unavailable: try again later"
	}
	return ""
}

// retryable reports whether the failure is transient: no usable reply, 429, or a 5xx that
// gateways and overloaded servers send (500, 502, 503, 504).
func (e *APIError) retryable() bool {
	switch e.Status {
	case 0, 429, 500, 502, 503, 504:
		return true
	}
	return false
}

// connectFailed reports whether the attempt failed before a connection to Jira was open.
func (e *APIError) connectFailed() bool {
	return e.Status == 0 && isConnectError(e.Err)
}

// isConnectError reports whether err comes from resolving Jira's host name or dialing it, as
// opposed to a failure on an open connection.
func isConnectError(err error) bool {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	return errors.As(err, &dnsErr) || (errors.As(err, &opErr) && opErr.Op == "dial")
}

// Is matches the sentinel errors of this package by status.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == 401
	case ErrForbidden:
		return e.Status == 403
	case ErrNotFound:
		return e.Status == 404
	case ErrBadRequest:
		return e.Status >= 400 && e.Status < 500 && e.Status != 401 && e.Status != 403 && e.Status != 404 && e.Status != 429
	case ErrUnavailable:
		return e.retryable()
	case ErrUnreachable:
		return e.connectFailed()
	}
	return false
}

func (e *APIError) Unwrap() error { return e.Err }

func asAPIError(err error, target **APIError) bool {
	return errors.As(err, target)
}
