package agent

import (
	"fmt"

	"github.com/go-logr/logr"

	"github.com/kubecube-io/hotplug/internal/redact"
)

// redactingSink is the logger of one component's reconcile: every message,
// error and string value (also fmt.Stringers and values added by
// WithValues) goes through the component's Redactor before the sink
// beneath sees it, so no log line of the reconcile can quote its values,
// whichever package writes it.
type redactingSink struct {
	sink logr.LogSink
	red  func() *redact.Redactor
}

// redactingLogger wraps log so that red's Redactor cleans what it writes.
func redactingLogger(log logr.Logger, red func() *redact.Redactor) logr.Logger {
	sink := log.GetSink()
	if sink == nil {
		return log
	}
	if cd, ok := sink.(logr.CallDepthLogSink); ok {
		// One more frame (ours) between the caller and the sink.
		sink = cd.WithCallDepth(1)
	}
	return logr.New(&redactingSink{sink: sink, red: red})
}

func (s *redactingSink) Init(info logr.RuntimeInfo) { s.sink.Init(info) }
func (s *redactingSink) Enabled(level int) bool     { return s.sink.Enabled(level) }

func (s *redactingSink) Info(level int, msg string, kv ...any) {
	r := s.red()
	s.sink.Info(level, r.String(msg), redactValues(r, kv)...)
}

func (s *redactingSink) Error(err error, msg string, kv ...any) {
	r := s.red()
	s.sink.Error(r.Error(err), r.String(msg), redactValues(r, kv)...)
}

func (s *redactingSink) WithValues(kv ...any) logr.LogSink {
	return &redactingSink{sink: s.sink.WithValues(redactValues(s.red(), kv)...), red: s.red}
}

func (s *redactingSink) WithName(name string) logr.LogSink {
	return &redactingSink{sink: s.sink.WithName(name), red: s.red}
}

// redactValues returns kv with its strings, errors and Stringers
// redacted; a value without any value in it, and other kinds (numbers),
// are passed as they are.
func redactValues(r *redact.Redactor, kv []any) []any {
	if r == nil || len(kv) == 0 {
		return kv
	}
	out := make([]any, len(kv))
	for i, v := range kv {
		out[i] = v
		var text string
		switch t := v.(type) {
		case string:
			text = t
		case error:
			text = t.Error()
		case fmt.Stringer:
			text = t.String()
		default:
			continue
		}
		if red := r.String(text); red != text {
			out[i] = red
		}
	}
	return out
}
