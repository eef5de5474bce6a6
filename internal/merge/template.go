package merge

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
	"unicode/utf8"

	"github.com/kubecube-io/hotplug/internal/limits"
)

// templateName is the name text/template puts in its messages
// (`template: env:3: ...`); lineOf relies on it.
const templateName = "env"

// maxFuncBytes bounds the strings that the template's functions build in
// memory before anything is written, e.g. `{{$x = print $x $x}}`; the
// broader work budget (limits.TemplateWork) counts comparisons too.
const maxFuncBytes = 1 << 20

// Defaults kept under their old names for the package's tests.
const (
	maxEnvBytes      = limits.DefaultEnvBytes
	maxRenderedBytes = limits.DefaultExpandedYAMLBytes
)

// execute runs env as a sandboxed text/template whose only data is
// {"cluster": cluster} and returns the output. Errors carry text/template's
// `template: env:LINE:` prefix so that lineOf can find the line.
//
// The sandbox: text/template has no access to the environment, files or the
// network unless given functions, and none are given beyond its builtins.
// What remains is resource abuse, closed in four ways:
//   - range and template/define/block are rejected after parsing, because a
//     loop or a recursion can spin without output, which no output cap stops;
//     without them every node runs at most once;
//   - every builtin whose cost grows with its operands (print, printf,
//     println, html, js, urlquery, eq, ne, lt, le, gt, ge, len, index, slice)
//     is replaced by a metered version that charges the bytes it touches to
//     one work budget before doing the work; the string builders also have a
//     memory cap (maxFuncBytes); call is refused (no function values exist);
//   - every charge checks the deadline: the caller's context or
//     lim.TemplateTimeout, whichever comes first;
//   - the output is written to a writer that fails past the size limit.
//
// and, or and not are left to text/template: they only test the truth of
// values already computed, in constant time, and keep their short-circuit.
func execute(ctx context.Context, lim limits.Limits, cluster, env string) (string, error) {
	if len(env) > lim.EnvBytes {
		return "", limits.Exceeded("env", int64(len(env)), int64(lim.EnvBytes), limits.FlagEnvBytes)
	}
	// Text without an action renders to itself; skipping the parser keeps a
	// large plain values file cheap.
	if !strings.Contains(env, "{{") {
		return env, nil
	}
	deadline := time.Now().Add(lim.TemplateTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	m := &meter{ctx: ctx, deadline: deadline, left: maxFuncBytes, work: lim.TemplateWork, workLimit: lim.TemplateWork, timeout: lim.TemplateTimeout}
	t, err := template.New(templateName).Option("missingkey=error").Funcs(m.funcs()).Parse(env)
	if err != nil {
		return "", err
	}
	if err := checkSandbox(t); err != nil {
		return "", err
	}
	w := &cappedWriter{limit: lim.ExpandedYAMLBytes, m: m}
	w.b.Grow(len(env))
	if err := t.Execute(w, map[string]any{"cluster": cluster}); err != nil {
		return "", err
	}
	return w.b.String(), nil
}

// checkSandbox rejects the constructs that can repeat work: extra templates
// (define/block, the only way to recurse) and, in the tree, range and
// template invocations.
func checkSandbox(t *template.Template) error {
	for _, other := range t.Templates() {
		if other.Name() != templateName {
			return fmt.Errorf("template: %s: define/block %q: %w", templateName, other.Name(), errForbidden)
		}
	}
	if t.Tree == nil {
		return nil
	}
	return checkNode(t.Tree, t.Root)
}

func checkNode(tree *parse.Tree, n parse.Node) error {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := checkNode(tree, c); err != nil {
				return err
			}
		}
	case *parse.IfNode:
		return checkBranch(tree, &n.BranchNode)
	case *parse.WithNode:
		return checkBranch(tree, &n.BranchNode)
	case *parse.RangeNode:
		return forbidden(tree, n, "range")
	case *parse.TemplateNode:
		return forbidden(tree, n, "template")
	}
	return nil
}

func checkBranch(tree *parse.Tree, b *parse.BranchNode) error {
	if err := checkNode(tree, b.List); err != nil {
		return err
	}
	return checkNode(tree, b.ElseList)
}

// forbidden formats like a text/template error so that the line is found the
// same way.
func forbidden(tree *parse.Tree, n parse.Node, what string) error {
	loc, _ := tree.ErrorContext(n)
	return fmt.Errorf("template: %s: %s: %w", loc, what, errForbidden)
}

// cappedWriter collects the output and fails once it would pass limit;
// text/template stops at the first write error.
type cappedWriter struct {
	b     strings.Builder
	limit int
	m     *meter
}

func (w *cappedWriter) Write(p []byte) (int, error) {
	if w.b.Len()+len(p) > w.limit {
		return 0, limits.Exceeded("rendered env", -1, int64(w.limit), limits.FlagExpandedYAMLBytes)
	}
	if err := w.m.charge(len(p)); err != nil {
		return 0, err
	}
	return w.b.Write(p)
}

// meter is the allowance of one execution: left for the strings that
// functions build, work for every byte that a function touches, and the
// deadline. Each function computes an upper bound of its cost from its
// arguments first, so that an over-budget call fails before working.
type meter struct {
	ctx       context.Context
	deadline  time.Time
	timeout   time.Duration
	left      int
	work      int
	workLimit int
}

// charge takes n bytes of work from the budget and checks the deadline.
func (m *meter) charge(n int) error {
	if m.ctx != nil {
		if err := m.ctx.Err(); err != nil {
			return fmt.Errorf("template evaluation stopped: %w", err)
		}
		if time.Now().After(m.deadline) {
			return limits.Exceeded("template evaluation time", -1, int64(m.timeout/time.Millisecond), limits.FlagTemplateTimeout+" (ms)")
		}
	}
	if m.workLimit > 0 {
		if n > m.work {
			return limits.Exceeded("template work in bytes", -1, int64(m.workLimit), limits.FlagTemplateWork)
		}
		m.work -= n
	}
	return nil
}

// funcs overrides the string-building builtins; text/template looks up a
// template's own functions before its builtins, so the overrides take the
// builtins' names and keep their semantics.
func (m *meter) funcs() template.FuncMap {
	return template.FuncMap{
		"print": func(args ...any) (string, error) {
			return m.build(argsBound(args, 1), func() string { return fmt.Sprint(args...) })
		},
		"println": func(args ...any) (string, error) {
			return m.build(argsBound(args, 1), func() string { return fmt.Sprintln(args...) })
		},
		"printf": m.printf,
		"html": func(args ...any) (string, error) {
			return m.build(argsBound(args, escapeFactor), func() string { return template.HTMLEscaper(args...) })
		},
		"js": func(args ...any) (string, error) {
			return m.build(argsBound(args, escapeFactor), func() string { return template.JSEscaper(args...) })
		},
		"urlquery": func(args ...any) (string, error) {
			return m.build(argsBound(args, escapeFactor), func() string { return template.URLQueryEscaper(args...) })
		},
		"eq":    m.eq,
		"ne":    m.ne,
		"lt":    m.ordered(func(c int) bool { return c < 0 }),
		"le":    m.ordered(func(c int) bool { return c <= 0 }),
		"gt":    m.ordered(func(c int) bool { return c > 0 }),
		"ge":    m.ordered(func(c int) bool { return c >= 0 }),
		"len":   m.length,
		"index": m.index,
		"slice": m.slice,
		"call": func(...any) (any, error) {
			return nil, fmt.Errorf("call: %w", errForbidden)
		},
	}
}

// escapeFactor bounds how much one byte can grow when escaped or formatted:
// HTML `&#34;` (5), JS `\u003C` (6), URL `%22` (3), printf `% #x` (5).
const escapeFactor = 6

// fixedOverhead bounds the text fmt adds around one operand or verb, such as
// `%!d(MISSING)`, `%!(EXTRA string=` or a type name under %#v.
const fixedOverhead = 64

func (m *meter) build(bound int, f func() string) (string, error) {
	if bound > m.left {
		return "", fmt.Errorf("functions may build at most %d bytes: %w", maxFuncBytes, errTooLarge)
	}
	if err := m.charge(bound); err != nil {
		return "", err
	}
	s := f()
	m.left -= len(s)
	return s, nil
}

func (m *meter) printf(format string, args ...any) (string, error) {
	verbs, widths, err := scanFormat(format)
	if err != nil {
		return "", err
	}
	largest := 0
	for _, a := range args {
		largest = max(largest, sizeOf(a))
	}
	// Explicit argument indexes (%[1]v%[1]v) may repeat the largest operand
	// at every verb, and unused operands are appended as EXTRA.
	bound := satAdd(len(format), satMul(verbs, satAdd(satMul(escapeFactor, largest), fixedOverhead)))
	bound = satAdd(bound, satMul(widths, paddedParts(args)))
	bound = satAdd(bound, argsBound(args, escapeFactor))
	return m.build(bound, func() string { return fmt.Sprintf(format, args...) })
}

// paddedParts bounds how many times fmt may apply one width: once for a
// scalar operand, but to every element of a map, slice, array or struct,
// which has at most as many elements as its %#v has bytes.
func paddedParts(args []any) int {
	parts := 1
	for _, a := range args {
		switch reflect.ValueOf(a).Kind() {
		case reflect.Map, reflect.Slice, reflect.Array, reflect.Struct, reflect.Pointer:
			parts = max(parts, satAdd(sizeOf(a), 1))
		}
	}
	return parts
}

// scanFormat counts printf verbs and sums every number written between a
// '%' and its verb (widths, precisions, argument indexes), which bounds the
// padding fmt may add. '*' takes a width from an operand, which cannot be
// bounded from the format, so it is refused.
func scanFormat(format string) (verbs, widths int, err error) {
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		if i < len(format) && format[i] == '%' {
			continue
		}
		num := 0
		for ; i < len(format) && strings.IndexByte("+-# 0123456789.[]*", format[i]) >= 0; i++ {
			c := format[i]
			switch {
			case c == '*':
				return 0, 0, fmt.Errorf("printf: '*' width or precision: %w", errForbidden)
			case c >= '0' && c <= '9':
				num = min(num*10+int(c-'0'), 1<<24)
			default:
				widths = satAdd(widths, num)
				num = 0
			}
		}
		widths = satAdd(widths, num)
		verbs++
		if i < len(format) {
			// The verb may be multi-byte; step over it whole.
			_, size := utf8.DecodeRuneInString(format[i:])
			i += size - 1
		}
	}
	return verbs, widths, nil
}

// argsBound bounds fmt.Sprint/Sprintln of args, each operand grown by factor.
func argsBound(args []any, factor int) int {
	n := 0
	for _, a := range args {
		n = satAdd(n, satAdd(satMul(factor, sizeOf(a)), fixedOverhead))
	}
	return n
}

// sizeOf measures an operand. Only strings can be large in the sandbox: the
// data is one short string in a map and no builtin builds a large non-string
// value, so formatting the others to measure them is cheap.
func sizeOf(v any) int {
	switch x := v.(type) {
	case string:
		return len(x)
	case []byte:
		return len(x)
	default:
		return len(fmt.Sprintf("%#v", x))
	}
}

func satAdd(a, b int) int {
	if a > maxBound-b {
		return maxBound
	}
	return a + b
}

func satMul(a, b int) int {
	if a != 0 && b > maxBound/a {
		return maxBound
	}
	return a * b
}

// maxBound keeps the saturating arithmetic far from overflow on any int size.
const maxBound = 1 << 30
