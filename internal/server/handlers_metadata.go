package server

import (
	"errors"
	"net/http"

	"github.com/devops-metrics/devops-metrics/internal/store"
)

// metadataResponse is the reply of GET /forge/projects/{projectId}/metadata: the choices the
// edit view offers for deployed statuses and incident issue types.
type metadataResponse struct {
	ProjectID  string                `json:"projectId"`
	Statuses   []store.StatusInfo    `json:"statuses"`
	IssueTypes []store.IssueTypeInfo `json:"issueTypes"`
}

// handleMetadata returns the statuses and issue types of a synced project, named by id or key
// like the settings route, with their names when the last sync read them. It needs Browse
// Projects, checked before the store is read.
func (s *Server) handleMetadata() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		inv := invocation(r)
		projectID, err := s.settingsProject(r, inv)
		if err != nil {
			writeError(w, r, err)
			return
		}
		md, err := s.cfg.Store.Metadata(inv.InstallationID, projectID)
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, r, s.projectMissing(r, inv.InstallationID, projectID, err))
			return
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, r, http.StatusOK, metadataResponse{ProjectID: projectID, Statuses: md.Statuses, IssueTypes: md.IssueTypes})
	}
}
