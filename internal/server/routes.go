package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// routes mounts every route of the server. This is the only place that lists them.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(RequestID(s.log), AccessLog, Recoverer, Instrument(s.cfg.Metrics), BodyLimit(s.cfg.MaxBodyBytes))
	if s.cfg.Dev {
		// Development mode serves every request without a token, so it accepts only requests that
		// a browser sends from its own pages on a loopback host name.
		r.Use(LoopbackHost, RejectCrossOrigin)
	}
	r.NotFound(s.handleNotFound())
	r.MethodNotAllowed(s.handleMethodNotAllowed())

	r.Get("/healthz", s.handleHealthz())
	r.Get("/readyz", s.handleReadyz())
	r.Method(http.MethodGet, "/metrics", s.cfg.Metrics.Handler())

	r.Route("/forge", func(r chi.Router) {
		if s.cfg.Dev {
			r.Use(RejectCrossSite, DevIdentity(s.cfg.DevViewer))
		} else {
			r.Use(Authenticate(s.cfg.Verifier, s.cfg.Metrics))
		}

		// Called by the gadget through invokeRemote: a viewer is required.
		r.Group(func(r chi.Router) {
			r.Use(RequireViewer)
			r.Get("/gadget/report", s.handleReport())
			r.Get("/gadget/projects", s.handleProjects())
			r.Get("/gadget/drilldown", s.handleDrilldown())
			r.Get("/projects/{projectId}/settings", s.handleGetSettings())
			r.Put("/projects/{projectId}/settings", s.handlePutSettings())
			r.Get("/projects/{projectId}/metadata", s.handleMetadata())
		})

		// Called by Forge's scheduler and lifecycle events: no viewer. In development mode every
		// request is the one viewer's, so the check applies to Forge mode only.
		r.Group(func(r chi.Router) {
			if !s.cfg.Dev {
				r.Use(RejectViewer)
			}
			r.Post("/triggers/recompute", s.handleRecompute())
			r.Post("/lifecycle/installed", s.handleInstalled())
			r.Post("/lifecycle/uninstalled", s.handleUninstalled())
		})
	})

	if s.cfg.Dev {
		r.Route("/api", func(r chi.Router) {
			r.Use(RejectCrossSite, DevIdentity(s.cfg.DevViewer))
			r.Get("/report", s.handleDevReport())
		})
		r.Get("/*", s.handleAssets())
	}
	return r
}
