package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/snapshot"
)

const reportUsage = `usage: devops-metrics report --snapshot DIR --project KEY [--from YYYY-MM-DD --to YYYY-MM-DD | --window 90d]
                             [--time-zone IANA] [--config FILE] [--format json|table]

Prints the DORA metrics of one project, computed offline from a Jira site snapshot folder
(or, with --jira-url in place of --snapshot, from a live Jira site).

flags:`

// maxWindowDays bounds --window so a typo cannot ask for centuries of weekly series.
const maxWindowDays = 3660

// reportOptions are the parsed flags of the report command.
type reportOptions struct {
	snapshotDir string
	jiraURL     string
	projectKey  string
	from, to    string
	window      string
	timeZone    string
	configFile  string
	format      string
}

// runReport runs the report command. Every error it returns starts with "report: ".
func runReport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	err := reportMain(ctx, args, getenv, stdout, stderr)
	if err == nil || errors.Is(err, errHelpShown) {
		return nil
	}
	var exit *exitError
	if errors.As(err, &exit) && exit.err != nil {
		return &exitError{code: exit.code, err: fmt.Errorf("report: %w", exit.err)}
	}
	return fmt.Errorf("report: %w", err)
}

// reportMain is runReport without the "report: " prefix on its errors.
func reportMain(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	opts, err := parseReportFlags(args, stdout)
	if err != nil {
		return err
	}
	cfg, err := readReportConfig(opts.configFile)
	if err != nil {
		return err
	}

	var data dora.ProjectData
	if opts.snapshotDir != "" {
		data, err = loadSnapshotProject(opts.snapshotDir, opts.projectKey)
	} else {
		data, err = loadLiveProject(ctx, opts.jiraURL, opts.projectKey, cfg.IncidentJQL, getenv, stderr)
	}
	if err != nil {
		return err
	}
	if cfg.IncidentJQL != "" && data.IncidentJQLMatches == nil {
		return usageError("incidentJql %q in %s cannot be evaluated offline: remove it from the config file or read a live site with --jira-url", cfg.IncidentJQL, opts.configFile)
	}
	if err := cfg.ValidateFor(data); err != nil {
		return usageError("invalid config file %s: %s", opts.configFile, oneLine(err))
	}

	if opts.timeZone != "" {
		cfg.TimeZone = opts.timeZone
	}
	cfg = cfg.WithDefaults(data.SiteTimeZone)
	// --time-zone and the config file's timeZone were checked before, so only the site's own
	// time zone can be unknown here.
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return usageError("invalid time zone %q of the site: pass --time-zone with an IANA name such as Asia/Shanghai or UTC", cfg.TimeZone)
	}
	now := time.Now()
	window, err := reportWindow(opts, now, loc)
	if err != nil {
		return err
	}

	report, _, err := dora.Compute(data, cfg, window, now)
	if err != nil {
		return usageError("%s", oneLine(err))
	}
	if opts.format == "table" {
		return writeReportTable(stdout, report)
	}
	encoder := json.NewEncoder(stdout)
	encoder.SetIndent("", "  ")
	return encoder.Encode(report)
}

// errHelpShown is returned by parseReportFlags after it printed the help for -h.
var errHelpShown = errors.New("help shown")

// parseReportFlags parses and checks the flags. -h prints the help to stdout and returns
// errHelpShown.
func parseReportFlags(args []string, stdout io.Writer) (reportOptions, error) {
	var opts reportOptions
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&opts.snapshotDir, "snapshot", "", "snapshot `folder` to read (projects.json, issues.json, ...)")
	fs.StringVar(&opts.jiraURL, "jira-url", "", "live Jira site `URL` to read instead of a snapshot")
	fs.StringVar(&opts.projectKey, "project", "", "`key` (in any case) or numeric id of the project to report, such as EE or 10003")
	fs.StringVar(&opts.from, "from", "", "first calendar `day` of the window, YYYY-MM-DD (with --to)")
	fs.StringVar(&opts.to, "to", "", "calendar `day` after the last day of the window (exclusive), YYYY-MM-DD (with --from)")
	fs.StringVar(&opts.window, "window", "", "window of N `days` ending today, such as 7d, 30d, 90d, 180d or 365d (default 90d)")
	fs.StringVar(&opts.timeZone, "time-zone", "", "IANA time `zone` for days, weeks and release dates; overrides the config file and site.json")
	fs.StringVar(&opts.configFile, "config", "", "JSON `file` with the project's metric settings (timeZone, deploymentSource, incidentTypes, ...)")
	fs.StringVar(&opts.format, "format", "json", "output `format`: json or table")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage = func() {}
			if _, err := fmt.Fprintln(stdout, reportUsage); err != nil {
				return opts, err
			}
			fs.PrintDefaults()
			return opts, errHelpShown
		}
		return opts, usageError("%v: run devops-metrics report -h for the flags", err)
	}
	if fs.NArg() > 0 {
		return opts, usageError("unexpected argument %q: pass every input as a flag, see devops-metrics report -h", fs.Arg(0))
	}
	switch {
	case opts.projectKey == "":
		return opts, usageError("missing --project: name the project key, such as --project EE")
	case opts.snapshotDir == "" && opts.jiraURL == "":
		return opts, usageError("missing --snapshot: name a snapshot folder with --snapshot DIR, or a live site with --jira-url URL")
	case opts.snapshotDir != "" && opts.jiraURL != "":
		return opts, usageError("--snapshot and --jira-url both given: use one of them")
	case (opts.from == "") != (opts.to == ""):
		return opts, usageError("--from and --to go together: give both dates, or use --window")
	case opts.from != "" && opts.window != "":
		return opts, usageError("--window cannot be combined with --from and --to: use one or the other")
	case opts.format != "json" && opts.format != "table":
		return opts, usageError("invalid --format %q: use json or table", opts.format)
	}
	if opts.timeZone != "" {
		if _, err := time.LoadLocation(opts.timeZone); err != nil {
			return opts, usageError("invalid --time-zone %q: use an IANA name such as Asia/Shanghai or UTC", opts.timeZone)
		}
	}
	return opts, nil
}

// reportWindow returns the window the flags ask for, 90 days ending today by default.
func reportWindow(opts reportOptions, now time.Time, loc *time.Location) (dora.Window, error) {
	if opts.from != "" {
		from, err := dora.ParseDate(opts.from)
		if err != nil {
			return dora.Window{}, usageError("--from: %v", err)
		}
		to, err := dora.ParseDate(opts.to)
		if err != nil {
			return dora.Window{}, usageError("--to: %v", err)
		}
		if !from.Before(to) {
			return dora.Window{}, usageError("--from %s is not before --to %s: --to is the day after the last day of the window", from, to)
		}
		return dora.Window{From: from, To: to, Location: loc}, nil
	}
	days := 90
	if opts.window != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(opts.window, "d"))
		if err != nil || !strings.HasSuffix(opts.window, "d") || n < 1 || n > maxWindowDays {
			return dora.Window{}, usageError("invalid --window %q: write a number of days from 1 to %d followed by d, such as 90d", opts.window, maxWindowDays)
		}
		days = n
	}
	return dora.PresetWindow(days, now, loc), nil
}

// configSettings lists the settings of a config file, for error messages.
const configSettings = "timeZone, deploymentSource, deployedStatuses, incidentTypes, incidentJql, leadTimeStart, recoveryStart, reworkVersionPattern, includeSubtasks, includeEpics"

// readReportConfig decodes the --config file, rejecting unknown settings. No file means defaults.
func readReportConfig(path string) (dora.Config, error) {
	var cfg dora.Config
	if path == "" {
		return cfg, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, usageError("cannot read --config file: %v", err)
	}
	return decodeReportConfig(path, data)
}

// decodeReportConfig decodes and validates the content of the config file at path. Its errors
// are usage errors that name the file and, for broken JSON, the byte offset.
func decodeReportConfig(path string, data []byte) (dora.Config, error) {
	var cfg dora.Config
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&cfg); err != nil {
		return cfg, usageError("invalid config file %s: %s: fix the JSON; settings are %s", path, describeJSONError(err, data, decoder.InputOffset()), configSettings)
	}
	if rest := bytes.TrimSpace(data[decoder.InputOffset():]); len(rest) > 0 {
		return cfg, usageError("invalid config file %s: unexpected data after the settings object at byte offset %d: keep one JSON object in the file", path, int64(len(data)-len(rest)))
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usageError("invalid config file %s: %s", path, oneLine(err))
	}
	return cfg, nil
}

// describeJSONError describes what is wrong with the JSON in data and at which byte offset, counted
// from 0. offset is the decoder's input offset, used when err carries none.
func describeJSONError(err error, data []byte, offset int64) string {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF) && len(bytes.TrimSpace(data)) == 0:
		return "the file is empty"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Sprintf("the JSON ends early at byte %d", len(data))
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("at byte offset %d: %v", syntaxErr.Offset, err)
	case errors.As(err, &typeErr):
		return fmt.Sprintf("at byte offset %d: %v", typeErr.Offset, err)
	}
	return fmt.Sprintf("near byte offset %d: %v", offset, err)
}

// oneLine joins the lines of err, such as those of errors.Join, with "; ".
func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

// loadSnapshotProject reads the snapshot folder and returns the facts of one project, named by
// its key in any case or by its numeric id. Every failure is a usage error: the folder or the
// project is wrong.
func loadSnapshotProject(dir, ref string) (dora.ProjectData, error) {
	site, err := snapshot.Load(dir)
	if err != nil {
		return dora.ProjectData{}, usageError("%v", err)
	}
	key := ref
	for _, p := range site.Projects {
		if p.ID == ref || strings.EqualFold(p.Key, ref) {
			key = p.Key
			break
		}
	}
	data, err := site.ProjectData(key)
	if err != nil {
		return dora.ProjectData{}, usageError("%v: pass one of them, or a project id, with --project", err)
	}
	return data, nil
}

// writeReportTable prints a terminal summary of the report with the level of each metric.
func writeReportTable(w io.Writer, r dora.Report) error {
	df := r.DeploymentFrequency
	lt := r.LeadTimeForChanges
	cfr := r.ChangeFailureRate
	rec := r.FailedDeploymentRecoveryTime
	rw := r.ReworkRate
	rows := []string{
		"METRIC\tVALUE\tLEVEL",
		fmt.Sprintf("Deployment frequency\t%s on %s, %s per week\t%s",
			plural(df.Count, "deployment"), plural(df.DeploymentDays, "day"), formatNumber(df.PerWeek), formatLevel(df.Level)),
		fmt.Sprintf("Lead time for changes\tmedian %s, p75 %s, p90 %s (%s)\t%s",
			formatHours(lt.MedianHours), formatHours(lt.P75Hours), formatHours(lt.P90Hours), plural(lt.Count, "change"), formatLevel(lt.Level)),
		fmt.Sprintf("Change failure rate\t%s (%d of %d deployments failed)\t%s",
			formatPercent(cfr.Rate), cfr.FailedDeployments, cfr.Deployments, formatLevel(cfr.Level)),
		fmt.Sprintf("Failed deployment recovery time\tmedian %s, p75 %s, p90 %s (%s; %d open, oldest %s)\t%s",
			formatHours(rec.MedianHours), formatHours(rec.P75Hours), formatHours(rec.P90Hours), plural(rec.Count, "incident"),
			rec.OpenIncidents, formatHours(rec.OldestOpenAgeHours), formatLevel(rec.Level)),
		fmt.Sprintf("Deployment rework rate\t%s (%d of %d deployments)\tno level",
			formatPercent(rw.Rate), rw.ReworkDeployments, rw.Deployments),
		fmt.Sprintf("Reopen rate\t%s\t", formatPercent(r.ReopenRate)),
		fmt.Sprintf("Throughput\t%s changes done per week\t", formatNumber(r.Throughput)),
	}

	header := fmt.Sprintf("Project %s (%s), %s up to %s (exclusive), time zone %s\n\n",
		r.Project.Key, r.Project.Name, r.Window.From, r.Window.To, r.Window.TimeZone)
	var b strings.Builder
	b.WriteString(header)
	table := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, row := range rows {
		if _, err := io.WriteString(table, row+"\n"); err != nil {
			return err
		}
	}
	if err := table.Flush(); err != nil {
		return err
	}

	dq := r.DataQuality
	footer := fmt.Sprintf("\nData quality: %d changes started at creation (no In Progress transition), %d not done, "+
		"%d negative durations excluded, %d released versions without a release date, %d unknown status ids\n",
		dq.StartedAtCreated, dq.NotDone, dq.NegativeDurations, dq.VersionsWithoutReleaseDate, dq.UnknownStatuses)
	b.WriteString(footer)
	_, err := io.WriteString(w, b.String())
	return err
}

// plural formats a count with its noun, adding "s" unless the count is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func formatLevel(l dora.Level) string {
	if l == "" {
		return "no data"
	}
	return string(l)
}

func formatHours(h *float64) string {
	if h == nil {
		return "n/a"
	}
	return strconv.FormatFloat(*h, 'f', 2, 64) + " h"
}

func formatPercent(rate *float64) string {
	if rate == nil {
		return "n/a"
	}
	return strconv.FormatFloat(*rate*100, 'f', 1, 64) + "%"
}

func formatNumber(v *float64) string {
	if v == nil {
		return "n/a"
	}
	return strconv.FormatFloat(*v, 'f', 2, 64)
}
