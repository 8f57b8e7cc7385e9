package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the server's Prometheus metrics, named devops_metrics_*.
type Metrics struct {
	registry    *prometheus.Registry
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	tokens      *prometheus.CounterVec
	permissions *prometheus.CounterVec
	recomputes  *prometheus.CounterVec
	uninstalls  prometheus.Counter
}

// NewMetrics registers the server's metrics, with the Go runtime and process collectors, on a
// new registry.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "devops_metrics_http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "devops_metrics_http_request_duration_seconds",
			Help:    "Time from receiving a request to finishing its reply, by route pattern and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "devops_metrics_forge_token_verifications_total",
			Help: "Forge invocation tokens checked, by result (valid or invalid).",
		}, []string{"result"}),
		permissions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "devops_metrics_permission_decisions_total",
			Help: "Per-project permission decisions of the gate, by outcome (granted, denied, cached_granted, cached_denied, error).",
		}, []string{"outcome"}),
		recomputes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "devops_metrics_recompute_triggers_total",
			Help: "Recompute triggers received, by whether they started a run (started) or joined a running one (joined).",
		}, []string{"result"}),
		uninstalls: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "devops_metrics_uninstalls_total",
			Help: "Uninstall events whose installation data was deleted.",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.tokens, m.permissions, m.recomputes, m.uninstalls,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObservePermission counts one permission decision; pass it as access.Options.Observe.
func (m *Metrics) ObservePermission(outcome string) {
	m.permissions.WithLabelValues(outcome).Inc()
}

// Handler returns the /metrics handler in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Instrument counts each request and observes its duration under its chi route pattern, so
// path values such as project ids do not become labels.
func Instrument(m *Metrics) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r)
			route, method := routePattern(r), methodLabel(r.Method)
			m.requests.WithLabelValues(route, method, strconv.Itoa(statusOf(ww))).Inc()
			m.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		})
	}
}

// methodLabel returns method when it is a standard HTTP method and "OTHER" otherwise. Clients
// may send any method token, so using it as a label as is would add series without bound.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return method
	}
	return "OTHER"
}
