package jira

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gojira "github.com/andygrunwald/go-jira"

	"github.com/devops-metrics/devops-metrics/internal/egress"
)

// Defaults for the zero values of Options.
const (
	DefaultMaxAttempts = 6
	// DefaultMaxConnectAttempts is low because a refused connection or an unknown host name
	// usually means a wrong URL or a network outage, which waiting does not fix.
	DefaultMaxConnectAttempts = 3
	DefaultMaxConcurrency     = 4
	DefaultMaxBackoff         = 30 * time.Second
	DefaultMaxRetryAfter      = 2 * time.Minute
	defaultBaseBackoff        = 500 * time.Millisecond
	// maxBodyBytes bounds how much of one reply the client reads. A bulkfetch page of 10,000
	// status histories is estimated at under 10 MiB (under 1 KiB per history with its author),
	// so a larger reply is treated as broken.
	maxBodyBytes = 64 << 20
)

// Options tunes a Client. The zero value of each field selects its default.
type Options struct {
	// HTTPClient supplies the base transport and timeout. Nil means a client with a
	// 60-second overall timeout on a clone of http.DefaultTransport. Its CheckRedirect is
	// replaced: the client never follows redirects.
	HTTPClient *http.Client
	// Logger receives retry and progress lines, tagged component=jira. Nil discards them.
	Logger *slog.Logger
	// MaxAttempts bounds the requests sent for one call, the first included. Default 6.
	MaxAttempts int
	// MaxConnectAttempts bounds the attempts of one call while no connection to Jira can be
	// opened (ErrUnreachable), the first included. It is at most MaxAttempts. Default 3.
	MaxConnectAttempts int
	// MaxConcurrency bounds the requests in flight at once to one site, across every Client
	// of this process built for the same site URL. The first Client of a site sets the bound.
	// Default 4.
	MaxConcurrency int
	// ConcurrencyGroup names a separate pool of MaxConcurrency slots for the same site. Clients
	// in different groups never wait for each other's slots, so the permission checks of
	// gadget views (one group) are not queued behind a running sync (another). Default "".
	ConcurrencyGroup string
	// MaxBackoff caps one exponential backoff wait. Default 30 s.
	MaxBackoff time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits for; a longer one fails the
	// call at once with ErrUnavailable. Default 2 min.
	MaxRetryAfter time.Duration
	// Sleep waits for d or until ctx ends. Tests replace it to skip real waits. Default: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for Retry-After dates and logged or observed durations. Default time.Now.
	Now func() time.Time
	// Jitter returns a random duration in [0, d). Default math/rand/v2.
	Jitter func(d time.Duration) time.Duration
	// Observe, when set, is called after every attempt, for metrics such as
	// devops_metrics_jira_requests_total. It must be safe for concurrent use and return quickly.
	Observe func(RequestObservation)
}

// RequestObservation describes one attempt of one API call.
type RequestObservation struct {
	Method string
	// Endpoint is the API path with ids replaced by {id}, such as
	// "/rest/api/3/issue/{id}/changelog", so it is safe as a metric label.
	Endpoint string
	// Status is the HTTP status, or 0 when no reply arrived.
	Status   int
	Attempt  int
	Duration time.Duration
}

// Client reads one Jira Cloud site. It is safe for concurrent use.
type Client struct {
	jc     *gojira.Client
	site   *url.URL
	log    *slog.Logger
	opts   Options
	slots  chan struct{}
	noBulk atomic.Bool // set once changelog bulkfetch returned 404 or 405
	// noBulkIssues is set once issue bulkfetch returned 404 or 405.
	noBulkIssues atomic.Bool
	cleanup      func()
}

// NewBasic returns a client that authenticates with an Atlassian account email and API token
// against a site URL such as https://your-site.atlassian.net.
func NewBasic(siteURL, email, apiToken string, opts Options) (*Client, error) {
	if email == "" || apiToken == "" {
		return nil, errors.New("jira basic auth: the account email and API token are both required")
	}
	return newClient(siteURL, opts, func(next http.RoundTripper) http.RoundTripper {
		return &gojira.BasicAuthTransport{Username: email, Password: apiToken, Transport: next}
	})
}

// NewBearer returns a client that sends a Forge token as a Bearer token to apiBaseURL, the
// app.apiBaseUrl that the Forge invocation token names
// (https://api.atlassian.com/ex/jira/{cloudId}).
func NewBearer(apiBaseURL, token string, opts Options) (*Client, error) {
	if token == "" {
		return nil, errors.New("jira bearer auth: the token is required")
	}
	return newClient(apiBaseURL, opts, func(next http.RoundTripper) http.RoundTripper {
		return &gojira.BearerAuthTransport{Token: token, Transport: next}
	})
}

func newClient(rawURL string, opts Options, auth func(http.RoundTripper) http.RoundTripper) (*Client, error) {
	site, err := parseSiteURL(rawURL)
	if err != nil {
		return nil, err
	}
	opts = withDefaults(opts)

	base := opts.HTTPClient
	var baseTransport http.RoundTripper
	timeout := 60 * time.Second
	cleanup := func() {}
	if base != nil {
		baseTransport = base.Transport
		timeout = base.Timeout
	}
	if baseTransport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = opts.MaxConcurrency
		baseTransport = t
		cleanup = t.CloseIdleConnections
	}
	httpClient := &http.Client{
		Transport: &guardTransport{site: site, next: auth(baseTransport)},
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	jc, err := gojira.NewClient(httpClient, site.String())
	if err != nil {
		return nil, fmt.Errorf("jira client for %s: %w", site.Redacted(), err)
	}
	return &Client{
		jc:      jc,
		site:    site,
		log:     opts.Logger.With("component", "jira"),
		opts:    opts,
		slots:   siteSlots(site.String()+"\x00"+opts.ConcurrencyGroup, opts.MaxConcurrency),
		cleanup: cleanup,
	}, nil
}

// Close releases idle connections of the transport the client created itself.
func (c *Client) Close() { c.cleanup() }

// SiteURL returns the base URL requests go to.
func (c *Client) SiteURL() string { return c.site.String() }

func parseSiteURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return nil, fmt.Errorf("invalid Jira URL %q: %w", rawURL, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("invalid Jira URL %q: use https://your-site.atlassian.net", rawURL)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("invalid Jira URL %q: give only the scheme, host and optional path, such as https://your-site.atlassian.net", rawURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

func withDefaults(o Options) Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.MaxConnectAttempts <= 0 {
		o.MaxConnectAttempts = DefaultMaxConnectAttempts
	}
	o.MaxConnectAttempts = min(o.MaxConnectAttempts, o.MaxAttempts)
	if o.MaxConcurrency <= 0 {
		o.MaxConcurrency = DefaultMaxConcurrency
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if o.Sleep == nil {
		o.Sleep = sleepContext
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Jitter == nil {
		o.Jitter = randomJitter
	}
	return o
}

// reply is one reply with its body read in full.
type reply struct {
	status int
	header http.Header
	body   []byte
	// buf holds body. release returns it for reuse once nothing refers to body any more.
	buf *bytes.Buffer
}

// bodyBuffers are the buffers of reply bodies already decoded, kept for the next replies. A
// full sync of 100,000 issues reads about 170 MB of bodies (an estimate from an allocation
// profile), and reusing their buffers spares the garbage collector most of it. Buffers above
// 16 MiB are not kept.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// release returns the reply's buffer for reuse. The decoders copy every string they keep, so
// after a successful decode nothing refers to the body.
func (r *reply) release() {
	if r.buf != nil && r.buf.Cap() <= 16<<20 {
		bodyBuffers.Put(r.buf)
	}
	r.buf, r.body = nil, nil
}

// call sends one API request, retrying transient failures, and decodes a 2xx body into out
// (unless out is nil). apiPath is relative to the site, such as "/rest/api/3/myself".
func (c *Client) call(ctx context.Context, method, apiPath string, query url.Values, body any, out any) error {
	return c.callDecode(ctx, method, apiPath, query, body, func(b []byte) error {
		if out == nil {
			return nil
		}
		return decodeJSON(b, out)
	})
}

// callDecode is call with a custom decoder. A decode failure counts as a transient failure,
// because a cut connection can deliver a truncated body with a 200 status.
func (c *Client) callDecode(ctx context.Context, method, apiPath string, query url.Values, body any, decode func([]byte) error) error {
	target := apiPath
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	for attempt := 1; ; attempt++ {
		sent := c.opts.Now()
		rep, err := c.send(ctx, method, target, body)
		c.observe(method, apiPath, rep, attempt, sent)
		var wait time.Duration
		var apiErr *APIError
		switch {
		case err != nil:
			// A blocked request fails the same way on every attempt, so it is not retried.
			if errors.Is(err, ErrReadOnly) || errors.Is(err, egress.ErrBlocked) {
				return fmt.Errorf("jira %s %s: %w", method, apiPath, err)
			}
			if ctxErr := ctx.Err(); ctxErr != nil {
				return fmt.Errorf("jira %s %s: %w", method, apiPath, ctxErr)
			}
			apiErr = &APIError{Method: method, Path: apiPath, Attempts: attempt, Err: err}
			wait = c.backoff(attempt)
		case rep.status >= 200 && rep.status < 300:
			decodeErr := decode(rep.body)
			if decodeErr == nil {
				rep.release()
				return nil
			}
			apiErr = &APIError{Method: method, Path: apiPath, Attempts: attempt, Err: fmt.Errorf("%w: %w", errUnreadableReply, decodeErr)}
			wait = c.backoff(attempt)
		default:
			apiErr = newAPIError(method, apiPath, rep)
			apiErr.Attempts = attempt
			if !apiErr.retryable() {
				return apiErr
			}
			if wait, err = c.retryWait(rep, attempt); err != nil {
				apiErr.Err = err
				return apiErr
			}
		}
		if attempt >= c.opts.MaxAttempts || (apiErr.connectFailed() && attempt >= c.opts.MaxConnectAttempts) {
			c.log.Warn("jira request failed", "method", method, "path", apiPath, "attempts", attempt, "status", apiErr.Status, "err", apiErr.Err)
			return apiErr
		}
		c.log.Info("jira request retry", "method", method, "path", apiPath, "attempt", attempt, "status", apiErr.Status, "wait", wait, "err", apiErr.Err)
		if err := c.opts.Sleep(ctx, wait); err != nil {
			return fmt.Errorf("jira %s %s: wait before retry: %w", method, apiPath, err)
		}
	}
}

// retryWait returns the wait before retrying a failed reply: its Retry-After for 429 and 503
// when present, else the exponential backoff. A Retry-After beyond MaxRetryAfter is an error.
func (c *Client) retryWait(rep *reply, attempt int) (time.Duration, error) {
	if rep.status != 429 && rep.status != 503 {
		return c.backoff(attempt), nil
	}
	ra, ok := parseRetryAfter(rep.header.Get("Retry-After"), c.opts.Now())
	if !ok {
		return c.backoff(attempt), nil
	}
	if ra > c.opts.MaxRetryAfter {
		return 0, fmt.Errorf("the Retry-After of %s exceeds the %s the client waits", ra, c.opts.MaxRetryAfter)
	}
	return ra, nil
}

var (
	slotsMu sync.Mutex
	slotsBy = map[string]chan struct{}{}
)

// siteSlots returns the request slots shared by every Client of one site URL, so that several
// syncs of one site together stay within the bound. Entries live as long as the process,
// which holds one per site.
func siteSlots(site string, n int) chan struct{} {
	slotsMu.Lock()
	defer slotsMu.Unlock()
	if slots, ok := slotsBy[site]; ok {
		return slots
	}
	slots := make(chan struct{}, n)
	slotsBy[site] = slots
	return slots
}

// send performs one attempt, holding one of the site's concurrency slots.
func (c *Client) send(ctx context.Context, method, target string, body any) (*reply, error) {
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.slots }()

	req, err := c.jc.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	if body == nil {
		req.Header.Del("Content-Type")
	}
	req.Header.Set("Accept", "application/json")

	// go-jira's Do returns the response along with a generic error for non-2xx statuses;
	// the status is inspected here instead, so that error carries nothing new.
	resp, err := c.jc.Do(req, nil)
	if resp == nil || resp.Response == nil {
		if err == nil {
			err = errors.New("no response")
		}
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }() // the body is read in full below; a close error changes nothing
	// A buffer with room for the announced length, plus the room bytes.Buffer wants free before
	// each read, takes the body without growing. io.ReadAll would grow and copy its buffer about
	// a dozen times for a 2 MB reply. The announced length is trusted up to 8 MiB; past that the
	// buffer grows with what arrives.
	size := bytes.MinRead
	if resp.ContentLength > 0 {
		size += int(min(resp.ContentLength, 8<<20))
	}
	buf := bodyBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	buf.Grow(size)
	_, readErr := buf.ReadFrom(io.LimitReader(resp.Body, maxBodyBytes+1))
	if readErr != nil {
		return nil, fmt.Errorf("read reply body: %w", readErr)
	}
	data := buf.Bytes()
	if len(data) > maxBodyBytes {
		return nil, fmt.Errorf("reply body exceeds %d bytes", maxBodyBytes)
	}
	return &reply{status: resp.StatusCode, header: resp.Header, body: data, buf: buf}, nil
}

func newAPIError(method, apiPath string, rep *reply) *APIError {
	e := &APIError{Method: method, Path: apiPath, Status: rep.status}
	if msgs, fields, ok := decodeErrorBody(rep.body); ok {
		e.Messages, e.Fields = msgs, fields
	}
	return e
}

func (c *Client) observe(method, apiPath string, rep *reply, attempt int, sent time.Time) {
	if c.opts.Observe == nil {
		return
	}
	status := 0
	if rep != nil {
		status = rep.status
	}
	c.opts.Observe(RequestObservation{Method: method, Endpoint: endpointPattern(apiPath), Status: status, Attempt: attempt, Duration: c.opts.Now().Sub(sent)})
}

// endpointPattern replaces the id or key segment of the paths that carry one with {id}.
func endpointPattern(apiPath string) string {
	parts := strings.Split(apiPath, "/")
	// parts[0] is empty, then "rest", "api", "3", resource, id, ...
	if len(parts) >= 6 && (parts[4] == "issue" || parts[4] == "project" || parts[4] == "version") && parts[5] != "search" && parts[5] != "bulkfetch" {
		parts[5] = "{id}"
	}
	return strings.Join(parts, "/")
}
