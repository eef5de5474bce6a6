// Package docs checks that the Markdown documentation still matches the
// code: its fenced shell commands parse against the real command tree, the
// Makefile and the repository, its YAML is valid hotplug configuration, and
// its relative links lead somewhere. The conventions are at the top of
// docs_test.go.
package docs

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Finding is one problem, at a file's line.
type Finding struct {
	File string
	Line int
	Msg  string
}

func (f Finding) String() string { return f.File + ":" + strconv.Itoa(f.Line) + ": " + f.Msg }

// Block is one fenced code block.
type Block struct {
	File string
	// Line is the line of the opening fence (1-based).
	Line int
	// Lang is the first word of the fence's info string, lower case.
	Lang string
	// Body holds the lines between the fences, the fence's indentation
	// removed.
	Body []string
	// Skip is the reason of a `<!-- doctest: skip (reason) -->` right before
	// the block; "" when there is none.
	Skip string
	// Values is the chart directory of a `<!-- values: DIR -->` right before
	// the block; "" when there is none.
	Values string
}

// Link is one Markdown link target, as written.
type Link struct {
	Line   int
	Target string
}

// Doc is what the checks need of one Markdown file.
type Doc struct {
	File    string
	Blocks  []Block
	Anchors map[string]bool
	Links   []Link
	// Commands are inline code spans outside blocks that are a hotplug or
	// make command line (`hotplug rollout pause`, `make docs`).
	Commands []Link
	// Findings are malformed markers (a marker not right before a block,
	// a skip without a reason, an unknown doctest directive).
	Findings []Finding
}

var (
	fenceRe    = regexp.MustCompile("^(\\s*)(`{3,}|~{3,})\\s*([^`\\s]*)")
	headingRe  = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*\s*$`)
	skipRe     = regexp.MustCompile(`^<!--\s*doctest:\s*skip\s*\((.*)\)\s*-->$`)
	doctestRe  = regexp.MustCompile(`^<!--\s*doctest:`)
	valuesRe   = regexp.MustCompile(`^<!--\s*values:\s*(\S+)\s*-->$`)
	linkRe     = regexp.MustCompile(`\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	refLinkRe  = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$`)
	htmlIDRe   = regexp.MustCompile(`<a\s+(?:id|name)="([^"]+)"`)
	codeSpanRe = regexp.MustCompile("`+[^`]*`+")
	// inlineCmdRe: a span that is a command line; a quoted second word
	// (`hotplug "common": ...`, an error message) is not.
	inlineCmdRe = regexp.MustCompile(`^((kubectl |\./)?(bin/)?hotplug|make) [a-z<\[-]`)
)

// pending is a marker waiting for its block.
type pending struct {
	line          int
	skip, values  string
	isSkip, isVal bool
}

// Parse reads one Markdown file: its fenced blocks with their markers, the
// anchors of its headings (GitHub's rule, duplicates numbered) and its links
// outside code.
func Parse(file, text string) Doc {
	d := Doc{File: file, Anchors: map[string]bool{}}
	lines := strings.Split(text, "\n")
	slugs := map[string]int{}
	var mark *pending
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		if m := fenceRe.FindStringSubmatch(line); m != nil {
			b, end := readBlock(file, lines, i, m)
			if mark != nil {
				b.Skip, b.Values = mark.skip, mark.values
				mark = nil
			}
			d.Blocks = append(d.Blocks, b)
			i = end
			continue
		}
		if mark != nil && trimmed != "" {
			d.Findings = append(d.Findings, Finding{file, mark.line, "doctest marker is not right before a fenced block"})
			mark = nil
		}
		switch {
		case skipRe.MatchString(trimmed):
			reason := strings.TrimSpace(skipRe.FindStringSubmatch(trimmed)[1])
			if reason == "" {
				d.Findings = append(d.Findings, Finding{file, i + 1, "doctest: skip needs a reason: <!-- doctest: skip (why) -->"})
			}
			mark = &pending{line: i + 1, skip: reason, isSkip: true}
		case doctestRe.MatchString(trimmed):
			d.Findings = append(d.Findings, Finding{file, i + 1, "unknown doctest directive (only `<!-- doctest: skip (reason) -->`): " + trimmed})
		case valuesRe.MatchString(trimmed):
			mark = &pending{line: i + 1, values: valuesRe.FindStringSubmatch(trimmed)[1], isVal: true}
		}
		if m := headingRe.FindStringSubmatch(line); m != nil {
			s := slug(m[1])
			if n := slugs[s]; n > 0 {
				d.Anchors[s+"-"+strconv.Itoa(n)] = true
			} else {
				d.Anchors[s] = true
			}
			slugs[s]++
		}
		for _, m := range htmlIDRe.FindAllStringSubmatch(line, -1) {
			d.Anchors[m[1]] = true
		}
		d.Links = append(d.Links, links(i+1, line)...)
		for _, m := range codeSpanRe.FindAllString(line, -1) {
			if span := strings.Trim(m, "`"); inlineCmdRe.MatchString(span) {
				d.Commands = append(d.Commands, Link{i + 1, span})
			}
		}
	}
	if mark != nil {
		d.Findings = append(d.Findings, Finding{file, mark.line, "doctest marker is not right before a fenced block"})
	}
	return d
}

// readBlock reads the block whose opening fence is lines[start] and returns
// it with the index of its closing fence (the last line when unclosed).
func readBlock(file string, lines []string, start int, m []string) (Block, int) {
	indent, fence := len(m[1]), m[2]
	b := Block{File: file, Line: start + 1, Lang: strings.ToLower(m[3])}
	closeRe := regexp.MustCompile("^\\s*" + regexp.QuoteMeta(fence[:1]) + "{" + strconv.Itoa(len(fence)) + ",}\\s*$")
	for j := start + 1; j < len(lines); j++ {
		if closeRe.MatchString(lines[j]) {
			return b, j
		}
		l := lines[j]
		cut := 0
		for cut < indent && cut < len(l) && l[cut] == ' ' {
			cut++
		}
		b.Body = append(b.Body, l[cut:])
	}
	return b, len(lines) - 1
}

// links returns the link targets of one line outside code spans.
func links(n int, line string) []Link {
	text := codeSpanRe.ReplaceAllStringFunc(line, func(s string) string { return strings.Repeat(" ", len(s)) })
	var out []Link
	for _, m := range linkRe.FindAllStringSubmatch(text, -1) {
		out = append(out, Link{n, m[1]})
	}
	if m := refLinkRe.FindStringSubmatch(text); m != nil {
		out = append(out, Link{n, m[1]})
	}
	return out
}

// slug is GitHub's anchor of a heading: the rendered text lower-cased,
// everything but letters, digits, '_', '-' and spaces dropped, spaces
// turned into '-'.
func slug(heading string) string {
	text := linkTextRe.ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

var linkTextRe = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
