package server

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/devops-metrics/devops-metrics/internal/dora"
)

// handleDevReport serves GET /api/report?project=&from=&to=&timeZone= in development mode: the
// same Report JSON, indented the same way, as the report command prints for that project and
// window. Without from and to it covers the preset window (default 90 days) ending today. It
// computes from the stored facts on each request and checks the viewer's permission first.
func (s *Server) handleDevReport() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		inv := invocation(r)
		q, err := parseReportQuery(r.URL.Query(), nil)
		if err != nil {
			writeError(w, r, err)
			return
		}
		project, err := s.authorizeProject(r, inv, q.Project)
		if err != nil {
			writeError(w, r, err)
			return
		}
		from, to := q.From, q.To
		if !q.Custom() {
			from, to, err = s.presetDates(inv.InstallationID, project, q)
			if err != nil {
				writeError(w, r, err)
				return
			}
		}
		report, _, err := s.computeReport(r.Context(), inv.InstallationID, project, from, to, q.TimeZone)
		if err != nil {
			writeError(w, r, err)
			return
		}
		body, err := json.MarshalIndent(report, "", "  ")
		if err != nil {
			writeError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(append(body, '\n'))
	}
}

// presetDates returns the dates of q's preset window ending today in the project's time zone.
func (s *Server) presetDates(tenant string, project dora.Project, q reportQuery) (dora.Date, dora.Date, error) {
	data, err := s.cfg.Store.ProjectData(tenant, project.ID)
	if err != nil {
		return dora.Date{}, dora.Date{}, err
	}
	cfg, _, err := s.cfg.Store.Settings(tenant, project.ID)
	if err != nil {
		return dora.Date{}, dora.Date{}, err
	}
	if q.TimeZone != "" {
		cfg.TimeZone = q.TimeZone
	}
	loc, err := time.LoadLocation(cfg.WithDefaults(data.SiteTimeZone).TimeZone)
	if err != nil {
		return dora.Date{}, dora.Date{}, invalidf("invalid timeZone of project %s: %v", project.Key, err)
	}
	w := dora.PresetWindow(q.WindowDays, s.cfg.Now(), loc)
	return w.From, w.To, nil
}
