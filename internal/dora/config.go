package dora

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// DefaultIncidentTypes are the issue type names that are incidents unless configured otherwise.
var DefaultIncidentTypes = []string{"Bug", "Incident"}

// WithDefaults returns c with every empty setting replaced by its default. siteTZ is the site's
// default time zone (an IANA name), used when c.TimeZone is empty; when both are empty the time
// zone is UTC. It does not validate c.
func (c Config) WithDefaults(siteTZ string) Config {
	if c.TimeZone == "" {
		c.TimeZone = siteTZ
	}
	if c.TimeZone == "" {
		c.TimeZone = "UTC"
	}
	if c.DeploymentSource == "" {
		c.DeploymentSource = SourceVersions
	}
	if len(c.IncidentTypes) == 0 {
		c.IncidentTypes = append([]string(nil), DefaultIncidentTypes...)
	}
	if c.LeadTimeStart == "" {
		c.LeadTimeStart = StartFirstInProgress
	}
	if c.RecoveryStart == "" {
		c.RecoveryStart = StartCreated
	}
	return c
}

// Validate checks every setting and returns an error that names each invalid field and the
// values it allows. Empty settings are valid because they mean the default.
func (c Config) Validate() error {
	var errs []error

	if c.TimeZone != "" {
		if _, err := time.LoadLocation(c.TimeZone); err != nil {
			errs = append(errs, fmt.Errorf("invalid timeZone %q: use an IANA time zone name such as Europe/Berlin or UTC", c.TimeZone))
		}
	}

	switch c.DeploymentSource {
	case "", SourceVersions:
	case SourceStatus:
		if len(c.DeployedStatuses) == 0 {
			errs = append(errs, errors.New(`missing deployedStatuses: deploymentSource "status" needs at least one status id`))
		}
	default:
		errs = append(errs, fmt.Errorf("invalid deploymentSource %q: use %q or %q", c.DeploymentSource, SourceVersions, SourceStatus))
	}
	for _, id := range c.DeployedStatuses {
		if strings.TrimSpace(id) == "" {
			errs = append(errs, errors.New("invalid deployedStatuses: a status id is empty"))
			break
		}
	}
	for _, name := range c.IncidentTypes {
		if strings.TrimSpace(name) == "" {
			errs = append(errs, errors.New("invalid incidentTypes: an entry is empty; list issue type names such as Bug or issue type ids"))
			break
		}
	}

	switch c.LeadTimeStart {
	case "", StartFirstInProgress, StartCreated:
	default:
		errs = append(errs, fmt.Errorf("invalid leadTimeStart %q: use %q or %q", c.LeadTimeStart, StartFirstInProgress, StartCreated))
	}
	switch c.RecoveryStart {
	case "", StartCreated, StartDeployment:
	default:
		errs = append(errs, fmt.Errorf("invalid recoveryStart %q: use %q or %q", c.RecoveryStart, StartCreated, StartDeployment))
	}

	if err := checkJQLGroup(c.IncidentJQL); err != nil {
		errs = append(errs, fmt.Errorf("invalid incidentJql %q: %w", c.IncidentJQL, err))
	}

	if c.ReworkVersionPattern != "" {
		if _, err := regexp.Compile(c.ReworkVersionPattern); err != nil {
			errs = append(errs, fmt.Errorf("invalid reworkVersionPattern %q: %v", c.ReworkVersionPattern, err))
		}
	}

	return errors.Join(errs...)
}

// checkJQLGroup returns an error unless every parenthesis and quoted string of jql closes
// inside jql. The recompute runs the incident JQL as "project = <id> AND (<jql>)", so a JQL that
// closed that parenthesis early could match issues of other projects.
func checkJQLGroup(jql string) error {
	depth := 0
	var quote byte
	for i := 0; i < len(jql); i++ {
		c := jql[i]
		if quote != 0 {
			switch c {
			case '\\':
				i++ // the escaped character cannot end the string
			case quote:
				quote = 0
			}
			continue
		}
		switch c {
		case '"', '\'':
			quote = c
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return fmt.Errorf("the ) at byte %d closes no ( of the JQL: balance the parentheses", i)
			}
		}
	}
	if quote != 0 {
		return fmt.Errorf("a string opened with %c is not closed: close it", quote)
	}
	if depth > 0 {
		return fmt.Errorf("%d ( not closed: balance the parentheses", depth)
	}
	return nil
}

// maxListedChoices bounds how many valid values a ValidateFor error lists, so that a site with
// hundreds of issue types or statuses still gets a one-line message.
const maxListedChoices = 12

// ValidateFor checks the settings that name things in the project's data. Every incidentTypes
// entry must equal an issue type's id or untranslatedName, compared case-insensitively, and
// every deployedStatuses id must be in data.Statuses. The error names each unknown value and
// lists some of the valid ones. Empty lists are valid because they mean the default. It does
// not run Validate.
func (c Config) ValidateFor(data ProjectData) error {
	project := cmp.Or(data.Project.Key, data.Project.ID)
	var errs []error
	for _, entry := range c.IncidentTypes {
		if !hasIssueType(data.IssueTypes, entry) {
			errs = append(errs, fmt.Errorf("invalid incidentTypes entry %q: project %s has no issue type with that name or id: %s",
				entry, project, listChoices("issue types", issueTypeNames(data.IssueTypes))))
		}
	}
	for _, id := range c.DeployedStatuses {
		if _, ok := data.Statuses[id]; !ok {
			errs = append(errs, fmt.Errorf("invalid deployedStatuses id %q: project %s has no status with that id: %s",
				id, project, listChoices("statuses", sortedIDs(data.Statuses))))
		}
	}
	return errors.Join(errs...)
}

// hasIssueType reports whether entry equals the id or untranslated name of one of types,
// ignoring case and surrounding spaces, the way the engine matches incident types.
func hasIssueType(types map[string]IssueType, entry string) bool {
	entry = strings.TrimSpace(entry)
	for id, it := range types {
		if strings.EqualFold(entry, id) || strings.EqualFold(entry, it.ID) || strings.EqualFold(entry, it.UntranslatedName) {
			return true
		}
	}
	return false
}

// issueTypeNames returns the distinct untranslated names of types, sorted, with the id in place
// of a missing name.
func issueTypeNames(types map[string]IssueType) []string {
	names := make([]string, 0, len(types))
	for id, it := range types {
		name := it.UntranslatedName
		if name == "" {
			name = id
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// sortedIDs returns the keys of m in numeric order for numeric ids, as Jira's ids are.
func sortedIDs[V any](m map[string]V) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
	})
	return ids
}

// listChoices returns "use one of" and up to maxListedChoices values, with how many it left out.
// kind names the values for the message when there are none.
func listChoices(kind string, values []string) string {
	switch {
	case len(values) == 0:
		return "the project's data lists no " + kind
	case len(values) <= maxListedChoices:
		return "use one of " + strings.Join(values, ", ")
	}
	return fmt.Sprintf("use one of %s (and %d more)", strings.Join(values[:maxListedChoices], ", "), len(values)-maxListedChoices)
}
