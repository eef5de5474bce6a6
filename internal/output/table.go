package output

import (
	"io"
	"strings"
	"text/tabwriter"
)

// Cell is one table cell, optionally painted.
type Cell struct {
	Text  string
	Color Color
}

// C is a shorthand for a cell in colour c.
func C(text string, c Color) Cell { return Cell{Text: text, Color: c} }

// Table writes rows aligned in columns (text/tabwriter, two spaces apart).
// When its styler is on, every cell is wrapped in escape codes of the same
// length, painted or not, so tabwriter's byte counting still aligns columns.
type Table struct {
	tw *tabwriter.Writer
	st Styler
}

// NewTable starts a table on w with the given header.
func NewTable(w io.Writer, st Styler, header ...string) *Table {
	t := &Table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0), st: st}
	cells := make([]Cell, len(header))
	for i, h := range header {
		cells[i] = Cell{Text: h}
	}
	t.Row(cells...)
	return t
}

// Row adds one row. Tabs and newlines in cells are replaced by spaces so
// that a message cannot break the layout.
func (t *Table) Row(cells ...Cell) {
	parts := make([]string, len(cells))
	for i, c := range cells {
		text := strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(c.Text)
		if t.st.On {
			col := c.Color
			if col == None {
				col = plain
			}
			text = string(col) + text + reset
		}
		parts[i] = text
	}
	_, _ = io.WriteString(t.tw, strings.Join(parts, "\t")+"\n")
}

// Strings adds a row of unpainted cells.
func (t *Table) Strings(cells ...string) {
	cs := make([]Cell, len(cells))
	for i, s := range cells {
		cs[i] = Cell{Text: s}
	}
	t.Row(cs...)
}

// Flush writes the aligned table.
func (t *Table) Flush() error { return t.tw.Flush() }

// Truncate shortens s to at most n runes, marking the cut with "...".
func Truncate(s string, n int) string {
	r := []rune(s)
	if n <= 3 || len(r) <= n {
		return s
	}
	return string(r[:n-3]) + "..."
}
