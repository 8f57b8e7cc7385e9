// Package access decides whether a viewer may see a project's data. It checks the viewer's
// permission in Jira with the viewer's own token and caches the decision briefly.
//
// The gate fails closed: when the Jira check fails, the caller gets ErrUnavailable and must
// return no data. Decisions are cached per installation, account, permission and project, a
// grant for at most Options.TTL and a denial for at most Options.DenialTTL, which is never
// longer than TTL. So a revoked permission stops the data within TTL.
//
// Caveats:
//   - The cache lives in one process. Several server processes each ask Jira on their own.
//   - A permission granted in Jira shows up only when the cached denial expires.
package access

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// Jira project permission keys the server checks.
const (
	BrowseProjects     = "BROWSE_PROJECTS"
	AdministerProjects = "ADMINISTER_PROJECTS"
)

// ErrDenied is returned when the viewer lacks the permission on at least one requested project.
// The error is a *DeniedError.
var ErrDenied = errors.New("permission denied")

// ErrUnavailable is returned when the permission check could not be made, for example because
// Jira failed or timed out. Callers must treat it as a denial.
var ErrUnavailable = errors.New("permission check unavailable")

// DeniedError lists the projects on which the viewer lacks a permission.
type DeniedError struct {
	Permission string
	ProjectIDs []string
}

func (e *DeniedError) Error() string {
	return fmt.Sprintf("permission denied: %s missing on project %s", e.Permission, strings.Join(e.ProjectIDs, ", "))
}

// Is makes errors.Is(err, ErrDenied) true for a *DeniedError.
func (e *DeniedError) Is(target error) bool { return target == ErrDenied }

// Checker returns the projects on which the caller has a permission, from Jira. *jira.Client
// satisfies it through POST /rest/api/3/permissions/check.
type Checker interface {
	CheckProjectPermissions(ctx context.Context, permission string, projectIDs []string) (granted []string, err error)
}

// Viewer is whose permissions are checked: an account within one installation.
type Viewer struct {
	Installation string
	AccountID    string
}

// Options configures a Gate. Zero values mean the documented defaults.
type Options struct {
	// TTL is the longest time a grant is cached. Default: 60 s. A negative TTL disables the cache.
	TTL time.Duration
	// DenialTTL is the longest time a denial is cached. Default and maximum: TTL.
	DenialTTL time.Duration
	// MaxEntries bounds the cache. When it is full, expired entries are dropped, and if none
	// expired, the whole cache is cleared. Default: 100,000.
	MaxEntries int
	// Logger receives one line per Jira check and per failure, tagged component=access.
	// Default: slog.Default().
	Logger *slog.Logger
	// Now is the clock for cache expiry. Default: time.Now.
	Now func() time.Time
	// Observe, when set, is called once per checked project with "granted", "denied",
	// "cached_granted", "cached_denied" or "error", for metrics.
	Observe func(outcome string)
}

// Gate checks and caches viewers' project permissions. It is safe for concurrent use.
type Gate struct {
	opts Options
	log  *slog.Logger

	mu    sync.Mutex
	cache map[cacheKey]decision
}

type cacheKey struct {
	installation, account, permission, project string
}

type decision struct {
	granted bool
	expires time.Time
}

// NewGate returns a Gate with an empty cache.
func NewGate(opts Options) *Gate {
	if opts.TTL == 0 {
		opts.TTL = 60 * time.Second
	}
	if opts.DenialTTL <= 0 || opts.DenialTTL > opts.TTL {
		opts.DenialTTL = opts.TTL
	}
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = 100_000
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Observe == nil {
		opts.Observe = func(string) {}
	}
	return &Gate{opts: opts, log: opts.Logger.With("component", "access"), cache: map[cacheKey]decision{}}
}

// Require returns nil when viewer has permission on every project in projectIDs, a
// *DeniedError naming the missing projects when not, and an error wrapping ErrUnavailable when
// the Jira check failed. It makes at most one call to checker, for the projects without a
// cached decision.
func (g *Gate) Require(ctx context.Context, viewer Viewer, checker Checker, permission string, projectIDs []string) error {
	granted, err := g.Filter(ctx, viewer, checker, permission, projectIDs)
	if err != nil {
		return err
	}
	var missing []string
	for _, id := range projectIDs {
		if !slices.Contains(granted, id) && !slices.Contains(missing, id) {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return &DeniedError{Permission: permission, ProjectIDs: missing}
	}
	return nil
}

// Filter returns the projects of projectIDs on which viewer has permission, in the given order
// and without duplicates. On error it returns no projects and an error wrapping ErrUnavailable.
func (g *Gate) Filter(ctx context.Context, viewer Viewer, checker Checker, permission string, projectIDs []string) ([]string, error) {
	if viewer.Installation == "" || viewer.AccountID == "" {
		return nil, fmt.Errorf("%w: no installation or account to check %s for", ErrUnavailable, permission)
	}
	ids := unique(projectIDs)
	known, unknown := g.lookup(viewer, permission, ids)
	if len(unknown) > 0 {
		// Jira's reply describes the permission when the check was sent, so its cache lifetime
		// counts from then, not from when a slow reply arrived.
		asked := g.opts.Now()
		granted, err := g.ask(ctx, viewer, checker, permission, unknown)
		if err != nil {
			return nil, err
		}
		for _, id := range unknown {
			known[id] = slices.Contains(granted, id)
		}
		g.store(viewer, permission, known, unknown, asked)
	}

	var out []string
	for _, id := range ids {
		if known[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

// lookup returns the cached decisions for ids and the ids without one.
func (g *Gate) lookup(viewer Viewer, permission string, ids []string) (map[string]bool, []string) {
	now := g.opts.Now()
	known := make(map[string]bool, len(ids))
	var unknown []string

	g.mu.Lock()
	defer g.mu.Unlock()
	for _, id := range ids {
		d, ok := g.cache[cacheKey{viewer.Installation, viewer.AccountID, permission, id}]
		if !ok || !now.Before(d.expires) {
			unknown = append(unknown, id)
			continue
		}
		known[id] = d.granted
		if d.granted {
			g.opts.Observe("cached_granted")
		} else {
			g.opts.Observe("cached_denied")
		}
	}
	return known, unknown
}

// ask calls Jira once for ids.
func (g *Gate) ask(ctx context.Context, viewer Viewer, checker Checker, permission string, ids []string) ([]string, error) {
	if checker == nil {
		g.observeAll("error", len(ids))
		return nil, fmt.Errorf("%w: no Jira credentials to check %s", ErrUnavailable, permission)
	}
	start := g.opts.Now()
	granted, err := checker.CheckProjectPermissions(ctx, permission, ids)
	if err != nil {
		g.observeAll("error", len(ids))
		g.log.WarnContext(ctx, "permission check failed", "installation", viewer.Installation, "account", viewer.AccountID,
			"permission", permission, "projects", ids, "err", err)
		return nil, fmt.Errorf("%w: check %s of account %s on projects %s: %w", ErrUnavailable, permission, viewer.AccountID, strings.Join(ids, ", "), err)
	}
	for _, id := range ids {
		if slices.Contains(granted, id) {
			g.opts.Observe("granted")
		} else {
			g.opts.Observe("denied")
		}
	}
	g.log.DebugContext(ctx, "permission checked", "installation", viewer.Installation, "account", viewer.AccountID,
		"permission", permission, "projects", ids, "granted", granted, "duration", g.opts.Now().Sub(start))
	return granted, nil
}

func (g *Gate) observeAll(outcome string, n int) {
	for range n {
		g.opts.Observe(outcome)
	}
}

// store caches the decisions on ids, which Jira made at asked.
func (g *Gate) store(viewer Viewer, permission string, decisions map[string]bool, ids []string, asked time.Time) {
	if g.opts.TTL < 0 {
		return
	}
	now := g.opts.Now()

	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.cache)+len(ids) > g.opts.MaxEntries {
		g.evict(now)
	}
	for _, id := range ids {
		ttl := g.opts.TTL
		if !decisions[id] {
			ttl = g.opts.DenialTTL
		}
		g.cache[cacheKey{viewer.Installation, viewer.AccountID, permission, id}] = decision{granted: decisions[id], expires: asked.Add(ttl)}
	}
}

// evict drops expired entries, and everything when none had expired. The caller holds g.mu.
func (g *Gate) evict(now time.Time) {
	before := len(g.cache)
	for key, d := range g.cache {
		if !now.Before(d.expires) {
			delete(g.cache, key)
		}
	}
	if len(g.cache) == before {
		clear(g.cache)
	}
	g.log.Info("permission cache evicted", "entries_before", before, "entries_after", len(g.cache))
}

// Forget drops every cached decision of an installation, such as after it is uninstalled.
func (g *Gate) Forget(installation string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for key := range g.cache {
		if key.installation == installation {
			delete(g.cache, key)
		}
	}
}

func unique(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
