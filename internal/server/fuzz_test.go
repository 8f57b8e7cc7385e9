package server

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Run with: go test -run '^$' -fuzz '^FuzzParseReportQuery$' -fuzztime 30s ./internal/server/
func FuzzParseReportQuery(f *testing.F) {
	f.Add("project=10000&window=90", []byte(nil))
	f.Add("project=EE&from=2020-06-01&to=2020-08-01&timeZone=Asia/Shanghai", []byte(nil))
	f.Add("", []byte(`{"projects":["10000"],"window":30,"metric":"reworkRate"}`))
	f.Add("", []byte(`{"project":10000,"from":"2026-01-01","to":"2026-02-01"}`))
	f.Add("metric=leadTimeForChanges&window=7", []byte(`{"project":null}`))
	f.Add("project=a&project=b", []byte(`[]`))
	f.Add("from=9999-12-31&to=0001-01-01&project=X", []byte(`{"window":true}`))
	f.Fuzz(func(t *testing.T, rawQuery string, gadget []byte) {
		values, err := url.ParseQuery(rawQuery)
		if err != nil {
			return
		}
		q, err := parseReportQuery(values, gadget)
		if err != nil {
			var apiErr *Error
			if assert.True(t, errors.As(err, &apiErr), "error %v is not a 400", err) {
				assert.Equal(t, http.StatusBadRequest, apiErr.Status)
			}
			return
		}
		assert.True(t, isProjectRef(q.Project), "project %q", q.Project)
		if q.Custom() {
			assert.True(t, q.From.Before(q.To), "window %v to %v", q.From, q.To)
		} else {
			assert.Contains(t, PresetWindows, q.WindowDays)
		}
	})
}

// Run with: go test -run '^$' -fuzz '^FuzzDecodeSettings$' -fuzztime 30s ./internal/server/
func FuzzDecodeSettings(f *testing.F) {
	f.Add([]byte(`{"timeZone":"Europe/Berlin","deploymentSource":"versions"}`))
	f.Add([]byte(`{"deploymentSource":"status","deployedStatuses":["10002"],"incidentTypes":["Bug"],"reworkVersionPattern":"hotfix"}`))
	f.Add([]byte(`{"reworkVersionPattern":"(?<x)"}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(`{"includeSubtasks":"yes"}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPut, "/forge/projects/10000/settings", bytes.NewReader(body))
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, DefaultMaxBodyBytes)
		cfg, err := decodeSettings(r)
		if err != nil {
			status, _, message := classify(err)
			assert.Contains(t, []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge}, status, "error %v", err)
			assert.NotEmpty(t, message)
			return
		}
		assert.NoError(t, cfg.Validate())
	})
}

// Run with: go test -run '^$' -fuzz '^FuzzScalarString$' -fuzztime 30s ./internal/server/
func FuzzScalarString(f *testing.F) {
	for _, seed := range []string{`"10000"`, `10000`, `null`, ``, `1e400`, `{"a":1}`, `"\u0000"`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		_, _ = scalarString(raw)
	})
}
