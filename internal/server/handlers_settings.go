package server

import (
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/devops-metrics/devops-metrics/internal/access"
	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/forge"
	"github.com/devops-metrics/devops-metrics/internal/store"
)

// handleGetSettings returns a project's saved metric settings as a settings object whose empty
// fields mean the defaults. It needs Browse Projects.
func (s *Server) handleGetSettings() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		inv := invocation(r)
		projectID, err := s.settingsProject(r, inv)
		if err != nil {
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
		projectID, err := s.settingsProject(r, inv)
		if err != nil {
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
		if err := s.checkSettingsForProject(r, inv.InstallationID, projectID, cfg); err != nil {
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

// checkSettingsForProject checks that cfg names only issue types and statuses of the project,
// as the last sync stored them. A project that has not been synced yet has nothing to check
// against, so its settings are saved unchecked and the skipped check is logged.
func (s *Server) checkSettingsForProject(r *http.Request, tenant, projectID string, cfg dora.Config) error {
	md, err := s.cfg.Store.Metadata(tenant, projectID)
	if errors.Is(err, store.ErrNotFound) {
		loggerFrom(r.Context()).Info("settings check skipped", "installation", tenant, "project", projectID, "reason", "project not synced")
		return nil
	}
	if err != nil {
		return err
	}
	data := dora.ProjectData{
		Project:    dora.Project{ID: projectID},
		Statuses:   make(map[string]dora.StatusCategory, len(md.Statuses)),
		IssueTypes: make(map[string]dora.IssueType, len(md.IssueTypes)),
	}
	for _, st := range md.Statuses {
		data.Statuses[st.ID] = st.Category
	}
	for _, it := range md.IssueTypes {
		data.IssueTypes[it.ID] = dora.IssueType{ID: it.ID, UntranslatedName: it.UntranslatedName, Subtask: it.Subtask, HierarchyLevel: it.HierarchyLevel}
	}
	if err := cfg.ValidateFor(data); err != nil {
		return invalidf("invalid settings: %v", err)
	}
	return nil
}

// settingsProject returns the id of the project that the {projectId} path value names, after
// checking the viewer's Browse Projects permission on that id. The value is a numeric project
// id, which need not be synced so that settings can be saved before the first sync, or a
// project key in any case, which must name a synced project. Like the report route, it returns
// the same 404 for a key that the viewer may not browse as for an unknown key.
func (s *Server) settingsProject(r *http.Request, inv forge.Invocation) (string, error) {
	ref := chi.URLParam(r, "projectId")
	if !isProjectRef(ref) {
		return "", invalidf("invalid project %q in the path: use the numeric Jira project id, such as 10000, or the project key, such as EE", ref)
	}
	if isProjectID(ref) {
		if err := s.require(r, inv, access.BrowseProjects, ref); err != nil {
			return "", err
		}
		return ref, nil
	}
	project, err := s.authorizeProject(r, inv, ref)
	if err != nil {
		return "", err
	}
	return project.ID, nil
}
