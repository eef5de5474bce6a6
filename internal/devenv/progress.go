package devenv

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/go-logr/logr"
)

// progressSink is a logr sink that prints info messages as one readable
// line each ("  starting kube-apiserver cluster=member-1"), for people
// watching `hotplug dev` start; debug levels are dropped.
type progressSink struct {
	mu     *sync.Mutex
	w      io.Writer
	values []any
}

func (s *progressSink) Init(logr.RuntimeInfo) {
	if s.mu == nil {
		s.mu = &sync.Mutex{}
	}
}

func (s *progressSink) Enabled(level int) bool { return level == 0 }

func (s *progressSink) Info(_ int, msg string, kv ...any) {
	s.write(msg, kv)
}

func (s *progressSink) Error(err error, msg string, kv ...any) {
	s.write(msg+": "+err.Error(), kv)
}

func (s *progressSink) write(msg string, kv []any) {
	var b strings.Builder
	b.WriteString("  ")
	b.WriteString(msg)
	all := append(append([]any{}, s.values...), kv...)
	for i := 0; i+1 < len(all); i += 2 {
		fmt.Fprintf(&b, " %v=%v", all[i], all[i+1])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintln(s.w, b.String())
}

func (s *progressSink) WithValues(kv ...any) logr.LogSink {
	c := *s
	c.values = append(append([]any{}, s.values...), kv...)
	return &c
}

func (s *progressSink) WithName(string) logr.LogSink { return s }
