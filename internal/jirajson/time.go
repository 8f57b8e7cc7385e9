package jirajson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/devops-metrics/devops-metrics/internal/dora"
)

// Layouts that Jira uses for timestamps, tried in order. Jira Cloud writes
// "2020-06-12T08:13:13.360+0800" (no colon in the offset); RFC 3339 forms are also accepted.
var timeLayouts = []string{
	"2006-01-02T15:04:05.000-0700",
	"2006-01-02T15:04:05-0700",
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
}

// ParseTime parses a Jira timestamp such as "2020-06-12T08:13:13.360+0800" or an RFC 3339
// timestamp such as "2020-06-12T00:13:13Z". The result keeps the offset that was written.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid Jira timestamp %q: expected a form like 2020-06-12T08:13:13.360+0800", s)
}

// Time is a Jira timestamp. JSON null and "" decode to the zero Time, which means "not set".
type Time struct {
	time.Time
}

// UnmarshalJSON decodes a Jira timestamp string, null or "".
func (t *Time) UnmarshalJSON(data []byte) error {
	if bytes.Equal(data, []byte("null")) {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("invalid Jira timestamp %s: expected a string", truncate(data))
	}
	if s == "" {
		t.Time = time.Time{}
		return nil
	}
	parsed, err := ParseTime(s)
	if err != nil {
		return err
	}
	t.Time = parsed
	return nil
}

// MarshalJSON encodes the time in Jira's own format, or null for the zero Time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.Format(timeLayouts[0]))
}

// ReleaseDate is a version's release or start date. It decodes "YYYY-MM-DD", which is what
// Jira returns, and a timestamp string, of which it keeps the date as written. It also decodes
// an epoch number, as some of Jira's documentation examples show: milliseconds since
// 1970-01-01 UTC when the magnitude is at least 1e11, else seconds, read as a UTC date.
// null and "" decode to the zero date, which means "no date".
type ReleaseDate dora.Date

// UnmarshalJSON decodes the forms listed on ReleaseDate.
func (d *ReleaseDate) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, []byte("null")) {
		*d = ReleaseDate{}
		return nil
	}
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("invalid release date %s: %w", truncate(data), err)
		}
		return d.parseString(s)
	}
	var n float64
	if err := json.Unmarshal(data, &n); err != nil {
		return fmt.Errorf("invalid release date %s: expected \"YYYY-MM-DD\" or an epoch number", truncate(data))
	}
	return d.parseEpoch(n)
}

func (d *ReleaseDate) parseString(s string) error {
	if s == "" {
		*d = ReleaseDate{}
		return nil
	}
	datePart := s
	if len(s) > len(time.DateOnly) && s[len(time.DateOnly)] == 'T' {
		if _, err := ParseTime(s); err != nil {
			return fmt.Errorf("invalid release date %q: expected YYYY-MM-DD", s)
		}
		datePart = s[:len(time.DateOnly)]
	}
	date, err := dora.ParseDate(datePart)
	if err != nil {
		return fmt.Errorf("invalid release date %q: expected YYYY-MM-DD", s)
	}
	*d = ReleaseDate(date)
	return nil
}

// maxEpochMillis bounds epoch numbers to years 0001..9999 so the conversion cannot overflow.
const maxEpochMillis = 253402300799999

func (d *ReleaseDate) parseEpoch(n float64) error {
	millis := n
	if math.Abs(n) < 1e11 {
		millis = n * 1000
	}
	if math.IsNaN(millis) || millis > maxEpochMillis || millis < -62135596800000 {
		return fmt.Errorf("invalid release date %v: epoch number out of range", n)
	}
	*d = ReleaseDate(dora.DateOf(time.UnixMilli(int64(millis)).UTC()))
	return nil
}

// MarshalJSON encodes the date as "YYYY-MM-DD", or null for the zero date.
func (d ReleaseDate) MarshalJSON() ([]byte, error) {
	if dora.Date(d).IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(dora.Date(d).String())
}

// ID is an identifier that Jira writes as a JSON string in some places and as a number in
// others (a version's projectId is a number, a project's id a string). It decodes both.
type ID string

// UnmarshalJSON decodes a JSON string, a JSON integer or null.
func (id *ID) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, []byte("null")) {
		*id = ""
		return nil
	}
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("invalid id %s: %w", truncate(data), err)
		}
		*id = ID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(data, &n); err != nil {
		return fmt.Errorf("invalid id %s: expected a string or an integer", truncate(data))
	}
	if _, err := n.Int64(); err != nil {
		return fmt.Errorf("invalid id %s: expected a string or an integer", truncate(data))
	}
	*id = ID(n.String())
	return nil
}

// truncate shortens raw JSON for an error message.
func truncate(data []byte) string {
	const max = 40
	s := string(data)
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}
