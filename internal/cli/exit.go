package cli

import "errors"

// ExitChanges is `hotplug diff`'s exit code when changes are pending, after
// diff(1)'s convention that a difference is not an error (0 = no changes,
// 1 = error, 2 = usage error).
const ExitChanges = 3

// exitCodeError ends a command with a specific exit code. It carries no
// message worth printing as "Error:": the command has already said
// everything on stdout.
type exitCodeError struct {
	code int
	msg  string
}

func (e exitCodeError) Error() string { return e.msg }

// ExitCode returns the exit code err asks for.
func (e exitCodeError) ExitCode() int { return e.code }

// ExitCode maps an error returned by a command to the process exit code:
// 0 for nil, the code of an error that carries one (diff's 3), 2 for usage
// errors, 1 otherwise.
func ExitCode(err error) int {
	var ec interface{ ExitCode() int }
	var ue usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ec):
		return ec.ExitCode()
	case errors.As(err, &ue):
		return ExitUsage
	default:
		return ExitError
	}
}
