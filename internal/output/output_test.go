package output

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": FormatTable, "table": FormatTable, "YAML": FormatYAML, " json ": FormatJSON} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseFormat("wide"); err == nil || !strings.Contains(err.Error(), "table|yaml|json") {
		t.Errorf("ParseFormat(wide) error = %v", err)
	}
}

func TestPrint(t *testing.T) {
	data := []struct {
		Name string `json:"name"`
	}{{"a"}}
	var b bytes.Buffer
	if err := Print(&b, FormatJSON, data, nil); err != nil || b.String() != "[\n  {\n    \"name\": \"a\"\n  }\n]\n" {
		t.Errorf("json = %q, %v", b.String(), err)
	}
	b.Reset()
	if err := Print(&b, FormatYAML, data, nil); err != nil || b.String() != "- name: a\n" {
		t.Errorf("yaml = %q, %v", b.String(), err)
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// Painted and unpainted tables must line up the same once the escape
// codes are removed, so colour never breaks alignment.
func TestTableAlignedWithColour(t *testing.T) {
	render := func(on bool) string {
		var b bytes.Buffer
		tb := NewTable(&b, Styler{On: on}, "A", "BB", "C")
		tb.Row(C("xxxxx", Red), Cell{Text: "y"}, C("z", Green))
		tb.Row(Cell{Text: "x"}, C("yyyyyy\tq", Yellow), Cell{Text: "z"})
		_ = tb.Flush()
		return b.String()
	}
	plain, painted := render(false), render(true)
	if strings.Contains(plain, "\x1b") {
		t.Errorf("styler off but escape codes written: %q", plain)
	}
	if !strings.Contains(painted, string(Red)+"xxxxx") {
		t.Errorf("styler on but no colour: %q", painted)
	}
	if got := ansi.ReplaceAllString(painted, ""); got != plain {
		t.Errorf("painted table misaligned:\n%s\nwant\n%s", got, plain)
	}
	want := "A      BB        C\nxxxxx  y         z\nx      yyyyyy q  z\n"
	if plain != want {
		t.Errorf("table =\n%q\nwant\n%q", plain, want)
	}
}

func TestStylerRespectsNoColor(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	if StylerFor(&bytes.Buffer{}).On {
		t.Error("colour on for a buffer")
	}
	if (Styler{}).Paint(Red, "x") != "x" {
		t.Error("off styler painted")
	}
}

func TestProgressPlainLines(t *testing.T) {
	var b bytes.Buffer
	p := NewProgress(&b)
	p.Update("one")
	p.Update("one")
	p.Update("two")
	p.Done("done")
	if b.String() != "one\ntwo\ndone\n" {
		t.Errorf("progress on a pipe = %q", b.String())
	}
}

func TestTruncate(t *testing.T) {
	if Truncate("héllo world", 8) != "héllo..." || Truncate("short", 8) != "short" {
		t.Error(Truncate("héllo world", 8))
	}
}
