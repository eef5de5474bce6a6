package helm

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/kubecube-io/hotplug/internal/redact"
)

// redactingHandler is the Helm SDK's log handler during one action on a
// release: the SDK logs its errors (an apply refused by the API server
// quotes the rendered value), so its messages and attributes go through the
// release values' Redactor first.
type redactingHandler struct {
	h slog.Handler
	r *redact.Redactor
}

// redactingSlog returns h redacting with r; h itself when r is nil.
func redactingSlog(h slog.Handler, r *redact.Redactor) slog.Handler {
	if r == nil {
		return h
	}
	return &redactingHandler{h: h, r: r}
}

func (h *redactingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.h.Enabled(ctx, l)
}

func (h *redactingHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.String(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.h.Handle(ctx, out)
}

func (h *redactingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = h.attr(a)
	}
	return &redactingHandler{h: h.h.WithAttrs(red), r: h.r}
}

func (h *redactingHandler) WithGroup(name string) slog.Handler {
	return &redactingHandler{h: h.h.WithGroup(name), r: h.r}
}

// attr redacts a's strings, errors and Stringers (in groups too).
func (h *redactingHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.r.String(v.String()))
	case slog.KindGroup:
		g := v.Group()
		red := make([]any, len(g))
		for i, e := range g {
			red[i] = h.attr(e)
		}
		return slog.Group(a.Key, red...)
	case slog.KindAny:
		switch t := v.Any().(type) {
		case error:
			return slog.String(a.Key, h.r.String(t.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, h.r.String(t.String()))
		case string:
			return slog.String(a.Key, h.r.String(t))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
