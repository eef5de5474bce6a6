package merge

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/kubecube-io/hotplug/internal/limits"
)

// Error is a bad input that fails one component only. Its message names the
// object, the component, the field and (when known) the line, e.g.
// `hotplug "pivot-cluster": component "kubecube-monitoring": env: line 3: <cause>`.
// Unwrap returns the cause, so errors.Is and errors.As see through it.
type Error struct {
	Object    string // the Hotplug's name ("common" or the cluster's)
	Component string
	Field     string // "env", "namespace", ...
	Line      int    // 1-based line inside the field's text; 0 when unknown
	Err       error
}

// Error formats the location before the cause so that an operator reading a
// status message knows which object to edit without reading the cause.
func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("hotplug %q: component %q: %s: line %d: %v", e.Object, e.Component, e.Field, e.Line, e.Err)
	}
	return fmt.Sprintf("hotplug %q: component %q: %s: %v", e.Object, e.Component, e.Field, e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Causes that callers inside the package (and tests) match with errors.Is;
// they stay unexported because the agent only needs the message.
var (
	errNotMapping = errors.New("must be a YAML mapping")
	errTooLarge   = limits.ErrExceeded
	errForbidden  = errors.New("not allowed in a sandboxed template")
	errDuplicate  = errors.New("component is listed more than once")
	errInvalid    = errors.New("invalid value")
)

// Line numbers come only from the messages of text/template and yaml, which
// have no structured position; the patterns pin the two known shapes
// (`template: env:3:...` and `yaml: line 3: ...` / `line 3: key ...`).
// An unclosed action is reported at the end of the text and "started at"
// the line worth showing, so that form is tried first.
var (
	templateStartRE = regexp.MustCompile(`started at ` + templateName + `:(\d+)`)
	templateLineRE  = regexp.MustCompile(`template: ` + templateName + `:(\d+)`)
	yamlLineRE      = regexp.MustCompile(`\bline (\d+)\b`)
)

// lineOf extracts the first line number that re finds in err's message, or 0.
func lineOf(re *regexp.Regexp, err error) int {
	if err == nil {
		return 0
	}
	m := re.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, convErr := strconv.Atoi(m[1])
	if convErr != nil || n < 1 {
		return 0
	}
	return n
}
