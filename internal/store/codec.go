package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/devops-metrics/devops-metrics/internal/dora"
)

// Issue records are binary because they are most of the file. Layout, in order:
//
//	byte     record format (issueFormat)
//	string   id, key, type id, current status id
//	time     created, resolved
//	list     fix version ids, affects version ids (count, then strings)
//	count    transitions, then each: time at, string from, string to
//
// A string is a uvarint length and the bytes. A count is a uvarint. A time is one byte, 0 for the
// zero time or 1 followed by the varint Unix seconds, the uvarint nanoseconds and the varint UTC
// offset in seconds, so a decoded time has the instant and the offset Jira sent.
const issueFormat = 1

// Limits that a decoder applies before it allocates, so a damaged record cannot ask for gigabytes.
const (
	maxListLength   = 1 << 20
	maxStringLength = 1 << 16
)

var errCorrupt = errors.New("corrupt issue record")

func encodeIssue(is dora.Issue) []byte {
	b := make([]byte, 0, 64+len(is.Transitions)*24)
	b = append(b, issueFormat)
	b = appendString(b, is.ID)
	b = appendString(b, is.Key)
	b = appendString(b, is.TypeID)
	b = appendString(b, is.StatusID)
	b = appendTime(b, is.Created)
	b = appendTime(b, is.Resolved)
	b = appendStrings(b, is.FixVersionIDs)
	b = appendStrings(b, is.AffectsVersionIDs)
	b = binary.AppendUvarint(b, uint64(len(is.Transitions)))
	for _, tr := range is.Transitions {
		b = appendTime(b, tr.At)
		b = appendString(b, tr.From)
		b = appendString(b, tr.To)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendStrings(b []byte, list []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(list)))
	for _, s := range list {
		b = appendString(b, s)
	}
	return b
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	_, offset := t.Zone()
	b = append(b, 1)
	b = binary.AppendVarint(b, t.Unix())
	b = binary.AppendUvarint(b, uint64(t.Nanosecond()))
	return binary.AppendVarint(b, int64(offset))
}

// decodeIssue parses a record written by encodeIssue. It returns an error wrapping errCorrupt,
// never a panic, for any other input.
func decodeIssue(data []byte) (dora.Issue, error) {
	d := decoder{buf: data}
	if format := d.byte(); d.err == nil && format != issueFormat {
		return dora.Issue{}, fmt.Errorf("issue record format %d, want %d: %w", format, issueFormat, errCorrupt)
	}
	var is dora.Issue
	is.ID = d.string()
	is.Key = d.string()
	is.TypeID = d.string()
	is.StatusID = d.string()
	is.Created = d.time()
	is.Resolved = d.time()
	is.FixVersionIDs = d.strings()
	is.AffectsVersionIDs = d.strings()
	if n := d.count(); n > 0 {
		is.Transitions = make([]dora.Transition, n)
		for i := range is.Transitions {
			is.Transitions[i] = dora.Transition{At: d.time(), From: d.string(), To: d.string()}
		}
	}
	if d.err == nil && len(d.buf) != 0 {
		d.err = fmt.Errorf("%d bytes after the record: %w", len(d.buf), errCorrupt)
	}
	if d.err != nil {
		return dora.Issue{}, d.err
	}
	return is, nil
}

// decoder reads the record fields in order; after the first error every read returns a zero value.
type decoder struct {
	buf []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("truncated or invalid %s: %w", what, errCorrupt)
	}
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.buf) == 0 {
		d.fail("byte")
		return 0
	}
	v := d.buf[0]
	d.buf = d.buf[1:]
	return v
}

func (d *decoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) varint(what string) int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.buf)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

// count reads a list length and checks that the remaining bytes could hold that many entries.
func (d *decoder) count() int {
	n := d.uvarint("count")
	if d.err != nil {
		return 0
	}
	if n > maxListLength || n > uint64(len(d.buf)) {
		d.fail("count")
		return 0
	}
	return int(n)
}

func (d *decoder) string() string {
	n := d.uvarint("string length")
	if d.err != nil {
		return ""
	}
	if n > maxStringLength || n > uint64(len(d.buf)) {
		d.fail("string")
		return ""
	}
	s := string(d.buf[:n])
	d.buf = d.buf[n:]
	return s
}

func (d *decoder) strings() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	list := make([]string, n)
	for i := range list {
		list[i] = d.string()
	}
	return list
}

func (d *decoder) time() time.Time {
	switch d.byte() {
	case 0:
		return time.Time{}
	case 1:
	default:
		d.fail("time flag")
		return time.Time{}
	}
	sec := d.varint("seconds")
	nsec := d.uvarint("nanoseconds")
	offset := d.varint("offset")
	if d.err != nil {
		return time.Time{}
	}
	// Real UTC offsets lie within ±14 hours; a wider one means a damaged record.
	if nsec >= 1e9 || offset < -18*3600 || offset > 18*3600 {
		d.fail("time")
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).In(zoneFor(int(offset)))
}

// zoneFor returns the location a decoded time gets: UTC for offset 0, otherwise an unnamed fixed zone.
// Times that Jira sends are parsed the same way, so stored and fresh facts encode alike in JSON.
func zoneFor(offset int) *time.Location {
	if offset == 0 {
		return time.UTC
	}
	return time.FixedZone("", offset)
}
