package main

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
)

// recorder keeps every line logged through its loggers, at every
// verbosity (the Helm SDK logs its steps at slog's debug level), with the
// time it was logged.
type recorder struct {
	mu    sync.Mutex
	lines []logLine
}

// logger returns a logger whose lines r records.
func (r *recorder) logger() logr.Logger {
	return logr.New(&recordSink{rec: r})
}

// since returns the lines recorded at or after t, in order.
func (r *recorder) since(t time.Time) []logLine {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []logLine
	for _, l := range r.lines {
		if !l.At.Before(t) {
			out = append(out, l)
		}
	}
	return out
}

func (r *recorder) add(l logLine) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, l)
}

// recordSink is the logr.LogSink of a recorder: a name and key/values
// given to it, then each line's.
type recordSink struct {
	rec  *recorder
	name string
	kv   []any
}

func (s *recordSink) Init(logr.RuntimeInfo) {}

func (s *recordSink) Enabled(int) bool { return true }

func (s *recordSink) Info(_ int, msg string, kv ...any) {
	s.rec.add(logLine{At: time.Now(), Name: s.name, Msg: msg, KV: keyValues(append(append([]any(nil), s.kv...), kv...))})
}

func (s *recordSink) Error(err error, msg string, kv ...any) {
	s.Info(0, msg, append(kv, "error", err)...)
}

func (s *recordSink) WithValues(kv ...any) logr.LogSink {
	return &recordSink{rec: s.rec, name: s.name, kv: append(append([]any(nil), s.kv...), kv...)}
}

func (s *recordSink) WithName(name string) logr.LogSink {
	n := name
	if s.name != "" {
		n = s.name + "/" + name
	}
	return &recordSink{rec: s.rec, name: n, kv: s.kv}
}

// keyValues prints logr's key/value list as a map (a key without a
// value gets "").
func keyValues(kv []any) map[string]string {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k := fmt.Sprint(kv[i])
		v := ""
		if i+1 < len(kv) {
			v = fmt.Sprint(kv[i+1])
		}
		m[strings.TrimSpace(k)] = v
	}
	return m
}
