package dora

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
	"time"
)

// deployment is one deployment of the project, in the window or not.
type deployment struct {
	id, name string
	at       time.Time
	day      Date // the calendar day the deployment counts on
	// incidents and changes are indexes into ProjectData.Issues.
	incidents []int
	changes   []int
	rework    bool
}

// issueFacts are the facts derived from one issue's fields and history.
type issueFacts struct {
	change, incident bool
	doneAt           time.Time // zero when the issue is not done
	inProgressAt     time.Time // first entry into an indeterminate status, zero when none
	reopened         bool      // ever moved from a done status to a new or indeterminate one
	deployment       int       // index of the deployment that ships the issue, -1 when none
	attributed       []int     // indexes of the deployments an incident is attributed to
}

// project holds the classified facts of one project for one computation.
type project struct {
	data        ProjectData
	cfg         Config
	loc         *time.Location
	issues      []issueFacts
	deployments []deployment // sorted by instant, oldest first
	byVersion   map[string]int
	hasChanges  bool

	unknownStatuses            int
	versionsWithoutReleaseDate int
}

// category returns the category of a status id and whether the id is in the status list.
func (p *project) category(id string) (StatusCategory, bool) {
	c, ok := p.data.Statuses[id]
	return c, ok
}

// classify derives the facts of every issue and builds the project's deployments.
func classify(data ProjectData, cfg Config, loc *time.Location) *project {
	p := &project{data: data, cfg: cfg, loc: loc, issues: make([]issueFacts, len(data.Issues))}

	incidentTypes := make(map[string]bool, len(cfg.IncidentTypes))
	for _, name := range cfg.IncidentTypes {
		incidentTypes[strings.ToLower(strings.TrimSpace(name))] = true
	}
	deployed := make(map[string]bool, len(cfg.DeployedStatuses))
	for _, id := range cfg.DeployedStatuses {
		deployed[id] = true
	}
	unknown := make(map[string]bool)
	noteStatus := func(id string) {
		if id == "" {
			return
		}
		if _, ok := p.data.Statuses[id]; !ok {
			unknown[id] = true
		}
	}

	var statusDeployments []deployment
	for i := range data.Issues {
		issue := &data.Issues[i]
		facts := &p.issues[i]
		facts.deployment = -1

		issueType, known := data.IssueTypes[issue.TypeID]
		subtask := known && (issueType.Subtask || issueType.HierarchyLevel < 0)
		epic := known && issueType.HierarchyLevel >= 1
		facts.change = (!subtask || cfg.IncludeSubtasks) && (!epic || cfg.IncludeEpics)
		p.hasChanges = p.hasChanges || facts.change
		facts.incident = incidentTypes[strings.ToLower(issue.TypeID)] ||
			(known && incidentTypes[strings.ToLower(issueType.UntranslatedName)])
		if cfg.IncidentJQL != "" && !data.IncidentJQLMatches[issue.ID] {
			facts.incident = false
		}

		noteStatus(issue.StatusID)
		var lastDone, firstDeployed time.Time
		for _, tr := range issue.Transitions {
			from, fromKnown := p.category(tr.From)
			to, toKnown := p.category(tr.To)
			if !fromKnown && tr.From != "" {
				unknown[tr.From] = true
			}
			if !toKnown && tr.To != "" {
				unknown[tr.To] = true
			}
			if toKnown && to == CategoryIndeterminate && facts.inProgressAt.IsZero() {
				facts.inProgressAt = tr.At
			}
			if toKnown && to == CategoryDone && !tr.At.Before(lastDone) {
				lastDone = tr.At
			}
			if fromKnown && from == CategoryDone && toKnown && to != CategoryDone {
				facts.reopened = true
			}
			if deployed[tr.To] && (firstDeployed.IsZero() || tr.At.Before(firstDeployed)) {
				firstDeployed = tr.At
			}
		}
		facts.doneAt = issue.Resolved
		if facts.doneAt.IsZero() {
			facts.doneAt = lastDone
		}
		if cfg.DeploymentSource == SourceStatus && facts.change && !firstDeployed.IsZero() {
			statusDeployments = append(statusDeployments, deployment{
				id: issue.ID, name: issue.Key, at: firstDeployed, day: DateOf(firstDeployed.In(loc)),
				changes: []int{i},
			})
		}
	}
	p.unknownStatuses = len(unknown)

	if cfg.DeploymentSource == SourceStatus {
		p.deployments = statusDeployments
	} else {
		p.deployments = p.versionDeployments()
	}
	slices.SortStableFunc(p.deployments, func(a, b deployment) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	p.byVersion = make(map[string]int, len(p.deployments))
	for d := range p.deployments {
		p.byVersion[p.deployments[d].id] = d
		if cfg.DeploymentSource == SourceStatus {
			p.issues[p.deployments[d].changes[0]].deployment = d
		}
	}
	if cfg.DeploymentSource == SourceVersions {
		p.shipChanges()
	}
	p.attributeIncidents()
	p.markRework()
	return p
}

// versionDeployments returns one deployment for each released version with a release date,
// at the end of the release date (00:00 of the next day in the project's time zone).
func (p *project) versionDeployments() []deployment {
	var deployments []deployment
	for _, v := range p.data.Versions {
		if !v.Released {
			continue
		}
		if v.ReleaseDate.IsZero() {
			p.versionsWithoutReleaseDate++
			continue
		}
		deployments = append(deployments, deployment{
			id: v.ID, name: v.Name, at: v.ReleaseDate.AddDays(1).Start(p.loc), day: v.ReleaseDate,
		})
	}
	return deployments
}

// shipChanges assigns each change to the deployment of its earliest released fix version.
func (p *project) shipChanges() {
	for i := range p.data.Issues {
		if !p.issues[i].change {
			continue
		}
		earliest := -1
		for _, id := range p.data.Issues[i].FixVersionIDs {
			if d, ok := p.byVersion[id]; ok && (earliest < 0 || d < earliest) {
				earliest = d
			}
		}
		if earliest >= 0 {
			p.issues[i].deployment = earliest
			p.deployments[earliest].changes = append(p.deployments[earliest].changes, i)
		}
	}
}

// attributeIncidents attributes each incident to every deployed version among its Affects
// versions. An incident without Affects versions, and every incident when deployments come from
// statuses, goes to the last deployment at or before the incident's creation.
func (p *project) attributeIncidents() {
	for i := range p.data.Issues {
		if !p.issues[i].incident {
			continue
		}
		issue := &p.data.Issues[i]
		if p.cfg.DeploymentSource == SourceVersions && len(issue.AffectsVersionIDs) > 0 {
			for _, id := range issue.AffectsVersionIDs {
				if d, ok := p.byVersion[id]; ok && !slices.Contains(p.issues[i].attributed, d) {
					p.deployments[d].incidents = append(p.deployments[d].incidents, i)
					p.issues[i].attributed = append(p.issues[i].attributed, d)
				}
			}
			continue
		}
		if d := p.lastDeploymentAtOrBefore(issue.Created); d >= 0 {
			p.deployments[d].incidents = append(p.deployments[d].incidents, i)
			p.issues[i].attributed = append(p.issues[i].attributed, d)
		}
	}
}

// lastDeploymentAtOrBefore returns the index of the last deployment whose instant is at or
// before t, or -1 when there is none.
func (p *project) lastDeploymentAtOrBefore(t time.Time) int {
	n, _ := slices.BinarySearchFunc(p.deployments, t, func(d deployment, t time.Time) int {
		if d.at.After(t) {
			return 1
		}
		return -1
	})
	return n - 1
}

// markRework marks the deployments that ship an incident created after the previous
// deployment's instant and before their own, or whose name matches the rework pattern.
func (p *project) markRework() {
	var pattern *regexp.Regexp
	if p.cfg.ReworkVersionPattern != "" && p.cfg.DeploymentSource == SourceVersions {
		pattern = regexp.MustCompile(p.cfg.ReworkVersionPattern)
	}
	for d := range p.deployments {
		if pattern != nil && pattern.MatchString(p.deployments[d].name) {
			p.deployments[d].rework = true
		}
	}
	for i := range p.data.Issues {
		if !p.issues[i].incident {
			continue
		}
		issue := &p.data.Issues[i]
		if p.cfg.DeploymentSource == SourceStatus {
			if d := p.issues[i].deployment; d >= 0 && p.createdBetweenDeployments(issue.Created, d) {
				p.deployments[d].rework = true
			}
			continue
		}
		for _, id := range issue.FixVersionIDs {
			if d, ok := p.byVersion[id]; ok && p.createdBetweenDeployments(issue.Created, d) {
				p.deployments[d].rework = true
			}
		}
	}
}

// createdBetweenDeployments reports whether created lies after the instant of the deployment
// before deployment d and before d's own instant. The first deployment has no previous one.
func (p *project) createdBetweenDeployments(created time.Time, d int) bool {
	own := p.deployments[d].at
	previous := p.lastDeploymentBefore(own)
	if previous < 0 {
		return false
	}
	return created.After(p.deployments[previous].at) && created.Before(own)
}

// lastDeploymentBefore returns the index of the last deployment whose instant is strictly
// before t, or -1 when there is none.
func (p *project) lastDeploymentBefore(t time.Time) int {
	n, _ := slices.BinarySearchFunc(p.deployments, t, func(d deployment, t time.Time) int {
		if d.at.Before(t) {
			return -1
		}
		return 1
	})
	return n - 1
}
