package server

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/devops-metrics/devops-metrics/internal/dora"
)

// PresetWindows are the window lengths in days that have precomputed reports.
var PresetWindows = []int{7, 30, 90, 180, 365}

// DefaultWindowDays is the window of a report request that names none.
const DefaultWindowDays = 90

// maxCustomWindowDays bounds a from/to window, so one request cannot ask for an unbounded
// series. Ten years covers any real dashboard.
const maxCustomWindowDays = 3660

// reportQuery is a parsed report or drill-down request.
type reportQuery struct {
	// Project is a project id (digits) or key.
	Project string
	// WindowDays is a preset window length, or 0 when From and To are set.
	WindowDays int
	From, To   dora.Date
	// TimeZone overrides the project's time zone for a custom window; empty keeps it.
	TimeZone string
	// Metric names the metric of a drill-down; empty for reports.
	Metric string
}

// Custom reports whether the request names its own from/to window.
func (q reportQuery) Custom() bool { return q.WindowDays == 0 }

// gadgetConfiguration is what the gadget's edit view saves: the projects (the first is shown
// first) and either a preset window or from/to dates. Scalar values may be JSON strings or
// numbers, and other fields are ignored.
type gadgetConfiguration struct {
	Projects []json.RawMessage `json:"projects"`
	Project  json.RawMessage   `json:"project"`
	Window   json.RawMessage   `json:"window"`
	From     json.RawMessage   `json:"from"`
	To       json.RawMessage   `json:"to"`
}

// project returns the configured project: "project", else the first of "projects".
func (c gadgetConfiguration) project() (string, error) {
	project, err := scalarString(c.Project)
	if err != nil || project != "" || len(c.Projects) == 0 {
		return project, err
	}
	return scalarString(c.Projects[0])
}

// parseReportQuery reads project, window, from, to, timeZone and metric from the query string,
// falling back to the gadget configuration for the project and window. gadget is the raw
// context.extension.gadgetConfiguration of the invocation, or nil.
func parseReportQuery(values url.Values, gadget json.RawMessage) (reportQuery, error) {
	for key, list := range values {
		if len(list) > 1 {
			return reportQuery{}, invalidf("query parameter %q is given %d times: give it once", key, len(list))
		}
	}
	var config gadgetConfiguration
	if len(gadget) > 0 && !bytes.Equal(gadget, []byte("null")) {
		if err := json.Unmarshal(gadget, &config); err != nil {
			return reportQuery{}, invalidf("invalid gadget configuration: it must be a JSON object with project and window: edit the gadget and save it again")
		}
	}

	var q reportQuery
	var err error
	q.Project = values.Get("project")
	if q.Project == "" {
		if q.Project, err = config.project(); err != nil {
			return reportQuery{}, invalidf("invalid project in the gadget configuration: edit the gadget and pick a project")
		}
	}
	if q.Project == "" {
		return reportQuery{}, invalidf("missing project: pass ?project=<id or key> or configure the gadget")
	}
	if !isProjectRef(q.Project) {
		return reportQuery{}, invalidf("invalid project %q: use a numeric project id such as 10000 or a project key such as EE", q.Project)
	}

	if err := q.parseWindow(values, config); err != nil {
		return reportQuery{}, err
	}
	q.TimeZone = values.Get("timeZone")
	if q.TimeZone != "" {
		if _, err := time.LoadLocation(q.TimeZone); err != nil || len(q.TimeZone) > 64 {
			return reportQuery{}, invalidf("invalid timeZone %q: use an IANA time zone name such as Europe/Berlin or UTC", q.TimeZone)
		}
	}
	q.Metric = values.Get("metric")
	return q, nil
}

func (q *reportQuery) parseWindow(values url.Values, config gadgetConfiguration) error {
	from, to, window := values.Get("from"), values.Get("to"), values.Get("window")
	if from != "" || to != "" {
		if window != "" {
			return invalidf("window=%s and from/to both given: give either a preset window or from and to", window)
		}
		return q.parseCustomWindow(from, to)
	}
	if window == "" {
		configuredFrom, errFrom := scalarString(config.From)
		configuredTo, errTo := scalarString(config.To)
		configured, err := scalarString(config.Window)
		if err != nil || errFrom != nil || errTo != nil {
			return invalidf("invalid window in the gadget configuration: edit the gadget and pick a window")
		}
		if configuredFrom != "" || configuredTo != "" {
			return q.parseCustomWindow(configuredFrom, configuredTo)
		}
		window = configured
	}
	if window == "" {
		q.WindowDays = DefaultWindowDays
		return nil
	}
	days, err := strconv.Atoi(window)
	if err != nil || !slices.Contains(PresetWindows, days) {
		return invalidf("invalid window %q: use one of 7, 30, 90, 180 or 365 days, or from and to dates", window)
	}
	q.WindowDays = days
	return nil
}

func (q *reportQuery) parseCustomWindow(from, to string) error {
	if from == "" || to == "" {
		return invalidf("a custom window needs both from and to (YYYY-MM-DD, to exclusive)")
	}
	var err error
	if q.From, err = dora.ParseDate(from); err != nil {
		return invalidf("invalid from: %v", err)
	}
	if q.To, err = dora.ParseDate(to); err != nil {
		return invalidf("invalid to: %v", err)
	}
	if !q.From.Before(q.To) {
		return invalidf("invalid window: from %s must be before to %s (to is exclusive)", from, to)
	}
	if q.From.AddDays(maxCustomWindowDays).Before(q.To) {
		return invalidf("invalid window: from %s to %s is longer than %d days: pick a shorter window", from, to, maxCustomWindowDays)
	}
	return nil
}

// scalarString returns a JSON string or number as a string, and "" for an absent value or null.
func scalarString(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", err
	}
	return n.String(), nil
}

// isProjectID reports whether s is a Jira project id: digits without a leading zero.
func isProjectID(s string) bool {
	return isProjectRef(s) && strings.Trim(s, "0123456789") == ""
}

// isProjectRef reports whether s looks like a Jira project id (digits) or key (a letter, then
// letters, digits or underscores).
func isProjectRef(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	if strings.Trim(s, "0123456789") == "" {
		return s[0] != '0'
	}
	for i, c := range []byte(s) {
		letter := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
		if i == 0 && !letter {
			return false
		}
		digit := c >= '0' && c <= '9'
		if !letter && !digit && c != '_' {
			return false
		}
	}
	return true
}
