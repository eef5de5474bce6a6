package docs

import (
	"strings"
)

// CheckInline checks the command lines of d's inline code spans, which are
// usage as often as commands (`hotplug agent --cluster-name NAME
// [--kubeconfig PATH]`): a hotplug line's subcommand must exist and each
// flag it names must be one of that command's; a make line's targets must
// exist. Nothing is run and positional arguments are not checked.
func (r Repo) CheckInline(d Doc) []Finding {
	var out []Finding
	for _, span := range d.Commands {
		b := Block{File: d.File, Line: span.Line - 1, Lang: "bash", Body: []string{span.Target}}
		cmds, bad := ShellCommands(b)
		out = append(out, bad...)
		for _, c := range cmds {
			if len(c.Words) > 0 && c.Words[0] == "make" {
				out = append(out, r.CheckCommand(b, c).Findings...)
				continue
			}
			if msg := r.checkUsage(c.Words); msg != "" {
				out = append(out, Finding{d.File, span.Line, msg})
			}
		}
	}
	return out
}

// checkUsage checks a hotplug usage line: the leading lower-case words are
// the command path, every word starting with '-' (brackets dropped) a flag
// of that command.
func (r Repo) checkUsage(words []string) string {
	if len(words) > 0 && words[0] == "kubectl" {
		words = words[1:]
	}
	if len(words) == 0 {
		return ""
	}
	var path, flags []string
	inPath := true
	for _, w := range words[1:] {
		w = strings.Trim(w, "[]")
		inPath = inPath && isCommandWord(w)
		switch {
		case inPath:
			path = append(path, w)
		case strings.HasPrefix(w, "-") && w != "-" && w != "--":
			name, _, _ := strings.Cut(w, "=")
			flags = append(flags, name)
		}
	}
	root := r.newRoot()
	cmd, rest, err := root.Find(path)
	if err != nil {
		return "hotplug " + strings.Join(path, " ") + ": " + firstLine(err)
	}
	if len(rest) > 0 && cmd.HasSubCommands() {
		return cmd.CommandPath() + ": no subcommand " + rest[0]
	}
	cmd.InitDefaultHelpFlag()
	_ = cmd.InheritedFlags() // merges the parents' persistent flags into Flags
	for _, f := range flags {
		long, isLong := strings.CutPrefix(f, "--")
		short := strings.TrimPrefix(f, "-")
		if isLong && cmd.Flags().Lookup(long) == nil || !isLong && cmd.Flags().ShorthandLookup(short) == nil {
			return cmd.CommandPath() + ": no flag " + f
		}
	}
	return ""
}

// isCommandWord: lower-case letters and '-', as command names are.
func isCommandWord(w string) bool {
	if w == "" || w[0] == '-' {
		return false
	}
	for _, c := range w {
		if (c < 'a' || c > 'z') && c != '-' {
			return false
		}
	}
	return true
}
