package helm

import (
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/redact"
)

// MaxErrorBytes bounds the text of an error returned by an action. Helm's
// errors can quote a rendered manifest (and with it the values); callers cut
// further to their own limits (limits.MaxMessageBytes for status).
const MaxErrorBytes = 8 << 10

// Redacted replaces a value in a message.
const Redacted = redact.Redacted

// Redact returns msg with every string of values (the user's env, merged)
// in each of its forms removed (see package redact), then cut to
// MaxErrorBytes. keep lists strings that are not secret and stay readable
// (the release's name and namespace).
func Redact(msg string, values map[string]any, keep ...string) string {
	return limits.Message(redact.New(keep, values).String(msg), MaxErrorBytes)
}

// safeError returns err with its text redacted of values and bounded; nil
// stays nil. errors.Is and errors.As still see the cause.
func safeError(err error, values map[string]any, keep ...string) error {
	if err == nil {
		return nil
	}
	return redact.Wrap(err, Redact(err.Error(), values, keep...))
}

// bounded returns err with its text cut to MaxErrorBytes; nil stays nil.
func bounded(err error) error {
	if err == nil {
		return nil
	}
	return redact.Wrap(err, limits.Message(err.Error(), MaxErrorBytes))
}
