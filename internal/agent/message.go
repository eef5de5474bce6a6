package agent

import "github.com/kubecube-io/hotplug/internal/limits"

// boundedError returns err with its text cut to limits.MaxMessageBytes, the
// size of one status message; errors.Is and errors.As still see the cause.
// Helm's errors are redacted of the values by the helm wrapper already; this
// only bounds them.
func boundedError(err error) error {
	if err == nil || len(err.Error()) <= limits.MaxMessageBytes {
		return err
	}
	return &cutError{msg: limits.Message(err.Error(), limits.MaxMessageBytes), cause: err}
}

type cutError struct {
	msg   string
	cause error
}

func (e *cutError) Error() string { return e.msg }
func (e *cutError) Unwrap() error { return e.cause }

// message cuts s to one status message.
func message(s string) string { return limits.Message(s, limits.MaxMessageBytes) }
