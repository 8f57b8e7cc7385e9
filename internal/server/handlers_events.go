package server

import (
	"net/http"
)

// recomputeResponse is the reply of the trigger and install routes.
type recomputeResponse struct {
	Accepted bool `json:"accepted"`
	// Started is false when a recompute of the installation was already running and this
	// trigger joined it, as happens with Forge's retries and duplicate deliveries.
	Started bool `json:"started"`
}

// handleRecompute replies to Forge's scheduled trigger with 202 at once and recomputes the
// installation in the background. A trigger during a running recompute joins it, so retries and
// duplicates start no second run.
func (s *Server) handleRecompute() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.startRecompute(w, r, "recompute triggered")
	}
}

// handleInstalled replies to the app-installed event with 202 and runs the first recompute in the
// background.
func (s *Server) handleInstalled() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.startRecompute(w, r, "app installed")
	}
}

func (s *Server) startRecompute(w http.ResponseWriter, r *http.Request, message string) {
	inv := invocation(r)
	started := s.cfg.Recompute(inv)
	result := "joined"
	if started {
		result = "started"
	}
	s.cfg.Metrics.recomputes.WithLabelValues(result).Inc()
	loggerFrom(r.Context()).Info(message, "installation", inv.InstallationID, "started", started)
	encode(w, r, http.StatusAccepted, recomputeResponse{Accepted: true, Started: started})
}

// uninstalledResponse is the reply of the uninstall route.
type uninstalledResponse struct {
	Deleted bool `json:"deleted"`
}

// handleUninstalled deletes everything stored for the installation and drops its cached
// permission decisions. Deleting an installation that has no data succeeds, so retries are safe.
func (s *Server) handleUninstalled() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		inv := invocation(r)
		if err := s.cfg.DeleteInstallation(r.Context(), inv.InstallationID); err != nil {
			writeError(w, r, err)
			return
		}
		s.cfg.Gate.Forget(inv.InstallationID)
		s.cfg.Metrics.uninstalls.Inc()
		loggerFrom(r.Context()).Info("app uninstalled", "installation", inv.InstallationID)
		encode(w, r, http.StatusAccepted, uninstalledResponse{Deleted: true})
	}
}
