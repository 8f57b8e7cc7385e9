package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"runtime"
	"time"

	"github.com/devops-metrics/devops-metrics/internal/access"
	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/forge"
	"github.com/devops-metrics/devops-metrics/internal/store"
)

// Store is the part of *store.Store the handlers use.
type Store interface {
	Projects(tenant string) ([]dora.Project, error)
	Project(tenant, projectID string) (dora.Project, error)
	Settings(tenant, projectID string) (dora.Config, bool, error)
	PutSettings(tenant, projectID string, cfg dora.Config) error
	ProjectData(tenant, projectID string) (dora.ProjectData, error)
	Report(tenant, projectID string, windowDays int) (store.StoredReport, error)
	ReportJSONSince(tenant, projectID string, windowDays int, known uint64) ([]byte, uint64, error)
	Metadata(tenant, projectID string) (store.ProjectMetadata, error)
	TenantSync(tenant string) (store.TenantSync, error)
	DeleteTenant(tenant string) error
}

// Config holds the server's dependencies and settings.
type Config struct {
	// Logger is the base logger; request lines add request_id and trace_id. Default: slog.Default().
	Logger *slog.Logger
	Store  Store
	// Verifier checks Forge invocation tokens. Required unless Dev is set.
	Verifier TokenVerifier
	// Gate checks viewers' project permissions. Required.
	Gate *access.Gate
	// NewChecker returns the Jira client that checks inv's viewer's permissions, normally one
	// that sends inv.UserToken() to inv.APIBaseURL and logs to LoggerFrom(ctx). An error makes
	// the request fail closed with 503.
	NewChecker func(ctx context.Context, inv forge.Invocation) (access.Checker, error)
	// Recompute starts a background recompute of inv's installation and returns at once. It
	// returns false when a run was already going and this call joined it.
	Recompute func(inv forge.Invocation) (started bool)
	// DeleteInstallation removes everything stored for an installation when the app is
	// uninstalled. Default: Store.DeleteTenant. Pass (*recompute.Recomputer).DeleteTenant so that
	// a running sync is stopped first and cannot write the data back.
	DeleteInstallation func(ctx context.Context, installation string) error
	// Metrics are served at /metrics. Default: NewMetrics().
	Metrics *Metrics
	// Ready reports whether the server can serve data, for /readyz. Default: always ready.
	Ready func(ctx context.Context) error
	// MaxBodyBytes caps request bodies. Default: DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Now is the clock for custom-window reports. Default: time.Now.
	Now func() time.Time

	// Dev, when set, serves the /forge/ routes without a token as DevViewer, plus /api/report
	// and the gadget page from Assets at /. Dangerous: anyone who reaches the server acts as
	// DevViewer, so serve it on loopback only.
	Dev bool
	// DevViewer is the invocation every request gets in Dev mode.
	DevViewer forge.Invocation
	// Assets is the gadget's built page, served at / in Dev mode.
	Assets fs.FS
	// AssetsCSP is the Content-Security-Policy header of the gadget page. Default: a policy as
	// strict as the one Forge applies to Custom UI with inline styles allowed.
	AssetsCSP string
}

// Server is the HTTP handler of the product. Create it with New.
type Server struct {
	cfg     Config
	log     *slog.Logger
	handler http.Handler
	reports reportCache
	// customSlots bounds the custom-window reports computed at once, because each one decodes
	// the project's stored facts and runs the engine on the request path.
	customSlots chan struct{}
}

// New checks cfg and returns a Server with every route mounted.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Gate == nil || cfg.NewChecker == nil || cfg.Recompute == nil {
		return nil, errors.New("new server: Store, Gate, NewChecker and Recompute are required")
	}
	if !cfg.Dev && cfg.Verifier == nil {
		return nil, errors.New("new server: a token Verifier is required outside development mode")
	}
	if cfg.Dev && (cfg.DevViewer.InstallationID == "" || cfg.DevViewer.AccountID == "") {
		return nil, fmt.Errorf("new server: development mode needs a viewer installation and account id (got %q, %q)", cfg.DevViewer.InstallationID, cfg.DevViewer.AccountID)
	}

	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.DeleteInstallation == nil {
		st := cfg.Store
		cfg.DeleteInstallation = func(_ context.Context, installation string) error { return st.DeleteTenant(installation) }
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	if cfg.Ready == nil {
		cfg.Ready = func(context.Context) error { return nil }
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.AssetsCSP == "" {
		cfg.AssetsCSP = customUICSP
	}

	s := &Server{cfg: cfg, log: cfg.Logger.With("component", "server"), customSlots: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))}
	s.handler = s.routes()
	return s, nil
}

// ServeHTTP serves one request. It is safe for concurrent use.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}
