package jiraemu

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// cursor is the position a nextPageToken stands for. Query binds it to the request it
// continues, so a token cannot be replayed against another query.
type cursor struct {
	Query   string `json:"q"`
	Offset  int    `json:"o"`
	Inner   int    `json:"i,omitempty"`
	Expires int64  `json:"x"`
}

var errBadToken = errors.New("the provided nextPageToken is invalid or expired")

// sealCursor returns an opaque token: base64url of the cursor JSON and its HMAC-SHA256.
func (e *Emulator) sealCursor(c cursor) string {
	c.Expires = e.now().Add(e.tokenTTL).Unix()
	payload, _ := json.Marshal(c)
	mac := hmac.New(sha256.New, e.secret)
	mac.Write(payload)
	return base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// openCursor checks a token's signature, expiry and query binding.
func (e *Emulator) openCursor(token, query string) (cursor, error) {
	payloadPart, macPart, ok := strings.Cut(token, ".")
	if !ok {
		return cursor{}, errBadToken
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(payloadPart)
	sum, err2 := base64.RawURLEncoding.DecodeString(macPart)
	if err1 != nil || err2 != nil {
		return cursor{}, errBadToken
	}
	mac := hmac.New(sha256.New, e.secret)
	mac.Write(payload)
	if !hmac.Equal(sum, mac.Sum(nil)) {
		return cursor{}, errBadToken
	}
	var c cursor
	if json.Unmarshal(payload, &c) != nil || c.Query != query || c.Offset < 0 || c.Inner < 0 {
		return cursor{}, errBadToken
	}
	if e.now().After(time.Unix(c.Expires, 0)) {
		return cursor{}, errBadToken
	}
	return c, nil
}

// queryHash identifies a request's query for cursor binding.
func queryHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:12])
}
