package server

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/forge"
)

func errorCodeOf(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var body errorBody
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), "body: %s", rec.Body)
	return body.Error.Code
}

func TestRequestIDMiddleware(t *testing.T) {
	cases := []struct {
		name       string
		requestID  string
		traceID    string
		wantID     string
		wantTrace  string
		randomized bool
	}{
		{name: "keeps a valid id", requestID: "abc-123", traceID: "463ac35c9f6413ad", wantID: "abc-123", wantTrace: "463ac35c9f6413ad"},
		{name: "replaces an id with spaces", requestID: "a b", randomized: true},
		{name: "replaces a missing id", randomized: true},
		{name: "drops a trace id with a newline", requestID: "x", traceID: "abc\nlevel=ERROR", wantID: "x"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			handler := RequestID(slog.New(slog.NewTextHandler(&logs, nil)))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				LoggerFrom(r.Context()).Info("inside")
			}))
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set("X-Request-Id", tc.requestID)
			req.Header.Set("X-B3-Traceid", tc.traceID)
			rec := httptest.NewRecorder()

			handler.ServeHTTP(rec, req)

			got := rec.Header().Get("X-Request-Id")
			if tc.randomized {
				assert.Len(t, got, 16)
			} else {
				assert.Equal(t, tc.wantID, got)
			}
			assert.Contains(t, logs.String(), "request_id="+got)
			assert.Contains(t, logs.String(), "trace_id="+tc.wantTrace)
			assert.NotContains(t, logs.String(), "level=ERROR")
		})
	}
}

func TestRequestAttrsAddsIDsToContextLogs(t *testing.T) {
	var logs bytes.Buffer
	component := slog.New(RequestAttrs(slog.NewTextHandler(&logs, nil))).With("component", "access")
	handler := RequestID(slog.New(slog.DiscardHandler))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		component.InfoContext(r.Context(), "with context")
		component.Info("without context")
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("X-Request-Id", "req-7")

	handler.ServeHTTP(httptest.NewRecorder(), req)

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 2)
	assert.Contains(t, lines[0], "request_id=req-7")
	assert.NotContains(t, lines[1], "request_id")
}

func TestBodyLimitMiddleware(t *testing.T) {
	readAll := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	handler := BodyLimit(10)(readAll)

	cases := []struct {
		name   string
		body   io.Reader
		status int
	}{
		{"within the limit", strings.NewReader("0123456789"), http.StatusNoContent},
		{"declared length over the limit", strings.NewReader("0123456789x"), http.StatusRequestEntityTooLarge},
		{"unknown length over the limit", io.MultiReader(strings.NewReader("0123456789x")), http.StatusRequestEntityTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPut, "/", tc.body)
			if _, known := tc.body.(*strings.Reader); !known {
				req.ContentLength = -1
			}
			rec := httptest.NewRecorder()

			handler.ServeHTTP(rec, req)

			assert.Equal(t, tc.status, rec.Code)
			if tc.status == http.StatusRequestEntityTooLarge {
				assert.Equal(t, CodeTooLarge, errorCodeOf(t, rec))
			}
		})
	}
}

func TestRecovererMiddleware(t *testing.T) {
	handler := Recoverer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	rec := httptest.NewRecorder()

	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))

	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Equal(t, CodeInternal, errorCodeOf(t, rec))
	assert.NotContains(t, rec.Body.String(), "boom", "panic details stay in the log")
}

func TestRequireViewerMiddleware(t *testing.T) {
	handler := RequireViewer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	cases := []struct {
		name   string
		inv    *forge.Invocation
		status int
	}{
		{"viewer", &forge.Invocation{InstallationID: "i", AccountID: "a"}, http.StatusNoContent},
		{"no principal", &forge.Invocation{InstallationID: "i"}, http.StatusUnauthorized},
		{"no invocation", nil, http.StatusUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if tc.inv != nil {
				req = req.WithContext(forge.NewContext(req.Context(), *tc.inv))
			}
			rec := httptest.NewRecorder()

			handler.ServeHTTP(rec, req)

			assert.Equal(t, tc.status, rec.Code)
		})
	}
}
