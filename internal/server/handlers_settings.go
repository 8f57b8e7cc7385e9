package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/devops-metrics/devops-metrics/internal/access"
	"github.com/devops-metrics/devops-metrics/internal/dora"
)

// handleGetSettings returns a project's saved metric settings as a settings object whose empty
// fields mean the defaults. It needs Browse Projects.
func (s *Server) handleGetSettings() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		inv := invocation(r)
		projectID, err := projectIDParam(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if err := s.require(r, inv, access.BrowseProjects, projectID); err != nil {
			writeError(w, r, err)
			return
		}
		cfg, _, err := s.cfg.Store.Settings(inv.InstallationID, projectID)
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, r, http.StatusOK, cfg)
	}
}

// handlePutSettings replaces a project's metric settings, returns what it saved, and starts a
// recompute of the stored reports. It needs Browse Projects and Administer Projects.
func (s *Server) handlePutSettings() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		inv := invocation(r)
		projectID, err := projectIDParam(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if err := s.require(r, inv, access.BrowseProjects, projectID); err != nil {
			writeError(w, r, err)
			return
		}
		if err := s.require(r, inv, access.AdministerProjects, projectID); err != nil {
			writeError(w, r, err)
			return
		}
		cfg, err := decodeSettings(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if err := s.cfg.Store.PutSettings(inv.InstallationID, projectID, cfg); err != nil {
			writeError(w, r, err)
			return
		}
		started := s.cfg.Recompute(inv)
		loggerFrom(r.Context()).Info("settings saved", "installation", inv.InstallationID, "project", projectID,
			"account", inv.AccountID, "recompute_started", started)
		encode(w, r, http.StatusOK, cfg)
	}
}

// decodeSettings reads and validates a dora.Config request body.
func decodeSettings(r *http.Request) (dora.Config, error) {
	var cfg dora.Config
	if err := decode(r, &cfg); err != nil {
		return dora.Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return dora.Config{}, invalidf("invalid settings: %v", err)
	}
	return cfg, nil
}

// projectIDParam returns the {projectId} path value, which must be a numeric Jira project id.
func projectIDParam(r *http.Request) (string, error) {
	id := chi.URLParam(r, "projectId")
	if !isProjectID(id) {
		return "", invalidf("invalid project id %q in the path: use the numeric Jira project id, such as 10000", id)
	}
	return id, nil
}
