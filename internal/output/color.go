package output

import (
	"io"
	"os"
)

// Color is an ANSI foreground colour.
type Color string

// The colours hotplug uses: green for good, yellow for in-progress or
// pending, red for failures, faint for absent values. Every code has the
// same length (5 bytes) so that tables stay aligned when cells are painted
// (see Table).
const (
	None   Color = ""
	Green  Color = "\x1b[32m"
	Yellow Color = "\x1b[33m"
	Red    Color = "\x1b[31m"
	Cyan   Color = "\x1b[36m"
	Faint  Color = "\x1b[90m"
	// plain is the "default colour" code, used to pad unpainted cells.
	plain Color  = "\x1b[39m"
	reset string = "\x1b[0m"
)

// Styler paints text when colour is on and leaves it alone otherwise.
type Styler struct{ On bool }

// Paint wraps s in c when the styler is on and c is not None.
func (s Styler) Paint(c Color, text string) string {
	if !s.On || c == None {
		return text
	}
	return string(c) + text + reset
}

// StylerFor returns a styler that is on only when w is a terminal, NO_COLOR
// is unset (https://no-color.org) and TERM is not "dumb": pipes, files and
// tests get plain text.
func StylerFor(w io.Writer) Styler {
	if _, ok := os.LookupEnv("NO_COLOR"); ok || os.Getenv("TERM") == "dumb" {
		return Styler{}
	}
	return Styler{On: IsTerminal(w)}
}

// IsTerminal tells whether w is a character device such as a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
