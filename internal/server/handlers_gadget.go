package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/devops-metrics/devops-metrics/internal/access"
	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/forge"
	"github.com/devops-metrics/devops-metrics/internal/store"
)

// handleReport returns the Report JSON of one project and window: GET
// /forge/gadget/report?project=&window= or &from=&to=. The project and window default to the
// gadget configuration in the invocation token.
func (s *Server) handleReport() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		inv := invocation(r)
		q, err := parseReportQuery(r.URL.Query(), inv.GadgetConfiguration)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if !q.Custom() {
			body, err := s.storedReportBody(r, inv, q)
			if err != nil {
				writeError(w, r, err)
				return
			}
			writeJSON(w, r, http.StatusOK, body)
			return
		}
		report, _, err := s.viewReport(r, inv, q)
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, r, http.StatusOK, report)
	}
}

// storedReportBody checks the viewer's permission like viewReport, then returns the reply body
// of the stored report of q's preset window. It reads the report without its evidence, and
// only when the cache has no body for the current reports generation.
func (s *Server) storedReportBody(r *http.Request, inv forge.Invocation, q reportQuery) ([]byte, error) {
	project, err := s.authorizeProject(r, inv, q.Project)
	if err != nil {
		return nil, err
	}
	key := reportCacheKey{tenant: inv.InstallationID, projectID: project.ID, windowDays: q.WindowDays}
	known := s.reports.generation(key)
	stored, generation, err := s.cfg.Store.ReportJSONSince(inv.InstallationID, project.ID, q.WindowDays, known)
	if err != nil {
		return nil, reportReadError(err, q, project)
	}
	if stored == nil {
		if body, ok := s.reports.cached(key, generation); ok {
			return body, nil
		}
		// Another view replaced the entry in between; read the report in full.
		if stored, generation, err = s.cfg.Store.ReportJSONSince(inv.InstallationID, project.ID, q.WindowDays, 0); err != nil {
			return nil, reportReadError(err, q, project)
		}
	}
	body, err := s.reports.body(key, generation, stored)
	if err != nil {
		return nil, fmt.Errorf("encode the %d-day report of project %s: %w", q.WindowDays, project.ID, err)
	}
	return body, nil
}

// projectsResponse is the reply of GET /forge/gadget/projects.
type projectsResponse struct {
	Projects []dora.Project `json:"projects"`
	// SiteURL is the Jira site, for links to issues and versions; empty when unknown.
	SiteURL string `json:"siteUrl,omitempty"`
	// Syncing is true until the installation's first sync with Jira has ended, so that an
	// empty or short list means "not yet" rather than "no permission".
	Syncing bool `json:"syncing"`
	// LastSyncedAt is when the last sync of the installation ended; absent before the first.
	LastSyncedAt time.Time `json:"lastSyncedAt,omitzero"`
}

// handleProjects returns the synced projects of the installation that the viewer may browse.
func (s *Server) handleProjects() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		inv := invocation(r)
		projects, err := s.cfg.Store.Projects(inv.InstallationID)
		if err != nil {
			writeError(w, r, err)
			return
		}
		ids := make([]string, len(projects))
		for i, p := range projects {
			ids[i] = p.ID
		}
		granted, err := s.filter(r, inv, access.BrowseProjects, ids)
		if err != nil {
			writeError(w, r, err)
			return
		}
		out := projectsResponse{Projects: []dora.Project{}, SiteURL: inv.SiteURL}
		out.LastSyncedAt, out.Syncing = s.syncState(r, inv.InstallationID)
		for _, p := range projects {
			if slices.Contains(granted, p.ID) {
				out.Projects = append(out.Projects, p)
			}
		}
		encode(w, r, http.StatusOK, out)
	}
}

// Drill-down metric names, as in the Report JSON.
const (
	metricDeploymentFrequency = "deploymentFrequency"
	metricLeadTime            = "leadTimeForChanges"
	metricChangeFailureRate   = "changeFailureRate"
	metricRecoveryTime        = "failedDeploymentRecoveryTime"
	metricReworkRate          = "reworkRate"
	metricDataQuality         = "dataQuality"
)

var drilldownMetrics = []string{metricDeploymentFrequency, metricLeadTime, metricChangeFailureRate, metricRecoveryTime, metricReworkRate, metricDataQuality}

// drilldownResponse lists the versions and issues behind one metric of a report. Only the lists
// that belong to the metric are present.
type drilldownResponse struct {
	Project       dora.Project              `json:"project"`
	Window        dora.WindowJSON           `json:"window"`
	Metric        string                    `json:"metric"`
	Deployments   []dora.DeploymentEvidence `json:"deployments,omitempty"`
	Changes       []dora.ChangeEvidence     `json:"changes,omitempty"`
	Recoveries    []dora.IncidentEvidence   `json:"recoveries,omitempty"`
	OpenIncidents []dora.IncidentEvidence   `json:"openIncidents,omitempty"`
	Excluded      []dora.ExcludedIssue      `json:"excluded,omitempty"`
}

// handleDrilldown returns the evidence behind one metric: GET
// /forge/gadget/drilldown?project=&metric=&window= or &from=&to=.
func (s *Server) handleDrilldown() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		inv := invocation(r)
		q, err := parseReportQuery(r.URL.Query(), inv.GadgetConfiguration)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if !slices.Contains(drilldownMetrics, q.Metric) {
			writeError(w, r, invalidf("invalid metric %q: use one of %v", q.Metric, drilldownMetrics))
			return
		}
		report, evidence, err := s.viewReport(r, inv, q)
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, r, http.StatusOK, drilldown(report, evidence, q.Metric))
	}
}

func drilldown(report dora.Report, evidence dora.Evidence, metric string) drilldownResponse {
	out := drilldownResponse{Project: report.Project, Window: report.Window, Metric: metric}
	switch metric {
	case metricDeploymentFrequency, metricChangeFailureRate, metricReworkRate:
		out.Deployments = nonNil(evidence.Deployments)
	case metricLeadTime:
		out.Changes = nonNil(evidence.Changes)
		out.Excluded = evidence.Excluded
	case metricRecoveryTime:
		out.Recoveries = nonNil(evidence.Recoveries)
		out.OpenIncidents = evidence.OpenIncidents
	case metricDataQuality:
		out.Excluded = nonNil(evidence.Excluded)
	}
	return out
}

func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

// viewReport resolves the project of q, checks the viewer's Browse Projects permission on it,
// and returns the stored report of a preset window or computes a custom one.
func (s *Server) viewReport(r *http.Request, inv forge.Invocation, q reportQuery) (dora.Report, dora.Evidence, error) {
	project, err := s.authorizeProject(r, inv, q.Project)
	if err != nil {
		return dora.Report{}, dora.Evidence{}, err
	}
	if q.Custom() {
		return s.computeReport(r.Context(), inv.InstallationID, project, q.From, q.To, q.TimeZone)
	}
	stored, err := s.cfg.Store.Report(inv.InstallationID, project.ID, q.WindowDays)
	if err != nil {
		return dora.Report{}, dora.Evidence{}, reportReadError(err, q, project)
	}
	return stored.Report, stored.Evidence, nil
}

// reportReadError turns store.ErrNotFound from reading a stored report into a 404 whose
// message reports that the first computation has not finished. Other errors pass unchanged.
func reportReadError(err error, q reportQuery, project dora.Project) error {
	if errors.Is(err, store.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Code: CodeNotComputed, Err: err,
			Message: fmt.Sprintf("there is no %d-day report of project %s yet because its first computation has not finished: try again in a few minutes", q.WindowDays, project.Key)}
	}
	return err
}

// firstSyncMessage is the message of a not_computed reply while the installation's first sync runs.
const firstSyncMessage = "the first sync with Jira is still running, so this project has no metrics yet: try again when it finishes"

// syncState returns when the installation's last sync ended and whether its first sync is
// still running. A store error is logged and reported as "not running", so that the reply
// falls back to the plain not-found wording.
func (s *Server) syncState(r *http.Request, tenant string) (time.Time, bool) {
	st, err := s.cfg.Store.TenantSync(tenant)
	if err != nil {
		loggerFrom(r.Context()).Warn("sync record read failed", "installation", tenant, "err", err)
		return time.Time{}, false
	}
	return st.FinishedAt, st.FinishedAt.IsZero()
}

// projectMissing returns the 404 error for a project reference that names no synced project:
// code not_computed while the installation's first sync runs, else not_found. cause, when set,
// is logged only.
func (s *Server) projectMissing(r *http.Request, tenant, ref string, cause error) error {
	if _, running := s.syncState(r, tenant); running {
		return &Error{Status: http.StatusNotFound, Code: CodeNotComputed, Message: firstSyncMessage, Err: cause}
	}
	return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: projectNotSyncedMessage(ref), Err: cause}
}

// authorizeProject finds a synced project of the installation by id or key and checks the
// viewer's Browse Projects permission on it. A numeric id that is not synced is checked too,
// so a viewer without the permission gets 403 whether or not the project was synced.
func (s *Server) authorizeProject(r *http.Request, inv forge.Invocation, ref string) (dora.Project, error) {
	project, err := s.resolveProject(r, inv.InstallationID, ref)
	if err != nil {
		var apiErr *Error
		if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound && isProjectID(ref) {
			if permErr := s.require(r, inv, access.BrowseProjects, ref); permErr != nil {
				return dora.Project{}, permErr
			}
		}
		return dora.Project{}, err
	}
	if err := s.require(r, inv, access.BrowseProjects, project.ID); err != nil {
		// Like Jira, a key the viewer cannot browse gets the reply of an unknown key, so that
		// it reveals neither the project nor its id.
		if errors.Is(err, access.ErrDenied) && !isProjectID(ref) {
			return dora.Project{}, s.projectMissing(r, inv.InstallationID, ref, err)
		}
		return dora.Project{}, err
	}
	return project, nil
}

// resolveProject finds a synced project of the installation by id, or by key in any case,
// because Jira keys are upper case but users also type them in lower case.
func (s *Server) resolveProject(r *http.Request, tenant, ref string) (dora.Project, error) {
	// The gadget sends project ids, which are found without listing every project.
	p, err := s.cfg.Store.Project(tenant, ref)
	switch {
	case err == nil:
		return p, nil
	case !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrInvalidID):
		return dora.Project{}, err
	}
	projects, err := s.cfg.Store.Projects(tenant)
	if err != nil {
		return dora.Project{}, err
	}
	for _, p := range projects {
		if p.ID == ref || strings.EqualFold(p.Key, ref) {
			return p, nil
		}
	}
	return dora.Project{}, s.projectMissing(r, tenant, ref, nil)
}

// projectNotSyncedMessage is the message of the 404 reply for a project reference that names no
// synced project.
func projectNotSyncedMessage(ref string) string {
	return fmt.Sprintf("project %q is not among the projects this app has read from Jira: pick a project you can browse in the gadget settings, or try again after the next hourly sync if the project is new", ref)
}

// computeReport computes the report of a custom window from the stored facts. timeZone, when
// set, overrides the project's time zone. At most GOMAXPROCS computations run at once; the
// others wait for a slot until ctx ends.
func (s *Server) computeReport(ctx context.Context, tenant string, project dora.Project, from, to dora.Date, timeZone string) (dora.Report, dora.Evidence, error) {
	select {
	case s.customSlots <- struct{}{}:
	case <-ctx.Done():
		return dora.Report{}, dora.Evidence{}, &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Message: "too many custom-window reports are being computed: try again shortly", Err: ctx.Err()}
	}
	defer func() { <-s.customSlots }()

	data, err := s.cfg.Store.ProjectData(tenant, project.ID)
	if err != nil {
		return dora.Report{}, dora.Evidence{}, err
	}
	cfg, _, err := s.cfg.Store.Settings(tenant, project.ID)
	if err != nil {
		return dora.Report{}, dora.Evidence{}, err
	}
	if timeZone != "" {
		cfg.TimeZone = timeZone
	}
	cfg = cfg.WithDefaults(data.SiteTimeZone)
	if err := cfg.Validate(); err != nil {
		return dora.Report{}, dora.Evidence{}, invalidf("invalid settings of project %s: %v", project.Key, err)
	}
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return dora.Report{}, dora.Evidence{}, invalidf("invalid timeZone %q: %v", cfg.TimeZone, err)
	}
	report, evidence, err := dora.Compute(data, cfg, dora.Window{From: from, To: to, Location: loc}, s.cfg.Now())
	if err != nil {
		return dora.Report{}, dora.Evidence{}, &Error{Status: http.StatusUnprocessableEntity, Code: CodeInvalid, Message: err.Error(), Err: err}
	}
	return report, evidence, nil
}

// invocation returns the request's invocation. The /forge/ routes always have one, because
// Authenticate or DevIdentity ran first.
func invocation(r *http.Request) forge.Invocation {
	inv, _ := forge.FromContext(r.Context())
	return inv
}

// require checks permission on projectIDs for the request's viewer and fails closed.
func (s *Server) require(r *http.Request, inv forge.Invocation, permission string, projectIDs ...string) error {
	checker, err := s.cfg.NewChecker(r.Context(), inv)
	if err != nil {
		return fmt.Errorf("%w: %w", access.ErrUnavailable, err)
	}
	return s.cfg.Gate.Require(r.Context(), viewerOf(inv), checker, permission, projectIDs)
}

// filter returns the projectIDs on which the request's viewer has permission, and fails closed.
func (s *Server) filter(r *http.Request, inv forge.Invocation, permission string, projectIDs []string) ([]string, error) {
	if len(projectIDs) == 0 {
		return nil, nil
	}
	checker, err := s.cfg.NewChecker(r.Context(), inv)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", access.ErrUnavailable, err)
	}
	return s.cfg.Gate.Filter(r.Context(), viewerOf(inv), checker, permission, projectIDs)
}

func viewerOf(inv forge.Invocation) access.Viewer {
	return access.Viewer{Installation: inv.InstallationID, AccountID: inv.AccountID}
}
