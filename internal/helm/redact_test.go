package helm

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestRedact(t *testing.T) {
	values := map[string]any{
		"password": "s3cr3t-pa55word",
		"nested":   map[string]any{"token": "tok-ABCDEFGHIJ", "list": []any{"listed-secret-1", 3, true}},
		"short":    "abc",
		"name":     "monitoring",
	}
	msg := `ConfigMap "mon" is invalid: data.password: Invalid value: "s3cr3t-pa55word"; token tok-ABCDEFGHIJ, listed-secret-1, abc, namespace monitoring`
	got := Redact(msg, values, "monitoring")
	for _, secret := range []string{"s3cr3t-pa55word", "tok-ABCDEFGHIJ", "listed-secret-1"} {
		if strings.Contains(got, secret) {
			t.Errorf("Redact kept %q: %s", secret, got)
		}
	}
	if !strings.Contains(got, "namespace monitoring") || !strings.Contains(got, "abc") || !strings.Contains(got, `"`+Redacted+`"`) {
		t.Errorf("Redact = %s; want kept words and %s in place of values", got, Redacted)
	}

	// A 100 KiB message ends cut to MaxErrorBytes (the cut itself is
	// package redact's, tested there).
	if got := Redact(strings.Repeat("x", 100<<10), values); len(got) > MaxErrorBytes {
		t.Errorf("Redact of a 100 KiB message: %d bytes", len(got))
	}
	// hunter2-sized values too (issue 17).
	if got := Redact(`bad password hunter2`, map[string]any{"p": "hunter2"}); got != "bad password "+Redacted {
		t.Errorf("Redact of a short value = %q", got)
	}

	// The wrapper's errors keep their cause.
	err := safeError(fmt.Errorf("install: %w: %s", ErrNotFound, "s3cr3t-pa55word"), values)
	if !errors.Is(err, ErrNotFound) || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("safeError = %v (Is ErrNotFound %v)", err, errors.Is(err, ErrNotFound))
	}
	if safeError(nil, values) != nil {
		t.Error("safeError(nil) is not nil")
	}
}

func TestHeld(t *testing.T) {
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	rel := func(status string, age time.Duration) *Release {
		return &Release{Name: "mon", Status: status, Since: now.Add(-age)}
	}
	cases := []struct {
		rel  *Release
		held bool
	}{
		{rel("pending-upgrade", time.Minute), true},
		{rel("pending-install", 10*time.Minute-time.Second), true},
		{rel("pending-rollback", 10*time.Minute), false},
		{rel("pending-upgrade", time.Hour), false},
		{rel("deployed", time.Second), false},
		{&Release{Name: "mon", Status: "pending-upgrade"}, false},
		{nil, false},
	}
	for _, tc := range cases {
		if _, held := Held(tc.rel, now, 10*time.Minute); held != tc.held {
			t.Errorf("Held(%+v) = %v, want %v", tc.rel, held, tc.held)
		}
	}
	until, _ := Held(rel("pending-upgrade", 10*time.Minute-time.Second), now, 10*time.Minute)
	want := "release mon is pending-upgrade since 2026-11-26T23:50:01Z by another actor; left alone until 2026-11-27T00:00:01Z"
	if got := (&HeldError{Release: rel("pending-upgrade", 10*time.Minute-time.Second), Until: until}).Error(); got != want {
		t.Errorf("HeldError = %q\nwant %q", got, want)
	}
}
