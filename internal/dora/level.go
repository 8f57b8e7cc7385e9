package dora

import (
	"encoding/json"
	"fmt"
)

// MarshalJSON encodes the empty Level as null and any other Level as its name.
func (l Level) MarshalJSON() ([]byte, error) {
	if l == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(l))
}

// UnmarshalJSON decodes null as the empty Level and rejects names that are not levels.
func (l *Level) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*l = ""
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("invalid level %s: expected a string or null", data)
	}
	switch Level(s) {
	case LevelElite, LevelHigh, LevelMedium, LevelLow:
		*l = Level(s)
		return nil
	}
	return fmt.Errorf("invalid level %q: use elite, high, medium, low or null", s)
}

// deploymentFrequencyLevel rates deployment frequency from the median number of deployment days
// per whole week and the number of deployment days per 30 days.
func deploymentFrequencyLevel(daysPerWeek, daysPerMonth float64) Level {
	switch {
	case daysPerWeek >= 5:
		return LevelElite
	case daysPerWeek >= 1:
		return LevelHigh
	case daysPerMonth >= 1:
		return LevelMedium
	}
	return LevelLow
}

// leadTimeLevel rates a median lead time for changes, in hours.
func leadTimeLevel(medianHours float64) Level {
	switch {
	case medianHours < 24:
		return LevelElite
	case medianHours < 7*24:
		return LevelHigh
	case medianHours < 30*24:
		return LevelMedium
	}
	return LevelLow
}

// changeFailureRateLevel rates a change failure rate given as a fraction.
func changeFailureRateLevel(rate float64) Level {
	switch {
	case rate <= 0.05:
		return LevelElite
	case rate <= 0.10:
		return LevelHigh
	case rate <= 0.15:
		return LevelMedium
	}
	return LevelLow
}

// recoveryTimeLevel rates a median failed deployment recovery time, in hours.
func recoveryTimeLevel(medianHours float64) Level {
	switch {
	case medianHours < 1:
		return LevelElite
	case medianHours < 24:
		return LevelHigh
	case medianHours < 7*24:
		return LevelMedium
	}
	return LevelLow
}
