package recompute

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/jira"
	"github.com/devops-metrics/devops-metrics/internal/jirajson"
	"github.com/devops-metrics/devops-metrics/internal/store"
)

// jqlDateLayout is the format of a JQL date literal, which Jira reads in the calling user's time zone.
const jqlDateLayout = "2006/01/02 15:04"

// siteFacts are the site-wide reads a run makes once per tenant.
type siteFacts struct {
	// userZone is the time zone in which Jira reads the JQL date literals of the source's account.
	userZone   *time.Location
	timeZone   string
	projects   []dora.Project
	statuses   map[string]dora.StatusCategory
	issueTypes map[string]dora.IssueType
	// statusList and issueTypeList are the statuses and issue types with their names, read only
	// from a source that lists them (a namedSource). Nil otherwise.
	statusList    []jirajson.Status
	issueTypeList []jirajson.IssueType
}

// namedSource is implemented by a Source that lists statuses and issue types with their names,
// as *jira.Client does. A run then reads them once, for the categories and for the names.
type namedSource interface {
	StatusList(ctx context.Context) ([]jirajson.Status, error)
	IssueTypeList(ctx context.Context) ([]jirajson.IssueType, error)
}

var _ namedSource = (*jira.Client)(nil)

func readSite(ctx context.Context, src Source) (siteFacts, error) {
	var site siteFacts
	me, err := src.Myself(ctx)
	if err != nil {
		return site, fmt.Errorf("read the calling account: %w", err)
	}
	site.timeZone = me.TimeZone
	site.userZone = time.UTC
	if me.TimeZone != "" {
		loc, err := time.LoadLocation(me.TimeZone)
		if err != nil {
			return site, fmt.Errorf("load time zone %q of the calling account: %w", me.TimeZone, err)
		}
		site.userZone = loc
	}
	if site.projects, err = src.Projects(ctx); err != nil {
		return site, fmt.Errorf("list projects: %w", err)
	}
	if named, ok := src.(namedSource); ok {
		if site.statusList, err = named.StatusList(ctx); err != nil {
			return site, fmt.Errorf("read statuses: %w", err)
		}
		if site.issueTypeList, err = named.IssueTypeList(ctx); err != nil {
			return site, fmt.Errorf("read issue types: %w", err)
		}
		site.statuses = jirajson.StatusCategories(site.statusList)
		site.issueTypes = jirajson.IssueTypes(site.issueTypeList)
		return site, nil
	}
	if site.statuses, err = src.Statuses(ctx); err != nil {
		return site, fmt.Errorf("read statuses: %w", err)
	}
	if site.issueTypes, err = src.IssueTypes(ctx); err != nil {
		return site, fmt.Errorf("read issue types: %w", err)
	}
	return site, nil
}

// metadata returns the names of the statuses and issue types that projectID may use, or nil
// when the source did not list names. A status scoped to another (team-managed) project and
// a status without a known category are left out, like the engine leaves them out.
func (site siteFacts) metadata(projectID string) *store.ProjectMetadata {
	if site.statusList == nil && site.issueTypeList == nil {
		return nil
	}
	md := &store.ProjectMetadata{Statuses: []store.StatusInfo{}, IssueTypes: []store.IssueTypeInfo{}}
	seen := make(map[string]bool, len(site.statusList))
	for _, s := range site.statusList {
		if seen[s.ID] {
			continue
		}
		seen[s.ID] = true
		if s.Scope != nil && s.Scope.Project != nil && string(s.Scope.Project.ID) != projectID {
			continue
		}
		category, known := site.statuses[s.ID]
		if !known {
			continue
		}
		md.Statuses = append(md.Statuses, store.StatusInfo{ID: s.ID, Name: s.Name, Category: category})
	}
	seen = make(map[string]bool, len(site.issueTypeList))
	for _, t := range site.issueTypeList {
		// Jira has been seen to list an id twice with two names; the first name is kept.
		if seen[t.ID] {
			continue
		}
		seen[t.ID] = true
		facts := t.Facts()
		md.IssueTypes = append(md.IssueTypes, store.IssueTypeInfo{
			ID: t.ID, Name: t.Name, UntranslatedName: facts.UntranslatedName, Subtask: facts.Subtask, HierarchyLevel: facts.HierarchyLevel,
		})
	}
	return md
}

// projectSync is the sync of one project within a tenant run.
type projectSync struct {
	r       *Recomputer
	tenant  string
	src     Source
	site    siteFacts
	project dora.Project
	log     *slog.Logger
}

// run reads the project's changes from Jira, merges them into the stored facts, computes every
// window and writes the facts and reports in one transaction. When nothing changed since the
// previous run on the same calendar day, it reads no stored issue and moves the stored reports
// to the new instant instead (see refresh).
func (ps projectSync) run(ctx context.Context) error {
	began := time.Now()
	now := ps.r.now()
	tenant, id := ps.tenant, ps.project.ID

	cfg, _, err := ps.r.store.Settings(tenant, id)
	if err != nil {
		return err
	}
	// Validated before any Jira call, so that a stored incident JQL the checks now reject never runs.
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid settings: %w: fix them in the gadget's edit view", err)
	}
	state, err := ps.r.store.Sync(tenant, id)
	if err != nil {
		return err
	}
	full := state.Cursor.IsZero()
	storedCount := 0
	if !full {
		storedCount, err = ps.r.store.IssueCount(tenant, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			full = true
		case err != nil:
			return err
		}
	}

	versions, err := ps.src.Versions(ctx, id)
	if err != nil {
		return fmt.Errorf("read versions: %w", err)
	}

	update := store.ProjectUpdate{
		Project:    ps.project,
		Statuses:   ps.site.statuses,
		IssueTypes: ps.site.issueTypes,
		Versions:   versions,
		FullIssues: full,
		Metadata:   ps.site.metadata(id),
	}
	var issues []dora.Issue
	// unchanged is true when no issue was added, changed or removed since the previous run. The
	// stored issues are then read only if the reports must be computed again.
	unchanged := false
	if full {
		issues, err = ps.fetchAll(ctx)
		update.Upserts = issues
	} else {
		var fetched []jira.FetchedIssue
		fetched, err = ps.fetchUpdated(ctx, state.Cursor)
		if err != nil {
			return err
		}
		counted := len(fetched) == 0
		unchanged = counted && ps.noneLeft(ctx, storedCount)
		if !unchanged {
			issues, update.Upserts, update.Deletes, err = ps.merge(ctx, fetched, counted)
		}
	}
	if err != nil {
		return err
	}

	if cfg.IncidentJQL != "" {
		update.IncidentJQLMatches, err = ps.incidentMatches(ctx, cfg.IncidentJQL)
		if err != nil {
			return err
		}
	}
	update.Settings = cfg
	update.Sync = store.SyncState{
		Cursor:         now,
		SiteTimeZone:   ps.site.timeZone,
		IncidentJQL:    cfg.IncidentJQL,
		ReportsAt:      now,
		ReportsVersion: ReportsVersion,
	}

	if unchanged {
		refreshed, err := ps.refresh(update, cfg, state, now)
		if err != nil {
			return err
		}
		if refreshed {
			ps.log.Info("project sync finished", "full", false, "issues", storedCount,
				"changed", 0, "deleted", 0, "recomputed", false, "duration", time.Since(began))
			return ps.refreshStale()
		}
		stored, err := ps.r.store.ProjectData(tenant, id)
		if err != nil {
			return err
		}
		issues = stored.Issues
	}

	data := dora.ProjectData{
		Project:            ps.project,
		Statuses:           ps.site.statuses,
		IssueTypes:         ps.site.issueTypes,
		Versions:           versions,
		Issues:             issues,
		IncidentJQLMatches: update.IncidentJQLMatches,
		SiteTimeZone:       ps.site.timeZone,
	}
	update.Reports, err = ComputeWindows(data, cfg, now)
	if err != nil {
		return err
	}
	if err := ps.r.store.ReplaceProject(tenant, update); err != nil {
		return err
	}
	ps.log.Info("project sync finished", "full", full, "issues", len(issues),
		"changed", len(update.Upserts), "deleted", len(update.Deletes), "recomputed", true, "duration", time.Since(began))
	return ps.refreshStale()
}

// ReportsVersion is the version of the engine and the report format. Bump it with every change
// to what dora.Compute returns, so that the first run of a new build computes the reports rather
// than moving reports of the previous build to a later instant.
const ReportsVersion = 1

// errNotSameWindow is returned by the age function of refresh when a stored report's window
// is not the one the run would compute.
var errNotSameWindow = errors.New("the stored report's window differs from the current one")

// refresh moves the stored reports to now without computing them again, when the previous
// reports were computed on the same calendar day in the project's time zone and the store finds
// every input other than the issues unchanged (see store.RefreshReports). Within one calendar
// day a report's windows stay the same, so only its computedAt and the age of the oldest open
// incident change (dora.Report.AgedTo). It returns false when the reports must be computed.
func (ps projectSync) refresh(update store.ProjectUpdate, cfg dora.Config, state store.SyncState, now time.Time) (bool, error) {
	if state.ReportsAt.IsZero() || state.Stale {
		return false, nil
	}
	cfg = cfg.WithDefaults(ps.site.timeZone)
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return false, nil // ComputeWindows reports the bad time zone
	}
	if dora.DateOf(state.ReportsAt.In(loc)) != dora.DateOf(now.In(loc)) {
		return false, nil
	}
	windows := make(map[string]dora.WindowJSON, len(WindowDays))
	for _, days := range WindowDays {
		w := dora.PresetWindow(days, now, loc)
		windows[w.From.String()] = dora.WindowJSON{From: w.From.String(), To: w.To.String(), TimeZone: loc.String()}
	}
	refreshed, err := ps.r.store.RefreshReports(ps.tenant, update, len(WindowDays), func(r dora.Report) (dora.Report, error) {
		if windows[r.Window.From] != r.Window {
			return r, errNotSameWindow
		}
		return r.AgedTo(now)
	})
	switch {
	case errors.Is(err, errNotSameWindow):
		return false, nil
	case err != nil:
		// A stored report that cannot be read or aged is replaced by a computed one.
		ps.log.Warn("moving the stored reports failed, computing them", "err", err)
		return false, nil
	}
	return refreshed, nil
}

// refreshStale recomputes the project's reports from its stored facts when its settings
// changed while the sync ran, so that the change does not wait for the next run. A changed
// incident JQL needs Jira, so those reports stay stale until the next run.
func (ps projectSync) refreshStale() error {
	tenant, id := ps.tenant, ps.project.ID
	state, err := ps.r.store.Sync(tenant, id)
	if err != nil || !state.Stale {
		return err
	}
	err = ps.r.recomputeStored(tenant, id)
	if errors.Is(err, ErrNeedsSync) {
		ps.log.Info("incident JQL changed during the sync, reports stay stale until the next run")
		return nil
	}
	return err
}

// fetchAll reads every issue of the project with its complete history.
func (ps projectSync) fetchAll(ctx context.Context) ([]dora.Issue, error) {
	jql := "project = " + ps.project.ID
	// The client reports after every page of 100 issues; log each tenth of the total and the end.
	lastTenth := -1
	fetched, err := ps.src.FetchIssues(ctx, jql, func(n, total int) {
		tenth := 10
		if total > 0 && n < total {
			tenth = n * 10 / total
		}
		if tenth == lastTenth {
			return
		}
		lastTenth = tenth
		ps.log.Info("project sync progress", "fetched", n, "total", total)
	})
	if err != nil {
		return nil, fmt.Errorf("fetch issues: %w", err)
	}
	fetched = jira.InProject(fetched, ps.project.ID, ps.log)
	issues := make([]dora.Issue, 0, len(fetched))
	// The client returns issues in ascending id order, where a repeated issue would be next to
	// its first copy. A map finds repeats in any other order.
	if slices.IsSortedFunc(fetched, func(a, b jira.FetchedIssue) int { return dora.CompareIDs(a.ID, b.ID) }) {
		for i, f := range fetched {
			if i == 0 || f.ID != fetched[i-1].ID {
				issues = append(issues, f.Issue)
			}
		}
		return issues, nil
	}
	seen := make(map[string]bool, len(fetched))
	for _, f := range fetched {
		if seen[f.ID] {
			continue
		}
		seen[f.ID] = true
		issues = append(issues, f.Issue)
	}
	return issues, nil
}

// fetchUpdated reads the issues updated since cursor minus the overlap.
func (ps projectSync) fetchUpdated(ctx context.Context, cursor time.Time) ([]jira.FetchedIssue, error) {
	since := cursor.Add(-ps.r.overlap).In(ps.site.userZone).Format(jqlDateLayout)
	jql := fmt.Sprintf(`project = %s AND updated >= "%s"`, ps.project.ID, since)
	// The count behind progress reports costs a request, and an incremental fetch is small,
	// so its progress is the final count only.
	fetched, err := ps.src.FetchIssues(ctx, jql, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch issues updated since %s: %w", since, err)
	}
	fetched = jira.InProject(fetched, ps.project.ID, ps.log)
	ps.log.Info("project sync progress", "fetched", len(fetched), "total", len(fetched), "updatedSince", since)
	return fetched, nil
}

// merge merges the fetched issues into the stored ones. Unless Jira's issue count shows that
// no issue left the project, it first reads the ids of all issues still in it. counted means
// that the count was already found to differ. It returns the merged issue list, the changed
// issues to store and the ids to delete: stored or fetched issues no longer in the project.
func (ps projectSync) merge(ctx context.Context, fetched []jira.FetchedIssue, counted bool) (merged, upserts []dora.Issue, deletes []string, err error) {
	storedData, err := ps.r.store.ProjectData(ps.tenant, ps.project.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	stored := storedData.Issues
	changed := make(map[string]dora.Issue, len(fetched))
	for _, f := range fetched {
		changed[f.ID] = f.Issue
	}
	known := len(stored)
	for _, is := range stored {
		if _, ok := changed[is.ID]; ok {
			known--
		}
	}
	known += len(changed)

	// The id pass runs after the fetch, so an issue moved away in between is still dropped.
	var present map[string]bool
	if counted || !ps.noneLeft(ctx, known) {
		ids, err := ps.src.SearchIssueIDs(ctx, "project = "+ps.project.ID)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("list issue ids: %w", err)
		}
		present = make(map[string]bool, len(ids))
		for _, id := range ids {
			present[id] = true
		}
	}

	// Walking the stored issues in their order, rather than a map, keeps merged sorted when no
	// issue is new, which saves sorting 100,000 issues on every hourly run.
	merged = make([]dora.Issue, 0, known)
	keep := func(is dora.Issue, isChanged bool) {
		switch {
		case present != nil && !present[is.ID]:
			deletes = append(deletes, is.ID)
		case isChanged:
			upserts = append(upserts, is)
			merged = append(merged, is)
		default:
			merged = append(merged, is)
		}
	}
	for _, is := range stored {
		if f, ok := changed[is.ID]; ok {
			keep(f, true)
			delete(changed, is.ID)
			continue
		}
		keep(is, false)
	}
	for _, f := range fetched {
		if is, ok := changed[f.ID]; ok {
			keep(is, true)
			delete(changed, f.ID)
		}
	}
	slices.Sort(deletes)
	byID := func(a, b dora.Issue) int { return dora.CompareIDs(a.ID, b.ID) }
	if !slices.IsSortedFunc(merged, byID) {
		slices.SortFunc(merged, byID)
	}
	return merged, upserts, deletes, nil
}

// issueCounter is implemented by a Source that can count the issues matching a JQL query, as
// *jira.Client does.
type issueCounter interface {
	CountIssues(ctx context.Context, jql string) (int, error)
}

// noneLeft reports whether Jira counts exactly known issues in the project, known being the
// stored and the fetched issues together. An issue created in or moved into the project since
// the cursor was updated since then, so it is among the fetched ones. An equal count therefore
// means that no known issue was deleted or moved away, and the id pass can be skipped: one
// count request instead of one search page per 5,000 issues.
// NOTE: Jira's count is approximate and may lag recent changes. A deletion that the count does
// not show yet is then found by the next run, whose count differs. A deletion is also missed
// while an issue that was not updated (one newly visible after a permission change) makes up
// for it in the count.
func (ps projectSync) noneLeft(ctx context.Context, known int) bool {
	counter, ok := ps.src.(issueCounter)
	if !ok {
		return false
	}
	count, err := counter.CountIssues(ctx, "project = "+ps.project.ID)
	if err != nil {
		ps.log.Warn("issue count failed, listing issue ids instead", "err", err)
		return false
	}
	return count == known
}

// incidentMatches runs the project's incident JQL and returns the ids of the matching issues.
func (ps projectSync) incidentMatches(ctx context.Context, incidentJQL string) (map[string]bool, error) {
	jql := fmt.Sprintf("project = %s AND (%s)", ps.project.ID, incidentJQL)
	ids, err := ps.src.SearchIssueIDs(ctx, jql)
	if err != nil {
		return nil, fmt.Errorf("run incident JQL %q: %w", incidentJQL, err)
	}
	matches := make(map[string]bool, len(ids))
	for _, id := range ids {
		matches[id] = true
	}
	return matches, nil
}

// ComputeWindows computes the report of every window in WindowDays, each ending on the calendar
// day of now in the project's time zone. It returns the first engine error.
func ComputeWindows(data dora.ProjectData, cfg dora.Config, now time.Time) (map[int]store.StoredReport, error) {
	cfg = cfg.WithDefaults(data.SiteTimeZone)
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid settings: %w", err)
	}
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("load time zone %q: %w", cfg.TimeZone, err)
	}
	windows := make([]dora.Window, len(WindowDays))
	for i, days := range WindowDays {
		windows[i] = dora.PresetWindow(days, now, loc)
	}
	// The windows share one classification of the issues.
	computed, evidence, err := dora.ComputeMany(data, cfg, windows, now)
	if err != nil {
		return nil, fmt.Errorf("compute the windows of %v days: %w", WindowDays, err)
	}
	reports := make(map[int]store.StoredReport, len(WindowDays))
	for i, days := range WindowDays {
		reports[days] = store.StoredReport{Report: computed[i], Evidence: evidence[i]}
	}
	return reports, nil
}
