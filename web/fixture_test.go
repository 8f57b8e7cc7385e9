package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/web"
)

// Project ids of the fixture site. The viewer may browse the first two. The third is a project
// whose Browse Projects permission was revoked after the gadget was set up.
const (
	fixtureProjectEE     = "10003"
	fixtureProjectK5     = "10050"
	fixtureProjectHidden = "10099"
)

// fixtureSite replaces the backend's gadget routes, served with the built page from
// web.Assets on 127.0.0.1. It responds like the real routes: Report JSON, Evidence JSON, project
// settings, and JSON errors with 403, 404 and 503.
type fixtureSite struct {
	server *httptest.Server

	mu       sync.Mutex
	settings map[string]dora.Config
	// failReports makes the report route return 503, as when the permission check cannot reach Jira.
	failReports bool
	// holdReports, when set, makes report requests wait until it is closed.
	holdReports chan struct{}
	// denySettings makes settings changes return 403, as for a viewer who may not administer the project.
	denySettings bool
	// syncing makes the projects route return no project while the first sync runs.
	syncing bool
	// pending holds the project ids whose reports are not computed yet (404 not_computed).
	pending map[string]bool
	// noMetadata makes the metadata route return 404, as a server without it does.
	noMetadata bool
}

func newFixtureSite(t *testing.T) *fixtureSite {
	t.Helper()
	site := &fixtureSite{settings: map[string]dora.Config{}, pending: map[string]bool{}}
	mux := http.NewServeMux()
	mux.Handle("GET /", web.Handler())
	mux.HandleFunc("GET /forge/gadget/projects", site.handleProjects)
	mux.HandleFunc("GET /forge/gadget/report", site.handleReport)
	mux.HandleFunc("GET /forge/gadget/drilldown", site.handleDrilldown)
	mux.HandleFunc("GET /forge/projects/{projectId}/settings", site.handleGetSettings)
	mux.HandleFunc("PUT /forge/projects/{projectId}/settings", site.handlePutSettings)
	mux.HandleFunc("GET /forge/projects/{projectId}/metadata", site.handleMetadata)
	mux.HandleFunc("GET /violation.html", handleViolation)
	// httptest listens on 127.0.0.1 unless the httptest.serve flag sets another address.
	site.server = httptest.NewServer(mux)
	t.Cleanup(func() {
		site.release()
		site.server.Close()
	})
	return site
}

func (s *fixtureSite) URL() string { return s.server.URL }

// release lets held report requests go on.
func (s *fixtureSite) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holdReports != nil {
		close(s.holdReports)
		s.holdReports = nil
	}
}

var fixtureProjects = map[string]dora.Project{
	fixtureProjectEE:     {ID: fixtureProjectEE, Key: "EE", Name: "Enterprise Edition"},
	fixtureProjectK5:     {ID: fixtureProjectK5, Key: "K5", Name: "Keon_5"},
	fixtureProjectHidden: {ID: fixtureProjectHidden, Key: "SEC", Name: "Security"},
}

// handleProjects responds in the object form, with the site URL that issue links start with.
// While the first sync runs it lists no project.
func (s *fixtureSite) handleProjects(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	syncing := s.syncing
	s.mu.Unlock()
	if syncing {
		writeJSON(w, http.StatusOK, map[string]any{"projects": []dora.Project{}, "siteUrl": s.jiraURL(), "syncing": true})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"projects":     []dora.Project{fixtureProjects[fixtureProjectEE], fixtureProjects[fixtureProjectK5]},
		"siteUrl":      s.jiraURL(),
		"syncing":      false,
		"lastSyncedAt": "2026-12-05T08:00:00Z",
	})
}

// fixtureStatuses and fixtureIssueTypes are the workflow of both browsable fixture projects.
var (
	fixtureStatuses = []map[string]any{
		{"id": "1", "name": "To Do", "category": "new"},
		{"id": "3", "name": "In Progress", "category": "indeterminate"},
		{"id": "10001", "name": "Released", "category": "done"},
		{"id": "10002", "name": "Done", "category": "done"},
	}
	fixtureIssueTypes = []map[string]any{
		{"id": "10004", "name": "Bug", "untranslatedName": "Bug", "subtask": false, "hierarchyLevel": 0},
		{"id": "10005", "name": "Incident", "untranslatedName": "Incident", "subtask": false, "hierarchyLevel": 0},
		{"id": "10006", "name": "Story", "untranslatedName": "Story", "subtask": false, "hierarchyLevel": 0},
		{"id": "10007", "name": "Sub-task", "untranslatedName": "Sub-task", "subtask": true, "hierarchyLevel": -1},
		{"id": "10000", "name": "Epic", "untranslatedName": "Epic", "subtask": false, "hierarchyLevel": 1},
	}
)

func (s *fixtureSite) handleMetadata(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("projectId")
	s.mu.Lock()
	missing := s.noMetadata
	s.mu.Unlock()
	if _, ok := fixtureProjects[id]; !ok || id == fixtureProjectHidden || missing {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("project %q not found", id))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"projectId": id, "statuses": fixtureStatuses, "issueTypes": fixtureIssueTypes})
}

// jiraURL is the fixture's stand-in for the Jira site. Nothing serves it: the tests never follow a link.
func (s *fixtureSite) jiraURL() string { return s.server.URL + "/jira" }

func (s *fixtureSite) handleReport(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	hold, fail := s.holdReports, s.failReports
	s.mu.Unlock()
	if hold != nil {
		<-hold
	}
	if fail {
		writeError(w, http.StatusServiceUnavailable, "unavailable", "The permission check could not reach Jira. Try again in a minute.")
		return
	}
	s.mu.Lock()
	pending := s.pending[r.URL.Query().Get("project")]
	s.mu.Unlock()
	if pending {
		writeError(w, http.StatusNotFound, "not_computed", "the first sync with Jira is still running, so this project has no metrics yet: try again when it finishes")
		return
	}
	project, window, ok := projectAndWindow(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, fixtureReport(project, window))
}

func (s *fixtureSite) handleDrilldown(w http.ResponseWriter, r *http.Request) {
	project, window, ok := projectAndWindow(w, r)
	if !ok {
		return
	}
	if window.From != "2020-06-01" {
		writeJSON(w, http.StatusOK, dora.Evidence{})
		return
	}
	_ = project
	writeJSON(w, http.StatusOK, fixtureEvidence())
}

func (s *fixtureSite) handleGetSettings(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("projectId")
	if _, ok := fixtureProjects[id]; !ok || id == fixtureProjectHidden {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("project %q not found", id))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.settings[id])
}

func (s *fixtureSite) handlePutSettings(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("projectId")
	s.mu.Lock()
	deny := s.denySettings
	s.mu.Unlock()
	if deny {
		writeError(w, http.StatusForbidden, "forbidden", "Changing the metric settings of a project needs the Administer Projects permission.")
		return
	}
	var config dora.Config
	decoder := json.NewDecoder(r.Body)
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&config); err != nil {
		writeError(w, http.StatusBadRequest, "invalid", fmt.Sprintf("invalid settings JSON: %v", err))
		return
	}
	if err := validateFixtureConfig(config); err != nil {
		writeError(w, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	s.mu.Lock()
	s.settings[id] = config
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, config)
}

// validateFixtureConfig checks what the UI leaves to the server, as the server does, so the test
// can see that the server's message reaches the viewer.
func validateFixtureConfig(config dora.Config) error {
	if config.DeploymentSource != "" && config.DeploymentSource != dora.SourceVersions && config.DeploymentSource != dora.SourceStatus {
		return fmt.Errorf("deploymentSource %q is invalid: use versions or status", config.DeploymentSource)
	}
	if _, err := regexp.Compile(config.ReworkVersionPattern); err != nil {
		return fmt.Errorf("invalid reworkVersionPattern %q: %v", config.ReworkVersionPattern, err)
	}
	if config.TimeZone != "" {
		if _, err := time.LoadLocation(config.TimeZone); err != nil {
			return fmt.Errorf("invalid timeZone %q: use an IANA time zone name such as Europe/Berlin or UTC", config.TimeZone)
		}
	}
	return nil
}

// projectAndWindow reads the project and window parameters as the real routes do, returning
// 403 for the project the viewer may not browse.
func projectAndWindow(w http.ResponseWriter, r *http.Request) (dora.Project, dora.WindowJSON, bool) {
	query := r.URL.Query()
	id := query.Get("project")
	project, ok := fixtureProjects[id]
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("project %q not found: pick a project in the gadget settings", id))
		return dora.Project{}, dora.WindowJSON{}, false
	}
	if id == fixtureProjectHidden {
		writeError(w, http.StatusForbidden, "forbidden", "You do not have the Browse Projects permission on project SEC.")
		return dora.Project{}, dora.WindowJSON{}, false
	}
	window := dora.WindowJSON{From: query.Get("from"), To: query.Get("to"), TimeZone: "Asia/Shanghai"}
	if window.From == "" || window.To == "" {
		// A preset window ends at the fixture's "now".
		window.To = "2026-12-05"
		days := map[string]int{"7": 7, "30": 30, "90": 90, "180": 180, "365": 365}[query.Get("window")]
		if days == 0 {
			writeError(w, http.StatusBadRequest, "invalid", fmt.Sprintf("window %q is invalid: use 7, 30, 90, 180 or 365", query.Get("window")))
			return dora.Project{}, dora.WindowJSON{}, false
		}
		window.From = time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -days).Format(time.DateOnly)
	}
	return project, window, true
}

func writeJSON(w http.ResponseWriter, status int, value any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(value)
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": message}})
}

func ptr(v float64) *float64 { return &v }

// fixtureReport returns a report for a window: real-looking numbers for June and July 2020 (the
// window the tests open), smaller ones for the two months before it, and no deployments else.
func fixtureReport(project dora.Project, window dora.WindowJSON) dora.Report {
	report := dora.Report{
		Project:    project,
		Window:     window,
		ComputedAt: time.Now().Add(-7 * time.Minute).UTC(),
	}
	weeks := weekStarts(window)
	report.DeploymentFrequency.Level = dora.LevelLow
	for _, week := range weeks {
		report.DeploymentFrequency.Series = append(report.DeploymentFrequency.Series, dora.WeekCount{WeekStart: week})
		report.LeadTimeForChanges.Series = append(report.LeadTimeForChanges.Series, dora.WeekDuration{WeekStart: week})
		report.ChangeFailureRate.Series = append(report.ChangeFailureRate.Series, dora.WeekRate{WeekStart: week})
		report.FailedDeploymentRecoveryTime.Series = append(report.FailedDeploymentRecoveryTime.Series, dora.WeekDuration{WeekStart: week})
	}
	switch window.From {
	case "2020-06-01":
		report.DeploymentFrequency = dora.DeploymentFrequency{Count: 3, PerWeek: ptr(3 / (61.0 / 7)), DeploymentDays: 3, Level: dora.LevelMedium, Series: report.DeploymentFrequency.Series}
		report.DeploymentFrequency.Series[1].Count = 1
		report.DeploymentFrequency.Series[4].Count = 1
		report.DeploymentFrequency.Series[5].Count = 1
		report.LeadTimeForChanges = dora.LeadTime{Count: 14, MedianHours: ptr(146.52), P75Hours: ptr(450.2), P90Hours: ptr(620.75), Level: dora.LevelHigh, Series: report.LeadTimeForChanges.Series}
		report.LeadTimeForChanges.Series[1] = dora.WeekDuration{WeekStart: weeks[1], Count: 2, MedianHours: ptr(61.3)}
		report.LeadTimeForChanges.Series[4] = dora.WeekDuration{WeekStart: weeks[4], Count: 1, MedianHours: ptr(380.5)}
		report.LeadTimeForChanges.Series[5] = dora.WeekDuration{WeekStart: weeks[5], Count: 11, MedianHours: ptr(146.52)}
		report.ChangeFailureRate = dora.ChangeFailureRate{Deployments: 3, FailedDeployments: 1, Rate: ptr(1.0 / 3), Level: dora.LevelLow, Series: report.ChangeFailureRate.Series}
		report.ChangeFailureRate.Series[1] = dora.WeekRate{WeekStart: weeks[1], Deployments: 1, FailedDeployments: 1, Rate: ptr(1)}
		report.ChangeFailureRate.Series[4] = dora.WeekRate{WeekStart: weeks[4], Deployments: 1, Rate: ptr(0)}
		report.ChangeFailureRate.Series[5] = dora.WeekRate{WeekStart: weeks[5], Deployments: 1, Rate: ptr(0)}
		report.FailedDeploymentRecoveryTime = dora.FailedDeploymentRecovery{Count: 1, MedianHours: ptr(80.57), P75Hours: ptr(80.57), P90Hours: ptr(80.57), OpenIncidents: 1, OldestOpenAgeHours: ptr(300.25), Level: dora.LevelMedium, Series: report.FailedDeploymentRecoveryTime.Series}
		report.FailedDeploymentRecoveryTime.Series[2] = dora.WeekDuration{WeekStart: weeks[2], Count: 1, MedianHours: ptr(80.57)}
		report.ReworkRate = dora.ReworkRate{Deployments: 3, ReworkDeployments: 1, Rate: ptr(1.0 / 3)}
		report.ReopenRate = ptr(0.05)
		report.Throughput = ptr(2.3)
		report.DataQuality = dora.DataQuality{StartedAtCreated: 2, NotDone: 1, UnknownStatuses: 1}
	case "2020-04-01":
		report.DeploymentFrequency = dora.DeploymentFrequency{Count: 1, PerWeek: ptr(1 / (61.0 / 7)), DeploymentDays: 1, Level: dora.LevelLow, Series: report.DeploymentFrequency.Series}
		report.LeadTimeForChanges = dora.LeadTime{Count: 4, MedianHours: ptr(200), P75Hours: ptr(240), P90Hours: ptr(300), Level: dora.LevelMedium, Series: report.LeadTimeForChanges.Series}
		report.ChangeFailureRate = dora.ChangeFailureRate{Deployments: 1, FailedDeployments: 0, Rate: ptr(0), Level: dora.LevelElite, Series: report.ChangeFailureRate.Series}
		report.FailedDeploymentRecoveryTime = dora.FailedDeploymentRecovery{Level: "", Series: report.FailedDeploymentRecoveryTime.Series}
		report.ReworkRate = dora.ReworkRate{Deployments: 1, ReworkDeployments: 0, Rate: ptr(0)}
	}
	return report
}

// weekStarts returns the Mondays of the ISO weeks that overlap the window.
func weekStarts(window dora.WindowJSON) []string {
	from, err1 := time.Parse(time.DateOnly, window.From)
	to, err2 := time.Parse(time.DateOnly, window.To)
	if err1 != nil || err2 != nil {
		return nil
	}
	monday := from.AddDate(0, 0, -((int(from.Weekday()) + 6) % 7))
	var weeks []string
	for day := monday; day.Before(to); day = day.AddDate(0, 0, 7) {
		weeks = append(weeks, day.Format(time.DateOnly))
	}
	return weeks
}

func fixtureEvidence() dora.Evidence {
	shanghai := time.FixedZone("CST", 8*3600)
	at := func(day, hour int, month time.Month) time.Time {
		return time.Date(2020, month, day, hour, 0, 0, 0, shanghai)
	}
	return dora.Evidence{
		// The keys of v2.7.0 and the excluded issues come in text order (EE-10 before EE-2), as
		// from a server that sorts them as text, so the tests see the page order them by number.
		Deployments: []dora.DeploymentEvidence{
			{ID: "10014", Name: "v2.5.4", At: at(12, 0, time.June), Failed: true, IncidentKeys: []string{"EE-23"}, ChangeKeys: []string{"EE-19", "EE-23"}},
			{ID: "10009", Name: "v2.6.0", At: at(1, 0, time.July), ChangeKeys: []string{"EE-14"}},
			{ID: "10026", Name: "v2.7.0", At: at(11, 0, time.July), Rework: true, ChangeKeys: []string{"EE-1", "EE-10", "EE-15", "EE-16", "EE-2", "EE-3", "EE-4", "EE-5", "EE-6", "EE-8", "EE-9"}},
		},
		Changes: []dora.ChangeEvidence{
			{Key: "EE-19", StartedAt: at(12, 9, time.June), DeployedAt: at(12, 0, time.June).AddDate(0, 0, 0), DeploymentID: "10014", Hours: 61.3},
			{Key: "EE-14", StartedAt: at(15, 9, time.June), DeployedAt: at(1, 0, time.July), DeploymentID: "10009", Hours: 380.5},
			{Key: "EE-1", StartedAt: at(12, 9, time.June), DeployedAt: at(11, 0, time.July), DeploymentID: "10026", Hours: 686.9},
			{Key: "EE-5", StartedAt: at(15, 10, time.June), DeployedAt: at(11, 0, time.July), DeploymentID: "10026", Hours: 614},
		},
		Recoveries: []dora.IncidentEvidence{
			{Key: "EE-23", Start: at(12, 8, time.June), DoneAt: at(15, 17, time.June), Hours: 80.57, DeploymentID: "10014"},
		},
		OpenIncidents: []dora.IncidentEvidence{
			{Key: "EE-41", Start: at(19, 12, time.July), Hours: 300.25},
		},
		Excluded: []dora.ExcludedIssue{
			{Key: "EE-24", Reason: "startedAtCreated"},
			{Key: "EE-17", Reason: "notDone"},
		},
	}
}

// handleViolation serves a page that breaks the Custom UI policy with an inline script, so a test
// can check that the browser checks report it.
func handleViolation(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", web.ContentSecurityPolicy)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(`<!doctype html><html><head><link rel="icon" href="data:,"></head><body><p>policy check</p><script>document.title = "inline";</script></body></html>`))
}
