package chartsource

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"oras.land/oras-go/v2/registry/remote/errcode"
)

// TestClassify: registry and network errors map to their class, and a
// secret in any cause is scrubbed from the message.
func TestClassify(t *testing.T) {
	const pw = "hunter2-secret"
	cases := []struct {
		err   error
		class error
	}{
		{&errcode.ErrorResponse{Method: "GET", StatusCode: http.StatusUnauthorized}, ErrUnauthorized},
		{&errcode.ErrorResponse{Method: "GET", StatusCode: http.StatusForbidden}, ErrUnauthorized},
		{fmt.Errorf("wrapped: %w", &errcode.ErrorResponse{Method: "GET", StatusCode: http.StatusNotFound}), ErrNotFound},
		{fmt.Errorf("dial with %s: %w", pw, context.DeadlineExceeded), ErrUnreachable},
		{&Error{Class: ErrTooLarge, Ref: "r"}, ErrTooLarge},
	}
	for _, c := range cases {
		err := classify(c.err, "oci://h/charts/x:1.0.0", []string{pw})
		if !errors.Is(err, c.class) || strings.Contains(err.Error(), pw) {
			t.Errorf("classify(%v) = %v, want class %v and no secret", c.err, err, c.class)
		}
	}
	if err := classify(fmt.Errorf("odd %s", pw), "ref", []string{pw}); strings.Contains(err.Error(), pw) || !strings.Contains(err.Error(), "ref") {
		t.Errorf("unclassified: %v", err)
	}
	if resultLabel(nil) != "ok" || resultLabel(&Error{Class: ErrDigestMismatch}) != "digest_mismatch" {
		t.Error("result labels")
	}
}
