package testbrowser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"time"

	"golang.org/x/net/websocket"
)

// bidiOrigin is the Origin the client's WebSocket handshake sends; Firefox
// is started allowing exactly this one.
const bidiOrigin = "http://127.0.0.1"

// Keys of the WebDriver key table that tests press. KeyEnter is the main
// keyboard's Enter (WebDriver's "Return", code Enter); "\uE007" would be
// the keypad's.
const (
	KeyEnter  = "\uE006"
	KeyTab    = "\uE004"
	KeyEscape = "\uE00C"
)

// BiDi is a WebDriver BiDi session with one browser window: the few commands
// the browser tests need (navigate, evaluate, keys), one at a time.
type BiDi struct {
	cmd     *exec.Cmd
	profile string
	log     *tail
	conn    *websocket.Conn
	next    int
	tab     string
}

// connect opens the WebSocket, starts a session and opens the window the
// tests drive.
func (b *BiDi) connect(ctx context.Context, url string) error {
	cfg, err := websocket.NewConfig(url, bidiOrigin)
	if err != nil {
		return fmt.Errorf("websocket %s: %w", url, err)
	}
	if b.conn, err = cfg.DialContext(ctx); err != nil {
		return fmt.Errorf("connect %s: %w", url, err)
	}
	if _, err := b.call(ctx, "session.new", map[string]any{"capabilities": map[string]any{}}); err != nil {
		return err
	}
	// A window of its own rather than the one Firefox starts with: the
	// headless start window never gets the focus, and a page without it
	// receives key events but does not act on them (Enter on a focused
	// button clicks nothing), unlike a window a person types into.
	raw, err := b.call(ctx, "browsingContext.create", map[string]any{"type": "window"})
	if err != nil {
		return err
	}
	var created struct {
		Context string `json:"context"`
	}
	if err := json.Unmarshal(raw, &created); err != nil {
		return fmt.Errorf("browsingContext.create answer %s: %w", raw, err)
	}
	if created.Context == "" {
		return fmt.Errorf("browsingContext.create answered %s: no context", raw)
	}
	b.tab = created.Context
	return nil
}

// call sends one command and waits for its answer, passing over the events
// in between (none is subscribed to). ctx's deadline bounds the exchange.
func (b *BiDi) call(ctx context.Context, method string, params any) (json.RawMessage, error) {
	b.next++
	id := b.next
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(time.Minute)
	}
	if err := b.conn.SetDeadline(deadline); err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	if err := websocket.JSON.Send(b.conn, map[string]any{"id": id, "method": method, "params": params}); err != nil {
		return nil, fmt.Errorf("send %s: %w", method, err)
	}
	for {
		var msg struct {
			Type    string          `json:"type"`
			ID      int             `json:"id"`
			Error   string          `json:"error"`
			Message string          `json:"message"`
			Result  json.RawMessage `json:"result"`
		}
		if err := websocket.JSON.Receive(b.conn, &msg); err != nil {
			return nil, fmt.Errorf("answer to %s: %w", method, err)
		}
		switch {
		case msg.Type == "event" || msg.ID != id:
			continue
		case msg.Type == "error":
			return nil, fmt.Errorf("%s: %s: %s", method, msg.Error, msg.Message)
		default:
			return msg.Result, nil
		}
	}
}

// Navigate loads url in the tab and returns once its load event fired.
func (b *BiDi) Navigate(ctx context.Context, url string) error {
	_, err := b.call(ctx, "browsingContext.navigate", map[string]any{"context": b.tab, "url": url, "wait": "complete"})
	return err
}

// Eval evaluates a JavaScript expression in the page, awaiting a promise,
// and returns a primitive result: string, float64, bool or nil (undefined,
// null, and objects, which tests turn into JSON strings themselves). A
// thrown exception is an error with its text.
func (b *BiDi) Eval(ctx context.Context, expr string) (any, error) {
	raw, err := b.call(ctx, "script.evaluate", map[string]any{"expression": expr, "target": map[string]any{"context": b.tab},
		"awaitPromise": true, "resultOwnership": "none"})
	if err != nil {
		return nil, err
	}
	var res struct {
		Type   string `json:"type"`
		Result struct {
			Type  string `json:"type"`
			Value any    `json:"value"`
		} `json:"result"`
		ExceptionDetails struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("script.evaluate answer %s: %w", raw, err)
	}
	if res.Type == "exception" {
		return nil, fmt.Errorf("evaluating %s: %s", expr, res.ExceptionDetails.Text)
	}
	switch res.Result.Type {
	case "string", "number", "boolean":
		return res.Result.Value, nil
	}
	return nil, nil
}

// EvalString is Eval for an expression that yields a string.
func (b *BiDi) EvalString(ctx context.Context, expr string) (string, error) {
	v, err := b.Eval(ctx, expr)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s gave %v (%T), not a string", expr, v, v)
	}
	return s, nil
}

// Poll evaluates expr every 50 ms until it is true, and fails at ctx's end
// naming the expression and its last value or error.
func (b *BiDi) Poll(ctx context.Context, expr string) error {
	var last any
	var lastErr error
	for {
		// A short bound per try, so an answer still pending at ctx's end
		// does not hide the last value.
		try, cancel := context.WithTimeout(ctx, 10*time.Second)
		last, lastErr = b.Eval(try, expr)
		cancel()
		if lastErr == nil && last == true {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s still not true (last value: %v): %w", expr, last, errors.Join(ctx.Err(), lastErr))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Press types keys (WebDriver key values, e.g. KeyEnter) into whatever has
// the focus, as a keyboard does: a keydown and keyup each, in order.
func (b *BiDi) Press(ctx context.Context, keys ...string) error {
	var acts []map[string]any
	for _, k := range keys {
		acts = append(acts, map[string]any{"type": "keyDown", "value": k}, map[string]any{"type": "keyUp", "value": k})
	}
	_, err := b.call(ctx, "input.performActions", map[string]any{"context": b.tab,
		"actions": []map[string]any{{"type": "key", "id": "keyboard", "actions": acts}}})
	return err
}
