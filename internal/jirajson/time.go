package jirajson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
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
	if t, ok := parseJiraLayout(s); ok {
		return t, nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid Jira timestamp %q: expected a form like 2020-06-12T08:13:13.360+0800", s)
}

// parseJiraLayout parses s in Jira's own layout, "2006-01-02T15:04:05.000-0700", which is
// every timestamp of a Jira Cloud reply, without time.Parse's walk through the layout. It gives what
// time.Parse gives, including the choice of time.Local when the offset is the local one at that
// instant. It reports false for anything else, including out-of-range values, which the caller
// passes to time.Parse for its exact checks and messages.
func parseJiraLayout[T string | []byte](s T) (time.Time, bool) {
	if len(s) != len("2006-01-02T15:04:05.000-0700") || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
		s[13] != ':' || s[16] != ':' || s[19] != '.' || (s[23] != '+' && s[23] != '-') {
		return time.Time{}, false
	}

	// num returns the decimal number in s[from:to], or -1 when a byte is not a digit.
	num := func(from, to int) int {
		n := 0
		for i := from; i < to; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}

	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	hour, minute, second, milli := num(11, 13), num(14, 16), num(17, 19), num(20, 23)
	zoneHour, zoneMinute := num(24, 26), num(26, 28)
	// Values out of these ranges go to time.Parse, which rejects them or knows them better.
	if year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
		second < 0 || second > 59 || milli < 0 || zoneHour < 0 || zoneHour > 14 || zoneMinute < 0 || zoneMinute > 59 {
		return time.Time{}, false
	}
	if day > time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return time.Time{}, false
	}

	offset := zoneHour*3600 + zoneMinute*60
	if s[23] == '-' {
		offset = -offset
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, milli*int(time.Millisecond), time.UTC).
		Add(-time.Duration(offset) * time.Second)
	if _, local := t.In(time.Local).Zone(); local == offset {
		return t.In(time.Local), true
	}
	return t.In(fixedZone(offset)), true
}

// fixedZones holds the unnamed zones that parseJiraLayout has made, by offset in seconds, so
// that each offset costs one allocation. A site uses a few offsets.
var fixedZones sync.Map

// fixedZone returns the unnamed zone of offset seconds east of UTC, as time.Parse makes it.
func fixedZone(offset int) *time.Location {
	if loc, ok := fixedZones.Load(offset); ok {
		return loc.(*time.Location)
	}
	loc, _ := fixedZones.LoadOrStore(offset, time.FixedZone("", offset))
	return loc.(*time.Location)
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
	// The common case, parsed from the bytes: the layout has no character that JSON escapes.
	if n := len(data); n == len(timeLayouts[0])+2 && data[0] == '"' && data[n-1] == '"' {
		if parsed, ok := parseJiraLayout(data[1 : n-1]); ok {
			t.Time = parsed
			return nil
		}
	}
	s, ok := plainString(data)
	if !ok {
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("invalid Jira timestamp %s: expected a string", truncate(data))
		}
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

// plainString returns the content of a JSON string literal without escapes, such as every
// timestamp Jira sends, without a decoder pass. It reports false for any other value, which
// the caller decodes in full.
func plainString(data []byte) (string, bool) {
	n := len(data)
	if n < 2 || data[0] != '"' || data[n-1] != '"' {
		return "", false
	}
	inner := data[1 : n-1]
	for _, c := range inner {
		if c == '\\' || c == '"' || c < 0x20 || c >= 0x80 {
			return "", false
		}
	}
	return string(inner), true
}

// MarshalJSON encodes the time in Jira's own format, or null for the zero Time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	// The layout's output has no character that JSON escapes, so it is quoted as is.
	b := make([]byte, 0, len(timeLayouts[0])+2)
	b = append(b, '"')
	b = t.AppendFormat(b, timeLayouts[0])
	return append(b, '"'), nil
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
