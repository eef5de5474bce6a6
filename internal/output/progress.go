package output

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Progress reports a long-running wait. On a terminal it shows a spinner
// followed by the latest message, redrawn in place; elsewhere (pipes, logs,
// tests) it prints one plain line per distinct message, so logs stay short
// and readable.
type Progress struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	msg      string
	last     string
	frame    int
	stop     chan struct{}
	finished chan struct{}
}

var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// NewProgress starts reporting on w; call Done to finish.
func NewProgress(w io.Writer) *Progress {
	p := &Progress{w: w, tty: IsTerminal(w), stop: make(chan struct{}), finished: make(chan struct{})}
	if p.tty {
		go p.spin()
	} else {
		close(p.finished)
	}
	return p
}

// Update sets the current message.
func (p *Progress) Update(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msg = msg
	if !p.tty && msg != p.last {
		fmt.Fprintln(p.w, msg)
		p.last = msg
	}
}

// Done stops the spinner and prints final (when not empty) on its own line.
func (p *Progress) Done(final string) {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	<-p.finished
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	if final != "" {
		fmt.Fprintln(p.w, final)
	}
}

func (p *Progress) spin() {
	defer close(p.finished)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.frame = (p.frame + 1) % len(spinnerFrames)
			fmt.Fprintf(p.w, "\r\x1b[K%s %s", spinnerFrames[p.frame], p.msg)
			p.mu.Unlock()
		}
	}
}
