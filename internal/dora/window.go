package dora

import (
	"errors"
	"fmt"
	"time"
)

// PresetWindow returns the window of the days calendar days that end with today in loc:
// To is tomorrow (exclusive) and From is days days before To. days should be positive;
// the preset sizes the product offers are 7, 30, 90, 180 and 365.
func PresetWindow(days int, now time.Time, loc *time.Location) Window {
	if loc == nil {
		loc = time.UTC
	}
	to := DateOf(now.In(loc)).AddDays(1)
	return Window{From: to.AddDays(-days), To: to, Location: loc}
}

// Days returns the number of calendar days in the window.
func (w Window) Days() int { return daysBetween(w.From, w.To) }

// Contains reports whether the calendar day d is inside the window.
func (w Window) Contains(d Date) bool { return !d.Before(w.From) && d.Before(w.To) }

// validate returns an error when the window is empty or has no dates.
func (w Window) validate() error {
	if w.From.IsZero() || w.To.IsZero() {
		return errors.New("invalid window: both from and to dates are required (YYYY-MM-DD)")
	}
	if !w.From.Before(w.To) {
		return fmt.Errorf("invalid window from %s to %s: from must be before to (to is exclusive)", w.From, w.To)
	}
	return nil
}

// weekStart returns the Monday of the ISO week that contains d.
func weekStart(d Date) Date {
	weekday := int(time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday())
	// time.Weekday counts from Sunday = 0; ISO weeks start on Monday.
	return d.AddDays(-((weekday + 6) % 7))
}

// weeks returns the Monday of every ISO week that overlaps the window, oldest first.
func (w Window) weeks() []Date {
	var mondays []Date
	for monday := weekStart(w.From); monday.Before(w.To); monday = monday.AddDays(7) {
		mondays = append(mondays, monday)
	}
	return mondays
}

// wholeWeeks returns the number of ISO weeks that lie entirely inside the window.
func (w Window) wholeWeeks() []Date {
	var mondays []Date
	for _, monday := range w.weeks() {
		if !monday.Before(w.From) && !w.To.Before(monday.AddDays(7)) {
			mondays = append(mondays, monday)
		}
	}
	return mondays
}
