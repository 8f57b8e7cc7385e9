// Package jira is a read-only client for the Jira Cloud REST API v3.
//
// It reads what the DORA engine needs: projects, statuses, issue types, versions, issues
// with their COMPLETE status history, the caller's time zone and the caller's permissions.
// Requests go through github.com/andygrunwald/go-jira's request plumbing and auth transports;
// the calls that library lacks are built with its NewRequestWithContext.
//
// Search with expand=changelog returns only the newest histories of each issue, so the
// client never relies on it. It searches with a minimal field list and then fetches the
// complete status history through /rest/api/3/changelog/bulkfetch (1,000 issues a call),
// falling back to per-issue /rest/api/3/issue/{id}/changelog paging when bulkfetch returns
// 404 or 405.
//
// # Read-only by construction
//
// Every request passes a guard transport before any byte leaves the process. The guard
// rejects every method except GET and POST, accepts POST only on the four read endpoints
// (search/jql, search/approximate-count, changelog/bulkfetch, permissions/check), and
// rejects any destination other than the site the Client was built for. Redirects are
// never followed.
//
// # Retries
//
// 429 and 503 replies wait for Retry-After (seconds or an HTTP date). Other transient
// failures (500, 502, 504, network errors, truncated or malformed bodies) back off
// exponentially with jitter up to Options.MaxBackoff. Attempts are bounded by
// Options.MaxAttempts, and at most Options.MaxConcurrency requests to one site are in
// flight at once. When no connection can be opened (unknown host name, refused or timed-out
// connection), the client gives up after Options.MaxConnectAttempts and returns an error that
// matches ErrUnreachable. Other 4xx replies are returned at once as *APIError.
//
// # Caveats
//
// The concurrency cap is shared by the Clients of one site URL within one process; separate
// processes do not coordinate.
// The client never logs credentials; it logs the method, path, attempt and wait of every retry.
package jira
