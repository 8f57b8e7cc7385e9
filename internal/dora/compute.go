package dora

import (
	"cmp"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Reasons recorded in Evidence.Excluded.
const (
	ReasonNotDone          = "notDone"
	ReasonNegativeDuration = "negativeDuration"
	ReasonStartedAtCreated = "startedAtCreated"
)

// Compute returns the report of one project for window w, and the evidence behind its numbers.
//
// cfg is completed with WithDefaults(data.SiteTimeZone) and validated first. When the window's
// Location is set, it is the time zone of every calendar day and week, and it overrides
// cfg.TimeZone. When it is nil, the configured time zone is used. now is the report's ComputedAt and
// the instant at which the age of open incidents is measured when the window ends later.
// Compute does no I/O, does not modify data, and is safe to call concurrently.
func Compute(data ProjectData, cfg Config, w Window, now time.Time) (Report, Evidence, error) {
	reports, evidence, err := ComputeMany(data, cfg, []Window{w}, now)
	if err != nil {
		return Report{}, Evidence{}, err
	}
	return reports[0], evidence[0], nil
}

// ComputeMany returns the report and evidence of each window, in the order of windows, equal to
// what Compute returns for each window alone. Windows in the same time zone share the
// classification of the issues, which took about two thirds of Compute's CPU time on a
// generated 100,000-issue project, so several windows cost less together. It returns the
// first error.
func ComputeMany(data ProjectData, cfg Config, windows []Window, now time.Time) ([]Report, []Evidence, error) {
	cfg = cfg.WithDefaults(data.SiteTimeZone)
	if err := cfg.Validate(); err != nil {
		return nil, nil, fmt.Errorf("compute metrics of project %s: %w", data.Project.Key, err)
	}
	if cfg.IncidentJQL != "" && data.IncidentJQLMatches == nil {
		return nil, nil, fmt.Errorf("compute metrics of project %s: incidentJql is set but no JQL matches were supplied: run the JQL and pass its issue ids, or remove incidentJql", data.Project.Key)
	}
	reports := make([]Report, len(windows))
	evidence := make([]Evidence, len(windows))
	classified := map[string]*project{}
	// The windows are computed at once, up to one per CPU, because computeWindow only reads
	// the classification they share.
	var wg sync.WaitGroup
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	defer wg.Wait()
	for i, w := range windows {
		if err := w.validate(); err != nil {
			return nil, nil, fmt.Errorf("compute metrics of project %s: %w", data.Project.Key, err)
		}
		if w.Location == nil {
			loc, err := time.LoadLocation(cfg.TimeZone)
			if err != nil {
				return nil, nil, errors.New("unreachable: time zone validated above")
			}
			w.Location = loc
		}
		p := classified[w.Location.String()]
		if p == nil {
			p = classify(data, cfg, w.Location)
			classified[w.Location.String()] = p
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			reports[i], evidence[i] = computeWindow(data, p, w, now)
		})
	}
	wg.Wait()
	return reports, evidence, nil
}

// computeWindow computes one window from the classified project p, which it does not modify.
func computeWindow(data ProjectData, p *project, w Window, now time.Time) (Report, Evidence) {
	c := &computation{p: p, w: w, now: now, end: w.To.Start(w.Location)}
	// Empty lists encode as [] rather than null, so drill-down clients need no null checks.
	c.evidence = Evidence{
		Deployments:   []DeploymentEvidence{},
		Changes:       []ChangeEvidence{},
		Recoveries:    []IncidentEvidence{},
		OpenIncidents: []IncidentEvidence{},
		Excluded:      []ExcludedIssue{},
	}
	c.report = Report{
		Project:    data.Project,
		Window:     WindowJSON{From: w.From.String(), To: w.To.String(), TimeZone: w.Location.String()},
		ComputedAt: now,
	}
	c.report.DataQuality.UnknownStatuses = p.unknownStatuses
	c.report.DataQuality.VersionsWithoutReleaseDate = p.versionsWithoutReleaseDate

	c.deploymentMetrics()
	c.leadTime()
	c.recovery()
	c.changeActivity()
	c.sortEvidence()
	return c.report, c.evidence
}

// computation is the state of one Compute call.
type computation struct {
	p        *project
	w        Window
	now      time.Time
	end      time.Time // the instant the window ends
	inWindow []int     // indexes of the deployments whose day is in the window
	report   Report
	evidence Evidence
}

// weekIndex returns the index in w.weeks() of the week that contains day d.
func (c *computation) weekIndex(d Date) int {
	return daysBetween(weekStart(c.w.From), weekStart(d)) / 7
}

func (c *computation) deploymentMetrics() {
	p := c.p
	weeks := c.w.weeks()
	counts := make([]WeekCount, len(weeks))
	rates := make([]WeekRate, len(weeks))
	for k, monday := range weeks {
		counts[k].WeekStart = monday.String()
		rates[k].WeekStart = monday.String()
	}
	days := make(map[Date]bool)
	daysPerWholeWeek := make(map[int]int)
	failed, rework := 0, 0

	for d := range p.deployments {
		dep := &p.deployments[d]
		if !c.w.Contains(dep.day) {
			continue
		}
		c.inWindow = append(c.inWindow, d)
		k := c.weekIndex(dep.day)
		counts[k].Count++
		rates[k].Deployments++
		if !days[dep.day] {
			days[dep.day] = true
			daysPerWholeWeek[k]++
		}
		isFailed := len(dep.incidents) > 0
		if isFailed {
			failed++
			rates[k].FailedDeployments++
		}
		if dep.rework {
			rework++
		}
		c.evidence.Deployments = append(c.evidence.Deployments, DeploymentEvidence{
			ID: dep.id, Name: dep.name, At: dep.at, Failed: isFailed, Rework: dep.rework,
			IncidentKeys: c.keys(dep.incidents), ChangeKeys: c.keys(dep.changes),
		})
	}
	for k := range rates {
		rates[k].Rate = ratio(rates[k].FailedDeployments, rates[k].Deployments)
	}

	windowDays := float64(c.w.Days())
	count := len(c.inWindow)
	df := &c.report.DeploymentFrequency
	df.Count = count
	df.DeploymentDays = len(days)
	df.Series = counts
	if len(p.deployments) > 0 {
		df.PerWeek = ptr(float64(count) / (windowDays / 7))
		df.Level = deploymentFrequencyLevel(c.medianDaysPerWeek(weeks, daysPerWholeWeek), float64(len(days))/(windowDays/30))
	}

	cfr := &c.report.ChangeFailureRate
	cfr.Deployments = count
	cfr.FailedDeployments = failed
	cfr.Rate = ratio(failed, count)
	if cfr.Rate != nil {
		cfr.Level = changeFailureRateLevel(*cfr.Rate)
	}
	cfr.Series = rates

	c.report.ReworkRate = ReworkRate{Deployments: count, ReworkDeployments: rework, Rate: ratio(rework, count)}
}

// medianDaysPerWeek returns the median number of deployment days over the whole ISO weeks inside
// the window or, when no whole week fits, the deployment days per 7 days of the window.
func (c *computation) medianDaysPerWeek(weeks []Date, daysPerWeek map[int]int) float64 {
	whole := c.w.wholeWeeks()
	if len(whole) == 0 {
		total := 0
		for _, n := range daysPerWeek {
			total += n
		}
		return float64(total) / (float64(c.w.Days()) / 7)
	}
	values := make([]float64, 0, len(whole))
	for _, monday := range whole {
		values = append(values, float64(daysPerWeek[c.weekIndex(monday)]))
	}
	return *summarize(values).median
}

func (c *computation) leadTime() {
	p := c.p
	weeks := c.w.weeks()
	perWeek := make([][]float64, len(weeks))
	var hours []float64
	dq := &c.report.DataQuality

	for _, d := range c.inWindow {
		dep := &p.deployments[d]
		for _, i := range dep.changes {
			issue := &p.data.Issues[i]
			facts := &p.issues[i]
			if facts.doneAt.IsZero() {
				dq.NotDone++
				c.exclude(issue.Key, ReasonNotDone)
				continue
			}
			started := issue.Created
			fallback := false
			if p.cfg.LeadTimeStart == StartFirstInProgress {
				if facts.inProgressAt.IsZero() {
					fallback = true
				} else {
					started = facts.inProgressAt
				}
			}
			duration := dep.at.Sub(started)
			if duration < 0 {
				dq.NegativeDurations++
				c.exclude(issue.Key, ReasonNegativeDuration)
				continue
			}
			if fallback {
				dq.StartedAtCreated++
				c.exclude(issue.Key, ReasonStartedAtCreated)
			}
			h := duration.Hours()
			hours = append(hours, h)
			k := c.weekIndex(dep.day)
			perWeek[k] = append(perWeek[k], h)
			c.evidence.Changes = append(c.evidence.Changes, ChangeEvidence{
				Key: issue.Key, StartedAt: started, DeployedAt: dep.at, DeploymentID: dep.id, Hours: h,
			})
		}
	}

	lt := &c.report.LeadTimeForChanges
	lt.Count = len(hours)
	q := summarize(hours)
	lt.MedianHours, lt.P75Hours, lt.P90Hours = q.median, q.p75, q.p90
	if q.median != nil {
		lt.Level = leadTimeLevel(*q.median)
	}
	lt.Series = durationSeries(weeks, perWeek)
}

func (c *computation) recovery() {
	p := c.p
	weeks := c.w.weeks()
	perWeek := make([][]float64, len(weeks))
	var hours []float64
	ageAt := c.end
	if c.now.Before(ageAt) {
		ageAt = c.now
	}
	var oldestOpen *float64
	var oldestStart *time.Time

	for i := range p.data.Issues {
		facts := &p.issues[i]
		if !facts.incident {
			continue
		}
		issue := &p.data.Issues[i]
		if issue.Created.Before(c.end) && (facts.doneAt.IsZero() || !facts.doneAt.Before(c.end)) {
			age := openAge(issue.Created, ageAt)
			if oldestStart == nil || issue.Created.Before(*oldestStart) {
				oldestOpen, oldestStart = ptr(age), ptr(issue.Created)
			}
			c.evidence.OpenIncidents = append(c.evidence.OpenIncidents, IncidentEvidence{
				Key: issue.Key, Start: issue.Created, Hours: age, DeploymentID: c.attributedDeploymentID(i),
			})
			continue
		}
		if facts.doneAt.IsZero() {
			continue
		}
		doneDay := DateOf(facts.doneAt.In(c.w.Location))
		if !c.w.Contains(doneDay) {
			continue
		}
		start := issue.Created
		if p.cfg.RecoveryStart == StartDeployment {
			if d := c.failedDeployment(i); d >= 0 {
				start = p.deployments[d].at
			}
		}
		duration := facts.doneAt.Sub(start)
		if duration < 0 {
			c.report.DataQuality.NegativeDurations++
			c.exclude(issue.Key, ReasonNegativeDuration)
			continue
		}
		h := duration.Hours()
		hours = append(hours, h)
		k := c.weekIndex(doneDay)
		perWeek[k] = append(perWeek[k], h)
		c.evidence.Recoveries = append(c.evidence.Recoveries, IncidentEvidence{
			Key: issue.Key, Start: start, DoneAt: facts.doneAt, Hours: h, DeploymentID: c.attributedDeploymentID(i),
		})
	}

	r := &c.report.FailedDeploymentRecoveryTime
	r.Count = len(hours)
	q := summarize(hours)
	r.MedianHours, r.P75Hours, r.P90Hours = q.median, q.p75, q.p90
	if q.median != nil {
		r.Level = recoveryTimeLevel(*q.median)
	}
	r.OpenIncidents = len(c.evidence.OpenIncidents)
	r.OldestOpenAgeHours, r.OldestOpenStart = oldestOpen, oldestStart
	r.Series = durationSeries(weeks, perWeek)
}

// failedDeployment returns the deployment an incident is attributed to for its recovery start:
// the latest attributed deployment at or before the incident's creation, else the earliest
// attributed one, or -1 when the incident is attributed to none.
func (c *computation) failedDeployment(i int) int {
	created := c.p.data.Issues[i].Created
	latestBefore, earliest := -1, -1
	for _, d := range c.p.issues[i].attributed {
		// Deployment indexes follow the deployments' instants, so comparing indexes compares instants.
		if earliest < 0 || d < earliest {
			earliest = d
		}
		if !c.p.deployments[d].at.After(created) && d > latestBefore {
			latestBefore = d
		}
	}
	if latestBefore >= 0 {
		return latestBefore
	}
	return earliest
}

func (c *computation) attributedDeploymentID(i int) string {
	if d := c.failedDeployment(i); d >= 0 {
		return c.p.deployments[d].id
	}
	return ""
}

// changeActivity computes the reopen rate and the throughput of changes done in the window.
func (c *computation) changeActivity() {
	p := c.p
	done, reopened := 0, 0
	for i := range p.data.Issues {
		facts := &p.issues[i]
		if !facts.change || facts.doneAt.IsZero() || !c.w.Contains(DateOf(facts.doneAt.In(c.w.Location))) {
			continue
		}
		done++
		if facts.reopened {
			reopened++
		}
	}
	c.report.ReopenRate = ratio(reopened, done)
	if p.hasChanges {
		c.report.Throughput = ptr(float64(done) / (float64(c.w.Days()) / 7))
	}
}

func (c *computation) exclude(key, reason string) {
	c.evidence.Excluded = append(c.evidence.Excluded, ExcludedIssue{Key: key, Reason: reason})
}

func (c *computation) keys(indexes []int) []string {
	keys := make([]string, 0, len(indexes))
	for _, i := range indexes {
		keys = append(keys, c.p.data.Issues[i].Key)
	}
	slices.SortFunc(keys, CompareIssueKeys)
	return keys
}

// sortEvidence puts the evidence in the order the drill-down and exports show it: deployments by
// instant (they are appended in that order), then every issue list by issue key in
// CompareIssueKeys order.
func (c *computation) sortEvidence() {
	slices.SortStableFunc(c.evidence.Deployments, func(a, b DeploymentEvidence) int {
		return cmp.Or(a.At.Compare(b.At), CompareIssueKeys(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	slices.SortStableFunc(c.evidence.Changes, func(a, b ChangeEvidence) int {
		return cmp.Or(CompareIssueKeys(a.Key, b.Key), a.DeployedAt.Compare(b.DeployedAt))
	})
	byKey := func(a, b IncidentEvidence) int {
		return cmp.Or(CompareIssueKeys(a.Key, b.Key), a.DoneAt.Compare(b.DoneAt), a.Start.Compare(b.Start))
	}
	slices.SortStableFunc(c.evidence.Recoveries, byKey)
	slices.SortStableFunc(c.evidence.OpenIncidents, byKey)
	slices.SortStableFunc(c.evidence.Excluded, func(a, b ExcludedIssue) int {
		return cmp.Or(CompareIssueKeys(a.Key, b.Key), cmp.Compare(a.Reason, b.Reason))
	})
}

// durationSeries returns one WeekDuration per week with the count and median of its values.
func durationSeries(weeks []Date, perWeek [][]float64) []WeekDuration {
	series := make([]WeekDuration, len(weeks))
	for k, monday := range weeks {
		series[k] = WeekDuration{WeekStart: monday.String(), Count: len(perWeek[k]), MedianHours: summarize(perWeek[k]).median}
	}
	return series
}
