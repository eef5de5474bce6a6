package docs

import (
	"regexp"
	"strings"
)

// Command is one simple command of a shell block: its words with quotes
// removed (assignments, redirections and case patterns dropped), and the
// line it starts on.
type Command struct {
	Line  int
	Words []string
	// Assigns are the values of leading NAME=value words.
	Assigns []string
}

// ShellCommands splits a bash/sh/console block into simple commands. In a
// console block only lines starting with "$ " are commands (the rest is
// output). Comments and blank lines are skipped, lines ending in '\' joined,
// here-document bodies skipped, and commands split at |, ||, &&, ;, ;; and
// &; the commands inside $(...) and `...` are returned too.
func ShellCommands(b Block) ([]Command, []Finding) {
	var out []Command
	var findings []Finding
	for _, l := range logicalLines(b) {
		cmds, err := splitCommands(l.text, l.line)
		if err != "" {
			findings = append(findings, Finding{b.File, l.line, err + ": " + l.text})
			continue
		}
		out = append(out, cmds...)
	}
	return out, findings
}

type logical struct {
	line int
	text string
}

var heredocRe = regexp.MustCompile(`<<-?\s*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?`)

// logicalLines joins continuations and drops comments, blanks, console
// output and here-document bodies; line numbers are the file's.
func logicalLines(b Block) []logical {
	var out []logical
	console := b.Lang == "console"
	for i := 0; i < len(b.Body); i++ {
		line := strings.TrimSpace(b.Body[i])
		start := b.Line + 1 + i
		if console {
			if !strings.HasPrefix(line, "$ ") && line != "$" {
				continue
			}
			line = strings.TrimSpace(strings.TrimPrefix(line, "$"))
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line, i = joinContinued(line, b.Body, i)
		if m := heredocRe.FindStringSubmatch(line); m != nil {
			for i+1 < len(b.Body) && strings.TrimSpace(b.Body[i+1]) != m[1] {
				i++
			}
			i++ // the delimiter
		}
		out = append(out, logical{start, line})
	}
	return out
}

// joinContinued appends to line, which is body[i], the lines that continue
// it: after a trailing '\', or while a quoted string is open. It returns the
// logical line and the index of its last line.
func joinContinued(line string, body []string, i int) (string, int) {
	for i+1 < len(body) {
		switch {
		case strings.HasSuffix(line, `\`):
			line = strings.TrimSuffix(line, `\`) + " " + strings.TrimSpace(body[i+1])
		case openQuote(line):
			line += "\n" + body[i+1]
		default:
			return line, i
		}
		i++
	}
	return line, i
}

// openQuote tells whether s ends inside a quoted string, which then goes on
// on the next line.
func openQuote(s string) bool {
	quote := byte(0)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			}
		case c == '\\':
			i++
		case quote == '"':
			if c == '"' {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
			return false
		}
	}
	return quote != 0
}

// splitCommands tokenizes one logical line; err is set on unbalanced quotes
// or parentheses.
func splitCommands(s string, line int) ([]Command, string) {
	t := tokenizer{s: s, line: line}
	for t.i = 0; t.i < len(s); t.i++ {
		if err := t.step(); err != "" {
			return nil, err
		}
	}
	t.endCommand()
	return append(t.cmds, t.nested...), ""
}

// tokenizer holds the state of splitCommands.
type tokenizer struct {
	s      string
	i      int
	line   int
	cmds   []Command
	nested []Command
	words  []string
	word   strings.Builder
	inWord bool
}

// step consumes s[i] (and what belongs to it), leaving i on its last byte.
func (t *tokenizer) step() string {
	s, i, c := t.s, t.i, t.s[t.i]
	switch {
	case c == '\'':
		j := strings.IndexByte(s[i+1:], '\'')
		if j < 0 {
			return "unbalanced '"
		}
		t.add(s[i+1:i+1+j], i+j+1)
	case c == '"':
		j, text, inner, err := doubleQuoted(s, i+1, t.line)
		if err != "" {
			return err
		}
		t.nested = append(t.nested, inner...)
		t.add(text, j)
	case c == '\\' && i+1 < len(s):
		t.add(s[i+1:i+2], i+1)
	case c == '$' && i+1 < len(s) && s[i+1] == '(':
		j, inner, err := substitution(s, i+2, t.line)
		if err != "" {
			return err
		}
		t.nested = append(t.nested, inner...)
		t.add(s[i:j+1], j)
	case c == '`':
		j := strings.IndexByte(s[i+1:], '`')
		if j < 0 {
			return "unbalanced `"
		}
		inner, err := splitCommands(s[i+1:i+1+j], t.line)
		if err != "" {
			return err
		}
		t.nested = append(t.nested, inner...)
		t.add(s[i:i+j+2], i+j+1)
	case c == '#' && !t.inWord:
		t.i = len(s)
	case c == ' ' || c == '\t' || c == '\n':
		t.endWord()
	case t.isOperator():
		t.endCommand()
		for t.i+1 < len(s) && strings.IndexByte("|;&", s[t.i+1]) >= 0 {
			t.i++
		}
	default:
		t.add(s[i:i+1], i)
	}
	return ""
}

// isOperator: s[i] is |, ; or & and not part of a redirection (2>&1, &>).
func (t *tokenizer) isOperator() bool {
	switch t.s[t.i] {
	case '|', ';':
		return true
	case '&':
		redirect := strings.HasSuffix(t.word.String(), ">") || t.i+1 < len(t.s) && t.s[t.i+1] == '>'
		return !redirect
	}
	return false
}

// add appends text to the current word and moves to last.
func (t *tokenizer) add(text string, last int) {
	t.word.WriteString(text)
	t.inWord = true
	t.i = last
}

func (t *tokenizer) endWord() {
	if t.inWord {
		t.words = append(t.words, t.word.String())
		t.word.Reset()
		t.inWord = false
	}
}

func (t *tokenizer) endCommand() {
	t.endWord()
	if c, ok := simpleCommand(t.line, t.words); ok {
		t.cmds = append(t.cmds, c)
	}
	t.words = nil
}

// doubleQuoted reads a "..." string from s[start:] (after the quote): its
// text, the commands of $(...) inside it, and the index of the closing quote.
func doubleQuoted(s string, start, line int) (int, string, []Command, string) {
	var b strings.Builder
	var nested []Command
	for i := start; i < len(s); i++ {
		switch {
		case s[i] == '"':
			return i, b.String(), nested, ""
		case s[i] == '\\' && i+1 < len(s):
			b.WriteByte(s[i+1])
			i++
		case s[i] == '$' && i+1 < len(s) && s[i+1] == '(':
			j, inner, err := substitution(s, i+2, line)
			if err != "" {
				return 0, "", nil, err
			}
			nested = append(nested, inner...)
			b.WriteString(s[i : j+1])
			i = j
		default:
			b.WriteByte(s[i])
		}
	}
	return 0, "", nil, `unbalanced "`
}

// substitution reads $(...) from s[start:] (after "$("): the commands inside
// and the index of the closing parenthesis.
func substitution(s string, start, line int) (int, []Command, string) {
	depth := 1
	quote := byte(0)
	for i := start; i < len(s); i++ {
		switch c := s[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				inner, err := splitCommands(s[start:i], line)
				return i, inner, err
			}
		}
	}
	return 0, nil, "unbalanced $("
}

var (
	assignRe   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)
	redirectRe = regexp.MustCompile(`^[0-9]*(>>?|<<?-?|&>>?|<>|>&|<&)`)
	casePatRe  = regexp.MustCompile(`^[^$(]*\)$`)
)

// openers are shell keywords before a command; closers end a compound
// command and are no command themselves.
var (
	openers = map[string]bool{"if": true, "then": true, "else": true, "elif": true, "do": true, "while": true, "until": true, "!": true, "{": true}
	closers = map[string]bool{"fi": true, "done": true, "esac": true, "}": true}
)

// simpleCommand drops shell keywords (if, then, do, case WORD in, fi, ...),
// leading assignments, redirections (with their targets) and a leading case
// pattern ("0)") from words.
func simpleCommand(line int, words []string) (Command, bool) {
	c := Command{Line: line}
	for len(words) > 0 && assignRe.MatchString(words[0]) {
		c.Assigns = append(c.Assigns, words[0][strings.IndexByte(words[0], '=')+1:])
		words = words[1:]
	}
	for len(words) > 0 && openers[words[0]] {
		words = words[1:]
	}
	if len(words) >= 3 && words[0] == "case" && words[2] == "in" {
		words = words[3:]
	}
	if len(words) > 0 && casePatRe.MatchString(words[0]) {
		words = words[1:]
	}
	if len(words) == 1 && closers[words[0]] {
		words = nil
	}
	for i := 0; i < len(words); i++ {
		w := words[i]
		if isPlaceholder(w) || !redirectRe.MatchString(w) {
			c.Words = append(c.Words, w)
			continue
		}
		if redirectRe.FindString(w) == w && !strings.HasSuffix(w, "&") {
			i++ // the target is the next word
		}
	}
	return c, len(c.Words) > 0 || len(c.Assigns) > 0
}

// isPlaceholder tells a documentation placeholder such as <state>/kubeconfig
// from a redirection.
func isPlaceholder(w string) bool {
	return len(w) > 2 && w[0] == '<' && (w[1] >= 'a' && w[1] <= 'z' || w[1] >= 'A' && w[1] <= 'Z') && strings.Contains(w, ">")
}
