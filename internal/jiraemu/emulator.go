// Package jiraemu emulates the parts of Jira Cloud's REST API v3 that the product reads, for
// tests, benchmarks and the local demo. It serves a Site (a snapshot folder or a generated
// site) over the real paths, both /rest/api/3/... and the Forge form
// /ex/jira/{cloudId}/rest/api/3/..., and behaves as Jira does where the client depends on it:
// opaque expiring nextPageToken values, page-size caps, search changelogs cut to the newest
// 40 histories, Basic and Bearer auth, permissions, a JQL subset with Jira-shaped 400 errors,
// and injectable faults. Every request is logged for request-count assertions.
//
// Production code never imports this package; only cmd (for the demo) and tests do.
//
// # Caveats
//
// The JQL is the subset documented in jql.go, not Jira's full language. A nextPageToken
// encodes an offset into the result list, so issues that change order between pages can
// be repeated or skipped (Jira's own consistency here is undocumented). Only Retry-After and
// RateLimit-Reason are sent with 429 replies, not the X-RateLimit-* headers. Every issue
// lookup and search runs over in-memory data under one lock.
package jiraemu

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/devops-metrics/devops-metrics/internal/jirajson"
)

// User is an account that authenticates with Basic auth (email and API token).
type User struct {
	AccountID string
	Email     string
	APIToken  string
	// TimeZone is the IANA zone in which the emulator reads this user's JQL dates.
	// Empty means the site's time zone, else UTC.
	TimeZone string
	// Admin grants the Administer Jira global permission, which lets the account check other
	// accounts' permissions with permissions/check.
	Admin bool
	// ProjectAdmin grants ADMINISTER_PROJECTS on every project the account may browse, so the
	// account may change project settings that need it.
	ProjectAdmin bool
}

// EmulatorOptions configures an Emulator.
type EmulatorOptions struct {
	// Users may authenticate with Basic auth.
	Users []User
	// BearerTokens maps a Bearer token to the account id it acts for.
	BearerTokens map[string]string
	// Now is the emulator's clock, used for token expiry and mutation timestamps. Default time.Now.
	Now func() time.Time
	// Logger receives a line for every request, tagged component=jiraemu. Nil discards them.
	Logger *slog.Logger
	// TokenTTL is how long a nextPageToken stays valid. Default 7 days, as in Jira Cloud.
	TokenTTL time.Duration
}

// Faults are failures the emulator injects. The zero value injects none. Request numbers
// count every request the emulator receives, from 1, and reset with SetFaults.
type Faults struct {
	// RateLimitEvery makes every Nth request fail with 429 and RetryAfter.
	RateLimitEvery int
	// RateLimitBurst is how many requests in a row fail with 429 from every Nth one on
	// (at most RateLimitEvery). Zero means 1.
	RateLimitBurst int
	// RetryAfter is the Retry-After header value sent with 429 and 503 replies, such as "1"
	// or an HTTP date. Empty sends no header.
	RetryAfter string
	// ServerErrorEvery makes every Nth request fail with ServerErrorStatus (default 503).
	// 1 makes every request fail.
	ServerErrorEvery  int
	ServerErrorStatus int
	// Delay is added before every reply.
	Delay time.Duration
	// TruncateEvery cuts the body of every Nth successful reply in half.
	TruncateEvery int
	// MalformedEvery replaces the body of every Nth successful reply with invalid JSON.
	MalformedEvery int
	// NoBulkChangelog makes POST /rest/api/3/changelog/bulkfetch return 404, like a site without that endpoint.
	NoBulkChangelog bool
	// NoBulkIssues makes POST /rest/api/3/issue/bulkfetch return 404, like a site without that endpoint.
	NoBulkIssues bool
	// BulkIssueErrors makes the first BulkIssueErrors requests to POST /rest/api/3/issue/bulkfetch
	// (counted apart from the others) list their first visible issue in issueErrors instead of
	// returning it, as Jira does after a retriable failure.
	BulkIssueErrors int
}

// RecordedRequest is one request the emulator received.
type RecordedRequest struct {
	Method string
	// Path is the API path without the /ex/jira/{cloudId} prefix.
	Path   string
	Query  string
	Time   time.Time
	Status int
}

// Emulator serves a Site over Jira's REST paths. It is safe for concurrent use.
type Emulator struct {
	mu       sync.RWMutex
	site     *Site
	users    []User
	bearer   map[string]string
	now      func() time.Time
	log      *slog.Logger
	tokenTTL time.Duration
	secret   []byte
	// byID and byKey index site.Issues; rebuildLookup refreshes them after every change.
	byID  map[string]*IssueRecord
	byKey map[string]*IssueRecord
	// generation counts the changes to site; it is written under e.mu held for writing.
	generation uint64
	matches    matchCache

	logMu    sync.Mutex
	faults   Faults
	received int
	// bulkIssueRequests counts the requests to /issue/bulkfetch, for Faults.BulkIssueErrors.
	bulkIssueRequests int
	requests          []RecordedRequest
}

// New returns an emulator serving site. The emulator takes ownership of site.
func New(site *Site, opts EmulatorOptions) *Emulator {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 7 * 24 * time.Hour
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	e := &Emulator{
		site:     site,
		users:    slices.Clone(opts.Users),
		bearer:   opts.BearerTokens,
		now:      opts.Now,
		log:      opts.Logger.With("component", "jiraemu"),
		tokenTTL: opts.TokenTTL,
		secret:   secret,
	}
	e.rebuildLookup()
	return e
}

// SetFaults replaces the injected faults and restarts the request numbering they use.
func (e *Emulator) SetFaults(f Faults) {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	e.faults = f
	e.received = 0
	e.bulkIssueRequests = 0
}

// Requests returns a copy of the request log, oldest first.
func (e *Emulator) Requests() []RecordedRequest {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	return slices.Clone(e.requests)
}

// Count returns how many logged requests have a path matching pattern, a path.Match pattern
// such as "/rest/api/3/project/*/version". An empty pattern counts every request.
func (e *Emulator) Count(pattern string) int {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	n := 0
	for _, r := range e.requests {
		if ok, _ := path.Match(pattern, r.Path); ok || pattern == "" {
			n++
		}
	}
	return n
}

// CountByPath returns the number of logged requests per path.
func (e *Emulator) CountByPath() map[string]int {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	counts := map[string]int{}
	for _, r := range e.requests {
		counts[r.Path]++
	}
	return counts
}

// ResetLog empties the request log.
func (e *Emulator) ResetLog() {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	e.requests = nil
}

// caller is the authenticated account of a request.
type caller struct {
	accountID string
	admin     bool
	loc       *time.Location
	tzName    string
}

// ServeHTTP serves one request: faults first, then authentication, then the API.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	apiPath := stripForgePrefix(r.URL.Path)
	e.logMu.Lock()
	e.received++
	n := e.received
	faults := e.faults
	e.logMu.Unlock()

	// The request is logged when its status is written, before the reply reaches the client,
	// so a caller that has its reply always finds the request in the log.
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	rec.record = func(status int) {
		e.logMu.Lock()
		e.requests = append(e.requests, RecordedRequest{Method: r.Method, Path: apiPath, Query: r.URL.RawQuery, Time: e.now(), Status: status})
		e.logMu.Unlock()
		e.log.Debug("jira emulator request", "method", r.Method, "path", apiPath, "status", status, "n", n)
	}
	defer func() {
		if !rec.logged {
			rec.logged = true
			rec.record(rec.status)
		}
	}()

	if faults.Delay > 0 {
		select {
		case <-time.After(faults.Delay):
		case <-r.Context().Done():
			rec.status = 499
			return
		}
	}
	if inBurst(faults.RateLimitEvery, faults.RateLimitBurst, n) {
		if faults.RetryAfter != "" {
			w.Header().Set("Retry-After", faults.RetryAfter)
		}
		w.Header().Set("RateLimit-Reason", "jira-burst-based")
		writeError(rec, http.StatusTooManyRequests, "Rate limit exceeded.")
		return
	}
	if every(faults.ServerErrorEvery, n) {
		status := faults.ServerErrorStatus
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		if status == http.StatusServiceUnavailable && faults.RetryAfter != "" {
			w.Header().Set("Retry-After", faults.RetryAfter)
		}
		writeError(rec, status, "Internal server error (injected fault).")
		return
	}

	user, ok := e.authenticate(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="jira"`)
		writeError(rec, http.StatusUnauthorized, "Client must be authenticated to access this resource.")
		return
	}

	var corrupt func([]byte) []byte
	switch {
	case every(faults.TruncateEvery, n):
		corrupt = func(b []byte) []byte { return b[:len(b)/2] }
	case every(faults.MalformedEvery, n):
		corrupt = func([]byte) []byte { return []byte(`{"issues": [ not json`) }
	}
	rec.corrupt = corrupt
	e.route(rec, r, apiPath, user, faults)
}

func every(n, i int) bool { return n > 0 && i%n == 0 }

// inBurst reports whether request i is one of the burst requests that start at each multiple of n.
func inBurst(n, burst, i int) bool {
	return n > 0 && i >= n && i%n < max(burst, 1)
}

// stripForgePrefix turns /ex/jira/{cloudId}/rest/... into /rest/....
func stripForgePrefix(p string) string {
	if rest, ok := strings.CutPrefix(p, "/ex/jira/"); ok {
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			return rest[i:]
		}
	}
	return p
}

func (e *Emulator) authenticate(r *http.Request) (caller, bool) {
	auth := r.Header.Get("Authorization")
	var account, tz string
	admin := false
	switch {
	case strings.HasPrefix(auth, "Basic "):
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(auth, "Basic "))
		if err != nil {
			return caller{}, false
		}
		email, token, _ := strings.Cut(string(raw), ":")
		for _, u := range e.users {
			if u.Email == email && u.APIToken == token && token != "" {
				account, tz, admin = u.AccountID, u.TimeZone, u.Admin
			}
		}
	case strings.HasPrefix(auth, "Bearer "):
		account = e.bearer[strings.TrimPrefix(auth, "Bearer ")]
		for _, u := range e.users {
			if u.AccountID == account {
				tz, admin = u.TimeZone, u.Admin
			}
		}
	}
	if account == "" {
		return caller{}, false
	}

	e.mu.RLock()
	if tz == "" {
		tz = e.site.TimeZone
	}
	e.mu.RUnlock()
	if tz == "" {
		tz = "UTC"
	}

	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc, tz = time.UTC, "UTC"
	}
	return caller{accountID: account, admin: admin, loc: loc, tzName: tz}, true
}

// canBrowse reports whether account may browse the project; the caller holds e.mu.
func (e *Emulator) canBrowse(account, projectID string) bool {
	if e.site.Permissions == nil {
		return true
	}
	return slices.Contains(e.site.Permissions[account], projectID)
}

// recorder keeps the status for the log and corrupts the body of a 2xx reply when asked.
type recorder struct {
	http.ResponseWriter
	status  int
	corrupt func([]byte) []byte
	record  func(status int)
	logged  bool
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	if !r.logged {
		r.logged = true
		r.record(status)
	}
	r.ResponseWriter.WriteHeader(status)
}

// writeBody sends a JSON body with status, corrupted when a fault is set for this request.
func (r *recorder) writeBody(status int, body []byte) {
	if r.corrupt != nil && status < 300 {
		body = r.corrupt(body)
	}
	r.Header().Set("Content-Type", "application/json;charset=UTF-8")
	r.Header().Set("Content-Length", strconv.Itoa(len(body)))
	r.WriteHeader(status)
	_, _ = r.Write(body)
}

func writeError(w *recorder, status int, messages ...string) {
	writeJSONReply(w, status, jirajson.ErrorCollection{ErrorMessages: messages, Errors: map[string]string{}})
}

func writeFieldError(w *recorder, status int, field, message string) {
	writeJSONReply(w, status, jirajson.ErrorCollection{ErrorMessages: []string{}, Errors: map[string]string{field: message}})
}

func writeJSONReply(w *recorder, status int, v any) {
	body, err := jsonMarshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(fmt.Sprintf(`{"errorMessages":[%q],"errors":{}}`, "encode reply: "+err.Error()))
	}
	w.writeBody(status, body)
}
