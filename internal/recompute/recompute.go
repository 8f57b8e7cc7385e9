// Package recompute syncs the facts of every Jira project an installation can browse into the
// store and replaces the stored reports of the standard windows.
//
// A run reads a project in full the first time. Later runs read the issues updated since the
// last cursor (minus an overlap) and run an id-only search that finds deleted and moved issues.
// Versions, statuses and issue types are small, so every run reads them. All reports of a
// project are then computed and written together with its facts in one store transaction, so a
// failed or killed run leaves the previous reports in place.
//
// # Caveats
//
// The cursor comes from this process's clock, but Jira compares it with its own `updated`
// timestamps. The overlap (Options.Overlap) absorbs clock skew up to its length.
package recompute

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/jira"
	"github.com/devops-metrics/devops-metrics/internal/store"
)

// WindowDays are the lengths, in days, of the windows whose reports every run stores.
var WindowDays = []int{7, 30, 90, 180, 365}

// Source is the read-only view of one Jira site that a run needs. *jira.Client satisfies it.
type Source interface {
	Myself(ctx context.Context) (jira.Myself, error)
	Projects(ctx context.Context) ([]dora.Project, error)
	Statuses(ctx context.Context) (map[string]dora.StatusCategory, error)
	IssueTypes(ctx context.Context) (map[string]dora.IssueType, error)
	Versions(ctx context.Context, projectID string) ([]dora.Version, error)
	SearchIssueIDs(ctx context.Context, jql string) ([]string, error)
	FetchIssues(ctx context.Context, jql string, progress func(fetched, total int)) ([]jira.FetchedIssue, error)
}

var _ Source = (*jira.Client)(nil)

// Options configures a Recomputer. The zero value of each field selects its default.
type Options struct {
	// Logger receives start, progress, finish and error lines, tagged component=recompute.
	// Nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock for the windows' end and for the sync cursor. Default time.Now.
	Now func() time.Time
	// MaxTenants bounds how many installations sync at the same time. Default 4.
	MaxTenants int
	// Overlap is subtracted from the cursor of an incremental fetch, so that issues updated
	// while the previous fetch ran and small clock differences are not missed. Default 5 minutes.
	// One more minute is always subtracted because JQL date literals have minute granularity.
	Overlap time.Duration
}

// Recomputer runs syncs. It is safe for concurrent use.
type Recomputer struct {
	store *store.Store
	log   *slog.Logger
	now   func() time.Time
	// overlap already includes the minute of JQL's minute granularity.
	overlap time.Duration
	slots   chan struct{}

	mu      sync.Mutex
	flights map[string]*flight
	// background is the context of the runs Trigger starts; Close cancels it.
	background context.Context
	cancel     context.CancelFunc
	wg         sync.WaitGroup
}

// flight is one run of a tenant; callers that join it wait on done and read err.
type flight struct {
	done chan struct{}
	err  error
	// joined counts the calls that joined this run; it is guarded by Recomputer.mu.
	joined int
	// cancel stops the run; it is set before the flight is registered.
	cancel context.CancelFunc
}

// New returns a Recomputer that writes to st.
func New(st *store.Store, opts Options) *Recomputer {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	maxTenants := opts.MaxTenants
	if maxTenants <= 0 {
		maxTenants = 4
	}
	overlap := opts.Overlap
	if overlap <= 0 {
		overlap = 5 * time.Minute
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Recomputer{
		store:      st,
		log:        logger.With("component", "recompute"),
		now:        now,
		overlap:    overlap + time.Minute,
		slots:      make(chan struct{}, maxTenants),
		flights:    make(map[string]*flight),
		background: ctx,
		cancel:     cancel,
	}
}

// Run syncs every project of tenant from src and blocks until done. When a run of the same
// tenant is in progress, Run joins it instead and returns its result, whichever source started
// it. A failed project is logged and keeps its previous reports; the error of every failed
// project is returned, joined. Cancelling ctx stops a run this call started; a joining call
// stops waiting and returns ctx's error.
func (r *Recomputer) Run(ctx context.Context, tenant string, src Source) error {
	f, leader := r.begin(tenant)
	if !leader {
		r.log.Info("recompute joined", "tenant", tenant)
		select {
		case <-f.done:
			return f.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.fly(ctx, tenant, f, func(context.Context) (Source, error) { return src, nil })
	return f.err
}

// DeleteTenant removes everything stored for tenant, as an uninstall requires. It first
// cancels a sync of tenant in progress and waits for it, so the sync cannot write the data
// back. Triggers that arrive during the deletion join it and do nothing.
func (r *Recomputer) DeleteTenant(ctx context.Context, tenant string) error {
	for {
		f, leader := r.begin(tenant)
		if leader {
			defer r.land(tenant, f)
			f.err = r.store.DeleteTenant(tenant)
			return f.err
		}
		r.log.Info("tenant deletion cancels a running sync", "tenant", tenant)
		r.mu.Lock()
		stop := f.cancel
		r.mu.Unlock()
		stop()
		select {
		case <-f.done:
		case <-ctx.Done():
			return fmt.Errorf("delete tenant %s: waiting for its sync to stop: %w", tenant, ctx.Err())
		}
	}
}

// ErrNeedsSync is returned by RecomputeReports when the settings changed the incident JQL,
// whose matches only a sync with Jira can find.
var ErrNeedsSync = errors.New("the incident JQL changed: a sync with Jira is needed")

// RecomputeReports recomputes the stored reports of one project from its stored facts and
// current settings, without calling Jira, as after a settings change. It waits for a running
// sync of tenant to end first. Triggers that arrive meanwhile join it and do nothing. It
// returns ErrNeedsSync, wrapped, when the incident JQL changed since the last sync, and
// store.ErrNotFound, wrapped, when the project has not been synced.
func (r *Recomputer) RecomputeReports(ctx context.Context, tenant, projectID string) error {
	for {
		f, leader := r.begin(tenant)
		if !leader {
			select {
			case <-f.done:
				continue
			case <-ctx.Done():
				return fmt.Errorf("recompute reports of project %s of tenant %s: waiting for the running sync: %w", projectID, tenant, ctx.Err())
			}
		}
		defer r.land(tenant, f)
		f.err = r.recomputeStored(tenant, projectID)
		return f.err
	}
}

func (r *Recomputer) recomputeStored(tenant, projectID string) error {
	now := r.now()
	state, err := r.store.Sync(tenant, projectID)
	if err != nil {
		return err
	}
	cfg, _, err := r.store.Settings(tenant, projectID)
	if err != nil {
		return err
	}
	if cfg.IncidentJQL != state.IncidentJQL {
		return fmt.Errorf("recompute reports of project %s of tenant %s: %w", projectID, tenant, ErrNeedsSync)
	}
	data, err := r.store.ProjectData(tenant, projectID)
	if err != nil {
		return err
	}
	reports, err := ComputeWindows(data, cfg, now)
	if err != nil {
		return fmt.Errorf("recompute reports of project %s of tenant %s: %w", projectID, tenant, err)
	}
	if err := r.store.ReplaceReports(tenant, projectID, cfg, reports, now); err != nil {
		return err
	}
	r.log.Info("reports recomputed from stored facts", "tenant", tenant, "project", projectID)
	return nil
}

// Trigger starts a sync of tenant in the background and returns at once. It returns false when
// a run of tenant is already in progress, which the trigger joins. open is called inside the
// run to obtain the source, so a failure to open it is logged like any other run error. A
// source with a Close method is closed after the run.
func (r *Recomputer) Trigger(tenant string, open func(ctx context.Context) (Source, error)) (started bool) {
	f, leader := r.begin(tenant)
	if !leader {
		r.log.Info("recompute trigger joined a running sync", "tenant", tenant)
		return false
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.fly(r.background, tenant, f, open)
	}()
	return true
}

// Close cancels the runs that Trigger started and waits for them to end. Runs started with
// Run are not affected. Trigger must not be called after Close.
func (r *Recomputer) Close() {
	r.cancel()
	r.wg.Wait()
}

// begin registers a run of tenant, or returns the one in progress with leader false.
func (r *Recomputer) begin(tenant string) (f *flight, leader bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f := r.flights[tenant]; f != nil {
		f.joined++
		return f, false
	}
	f = &flight{done: make(chan struct{}), cancel: func() {}}
	r.flights[tenant] = f
	return f, true
}

// land unregisters the flight f of tenant and releases the callers that joined it.
func (r *Recomputer) land(tenant string, f *flight) {
	r.mu.Lock()
	delete(r.flights, tenant)
	r.mu.Unlock()
	close(f.done)
}

// fly runs the registered flight f to its end and releases the callers that joined it.
func (r *Recomputer) fly(ctx context.Context, tenant string, f *flight, open func(context.Context) (Source, error)) {
	defer r.land(tenant, f)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.mu.Lock()
	f.cancel = cancel
	r.mu.Unlock()

	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		f.err = fmt.Errorf("recompute tenant %s: waiting for a free slot: %w", tenant, ctx.Err())
		return
	}
	defer func() { <-r.slots }()

	src, err := open(ctx)
	if err != nil {
		f.err = fmt.Errorf("recompute tenant %s: open the Jira source: %w", tenant, err)
		r.log.Error("recompute failed", "tenant", tenant, "err", err)
		return
	}
	if closer, ok := src.(interface{ Close() }); ok {
		defer closer.Close()
	}
	f.err = r.runTenant(ctx, tenant, src)
}

// runTenant syncs every project of tenant that src can browse and drops the stored projects it
// can no longer browse.
func (r *Recomputer) runTenant(ctx context.Context, tenant string, src Source) error {
	start := time.Now()
	log := r.log.With("tenant", tenant)
	log.Info("recompute started")

	site, err := readSite(ctx, src)
	if err != nil {
		r.logEnd(ctx, log, "recompute failed", start, "err", err)
		return errors.Join(fmt.Errorf("recompute tenant %s: %w", tenant, err), r.recordFinish(ctx, tenant))
	}

	var errs []error
	synced := 0
	for i, p := range site.projects {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		plog := log.With("project", p.ID, "projectKey", p.Key)
		plog.Info("project sync started", "projectIndex", i+1, "projects", len(site.projects))
		ps := projectSync{r: r, tenant: tenant, src: src, site: site, project: p, log: plog}
		projectStart := time.Now()
		if err := ps.run(ctx); err != nil {
			r.logEnd(ctx, plog, "project sync failed, previous reports kept", projectStart, "err", err)
			errs = append(errs, fmt.Errorf("sync project %s (%s) of tenant %s: %w", p.Key, p.ID, tenant, err))
			continue
		}
		synced++
	}
	if len(errs) == 0 {
		if err := r.dropUnbrowsable(tenant, site.projects, log); err != nil {
			errs = append(errs, err)
		}
	}

	if err := r.recordFinish(ctx, tenant); err != nil {
		errs = append(errs, err)
	}
	err = errors.Join(errs...)
	if err != nil {
		r.logEnd(ctx, log, "recompute finished with errors", start, "projects", len(site.projects), "synced", synced, "err", err)
		return err
	}
	log.Info("recompute finished", "projects", len(site.projects), "duration", time.Since(start))
	return nil
}

// recordFinish stores that a run of tenant ended, so that the gadget stops reporting the first
// sync as running. A cancelled run records nothing, because it may be an uninstall.
func (r *Recomputer) recordFinish(ctx context.Context, tenant string) error {
	if ctx.Err() != nil {
		return nil
	}
	return r.store.PutTenantSync(tenant, store.TenantSync{FinishedAt: r.now()})
}

// logEnd logs a failure at error level, or as a cancellation at info level when ctx ended,
// because a clean stop is not an error.
func (r *Recomputer) logEnd(ctx context.Context, log *slog.Logger, msg string, start time.Time, args ...any) {
	args = append(args, "duration", time.Since(start))
	if ctx.Err() != nil {
		log.Info("recompute cancelled", args...)
		return
	}
	log.Error(msg, args...)
}

// dropUnbrowsable deletes the stored projects that are missing from browsable, because the app
// lost access to them or they were deleted.
func (r *Recomputer) dropUnbrowsable(tenant string, browsable []dora.Project, log *slog.Logger) error {
	keep := make(map[string]bool, len(browsable))
	for _, p := range browsable {
		keep[p.ID] = true
	}
	stored, err := r.store.Projects(tenant)
	if err != nil {
		return err
	}
	for _, p := range stored {
		if keep[p.ID] {
			continue
		}
		if err := r.store.DeleteProject(tenant, p.ID); err != nil {
			return err
		}
		log.Info("project no longer browsable, stored data deleted", "project", p.ID, "projectKey", p.Key)
	}
	return nil
}
