package merge

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kubecube-io/hotplug/internal/limits"
)

// Render executes env as a sandboxed template for cluster and parses the
// result as a YAML mapping.
//
// The only template data is {"cluster": cluster}; a missing key is an error;
// no functions exist beyond text/template's builtins, and range and
// define/template/block are refused (see execute). Env and output sizes are
// capped. Empty or whitespace-only env, or output that is only whitespace or
// comments, is an empty mapping. Values are JSON-compatible (map[string]any,
// []any, string, float64, bool, nil), as Helm reads them. Duplicate keys are
// an error rather than a silent last-wins.
//
// The returned map is never nil on success and is owned by the caller. A
// non-nil error is always an *Error with Object object, Component component,
// Field "env" and, when the cause names one, the Line.
func Render(object, component, cluster, env string) (map[string]any, error) {
	return RenderWithin(context.Background(), limits.Default(), object, component, cluster, env)
}

// RenderWithin is Render bounded by lim and ctx (see EffectiveWithin).
func RenderWithin(ctx context.Context, lim limits.Limits, object, component, cluster, env string) (map[string]any, error) {
	vals, line, err := render(ctx, lim.Normalize(), cluster, env)
	if err != nil {
		return nil, &Error{Object: object, Component: component, Field: "env", Line: line, Err: err}
	}
	return vals, nil
}

// render returns the values of env and, on error, the 1-based line it
// concerns (0 when unknown).
func render(ctx context.Context, lim limits.Limits, cluster, env string) (map[string]any, int, error) {
	if strings.TrimSpace(env) == "" {
		return map[string]any{}, 0, nil
	}
	out, err := execute(ctx, lim, cluster, env)
	if err != nil {
		line := lineOf(templateStartRE, err)
		if line == 0 {
			line = lineOf(templateLineRE, err)
		}
		return nil, line, err
	}
	// Measured before the decoder expands aliases: a small text can name one
	// large anchor thousands of times.
	vals, err := checkAndParse(out, lim)
	if err != nil {
		// The line is the rendered text's; it equals env's unless an action
		// adds or trims newlines before the fault.
		return nil, lineOf(yamlLineRE, err), err
	}
	return vals, 0, nil
}

// checkAndParse bounds the text's alias expansion (limits.CheckYAML) before
// decoding it. A plain syntax error found by the check is reported by the
// decoder instead, whose line numbers the messages have always used; the
// check's own error stands if the decoder disagrees and accepts the text.
func checkAndParse(text string, lim limits.Limits) (map[string]any, error) {
	checkErr := limits.CheckYAML([]byte(text), lim.ExpandedYAMLBytes, limits.FlagExpandedYAMLBytes)
	if checkErr == nil {
		return parseMapping(text)
	}
	if errors.Is(checkErr, limits.ErrExceeded) || errors.Is(checkErr, limits.ErrMultiDocument) {
		return nil, checkErr
	}
	if _, err := parseMapping(text); err != nil {
		return nil, err
	}
	return nil, checkErr
}

// parseMapping decodes YAML through JSON so that values have the types that
// Helm's own values files have.
func parseMapping(text string) (map[string]any, error) {
	if strings.TrimSpace(text) == "" {
		return map[string]any{}, nil
	}
	var v any
	// Strict, because a repeated key in a hand-written values file is a
	// mistake that last-wins would hide.
	if err := yaml.UnmarshalStrict([]byte(text), &v); err != nil {
		return nil, err
	}
	switch m := v.(type) {
	case map[string]any:
		return m, nil
	case nil:
		// Only comments, or an explicit null: nothing to set.
		return map[string]any{}, nil
	case []any:
		return nil, fmt.Errorf("%w, not a list", errNotMapping)
	default:
		// Only the type: a scalar env is often a secret pasted in the wrong
		// place, and this message reaches status, events and logs.
		return nil, fmt.Errorf("%w, not a scalar (%s)", errNotMapping, scalarKind(m))
	}
}

func scalarKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64, int64, int:
		return "number"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// quotedMax is how much of a refused user string an error quotes: enough
// to find it, never a whole pasted value.
const quotedMax = 80

// truncate cuts s to quotedMax bytes for an error message.
func truncate(s string) string {
	if len(s) <= quotedMax {
		return s
	}
	return s[:quotedMax] + "..."
}
