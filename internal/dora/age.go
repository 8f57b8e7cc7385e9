package dora

import (
	"errors"
	"fmt"
	"time"
)

// AgedTo returns the report that Compute gives at the instant at, for a report whose inputs
// have not changed since it was computed and whose window is the one at would give. Only two
// values depend on the instant of computation: ComputedAt, which becomes at, and the age of the
// oldest open incident, taken at at or at the window's end when that comes first. A report
// whose inputs changed must be computed again.
// A report with open incidents but without OldestOpenStart, as builds before that field wrote
// it, is an error: its age cannot be moved.
func (r Report) AgedTo(at time.Time) (Report, error) {
	rec := &r.FailedDeploymentRecoveryTime
	if rec.OpenIncidents > 0 && rec.OldestOpenStart == nil {
		return r, errors.New("the report has open incidents but no oldestOpenIncidentStart, so it must be computed again")
	}
	if rec.OldestOpenStart != nil {
		ageAt, err := r.ageInstant(at)
		if err != nil {
			return r, err
		}
		rec.OldestOpenAgeHours = ptr(openAge(*rec.OldestOpenStart, ageAt))
	}
	r.ComputedAt = at
	return r, nil
}

// AgeOpenIncidents sets the age of each open incident in e to its age at r's ComputedAt, or at
// the end of r's window when that comes first, as Compute does. Evidence stored beside a report
// that AgedTo moved later thereby shows the ages that the report's numbers use.
func (e *Evidence) AgeOpenIncidents(r Report) error {
	if len(e.OpenIncidents) == 0 {
		return nil
	}
	ageAt, err := r.ageInstant(r.ComputedAt)
	if err != nil {
		return err
	}
	for i := range e.OpenIncidents {
		e.OpenIncidents[i].Hours = openAge(e.OpenIncidents[i].Start, ageAt)
	}
	return nil
}

// ageInstant returns the instant at which open incidents are aged for a report computed at at:
// at itself, or the window's end when that comes first.
func (r Report) ageInstant(at time.Time) (time.Time, error) {
	loc, err := time.LoadLocation(r.Window.TimeZone)
	if err != nil {
		return time.Time{}, fmt.Errorf("report window time zone %q: %w", r.Window.TimeZone, err)
	}
	to, err := ParseDate(r.Window.To)
	if err != nil {
		return time.Time{}, fmt.Errorf("report window end: %w", err)
	}
	if end := to.Start(loc); end.Before(at) {
		return end, nil
	}
	return at, nil
}

// openAge returns the hours from start to at, or 0 when start comes after at.
func openAge(start, at time.Time) float64 {
	return max(at.Sub(start).Hours(), 0)
}
