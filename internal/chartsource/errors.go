package chartsource

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// The classes of a source failure; test with errors.Is on the *Error a
// Resolve or Pull returns.
var (
	ErrUnreachable    = errors.New("registry unreachable")
	ErrUnauthorized   = errors.New("the registry refused the credentials")
	ErrNotFound       = errors.New("not found")
	ErrDigestMismatch = errors.New("digest mismatch")
	ErrIndexTooLarge  = errors.New("index too large")
	ErrTooLarge       = errors.New("package too large")
	ErrSignature      = errors.New("signature invalid")
)

// Error is a classified source failure: Class is one of the Err* values,
// Ref names the chart reference, Detail says more. It never holds a
// credential (details are scrubbed of the Secret's passwords).
type Error struct {
	Class  error
	Ref    string
	Detail string
}

// Error returns "chart <ref>: <class>: <detail>".
func (e *Error) Error() string {
	msg := fmt.Sprintf("chart %s: %v", e.Ref, e.Class)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Unwrap returns the class, so errors.Is(err, ErrUnauthorized) works.
func (e *Error) Unwrap() error { return e.Class }

// resultLabel is the metrics label of an error's class ("ok" for nil).
func resultLabel(err error) string {
	for _, c := range []struct {
		class error
		label string
	}{
		{ErrUnreachable, "unreachable"}, {ErrUnauthorized, "unauthorized"}, {ErrNotFound, "not_found"},
		{ErrDigestMismatch, "digest_mismatch"}, {ErrIndexTooLarge, "index_too_large"}, {ErrTooLarge, "too_large"},
		{ErrSignature, "signature_invalid"},
	} {
		if errors.Is(err, c.class) {
			return c.label
		}
	}
	if err == nil {
		return "ok"
	}
	return "error"
}

// classify turns an error of the Helm/ORAS client or of net/http into an
// *Error for ref; an *Error passes through. Every detail is scrubbed of
// secrets.
func classify(err error, ref string, secrets []string) error {
	if err == nil {
		return nil
	}
	var done *Error
	if errors.As(err, &done) {
		return done
	}
	var resp *errcode.ErrorResponse
	var netErr net.Error
	var urlErr *url.Error
	class, detail := error(nil), err.Error()
	switch {
	case errors.As(err, &resp) && (resp.StatusCode == 401 || resp.StatusCode == 403):
		class, detail = ErrUnauthorized, fmt.Sprintf("HTTP %d", resp.StatusCode)
	case errors.As(err, &resp) && resp.StatusCode == 404, errors.Is(err, errdef.ErrNotFound):
		class = ErrNotFound
	case errors.As(err, &resp) && resp.StatusCode >= 500:
		class, detail = ErrUnreachable, fmt.Sprintf("HTTP %d: %s", resp.StatusCode, detail)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr), errors.As(err, &urlErr):
		class = ErrUnreachable
	}
	detail = scrub(detail, secrets)
	if class == nil {
		return fmt.Errorf("chart %s: %s", ref, detail)
	}
	return &Error{Class: class, Ref: ref, Detail: detail}
}

// scrub replaces every secret in s.
func scrub(s string, secrets []string) string {
	for _, v := range secrets {
		if v != "" {
			s = strings.ReplaceAll(s, v, "***")
		}
	}
	return s
}
