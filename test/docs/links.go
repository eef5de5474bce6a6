package docs

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

var schemeRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

// CheckLinks checks d's relative links: the file or directory must exist
// (relative to d's directory), and an anchor into a Markdown file must be
// one of its headings', and a line anchor into a Go file (#L68) must point
// at a declaration (func, type, var, const), so a tour into the code fails
// here when the code moves instead of pointing at the wrong line. parse
// returns the Doc of a repository file, for anchors.
func CheckLinks(root string, d Doc, parse func(file string) (Doc, error)) []Finding {
	var out []Finding
	for _, l := range d.Links {
		if schemeRe.MatchString(l.Target) || strings.HasPrefix(l.Target, "//") {
			continue
		}
		target, anchor, _ := strings.Cut(l.Target, "#")
		if p, err := url.PathUnescape(target); err == nil {
			target = p
		}
		file := d.File
		if target != "" {
			file = filepath.Join(filepath.Dir(d.File), target)
			if strings.HasPrefix(target, "/") {
				file = strings.TrimPrefix(target, "/")
			}
			if _, err := os.Stat(filepath.Join(root, file)); err != nil {
				out = append(out, Finding{d.File, l.Line, "link to a missing file: " + l.Target})
				continue
			}
		}
		if anchor != "" && strings.HasSuffix(file, ".go") {
			if msg := goLineAnchor(filepath.Join(root, file), anchor); msg != "" {
				out = append(out, Finding{d.File, l.Line, "link " + l.Target + ": " + msg})
			}
			continue
		}
		if anchor == "" || !strings.HasSuffix(file, ".md") {
			continue
		}
		td := d
		if file != d.File {
			var err error
			if td, err = parse(file); err != nil {
				out = append(out, Finding{d.File, l.Line, "link " + l.Target + ": " + err.Error()})
				continue
			}
		}
		if !td.Anchors[strings.ToLower(anchor)] {
			out = append(out, Finding{d.File, l.Line, "link to a missing heading: " + l.Target})
		}
	}
	return out
}

var goLineRe = regexp.MustCompile(`^L([0-9]+)$`)

// goLineAnchor says what is wrong with a line anchor into a Go file, or "".
func goLineAnchor(path, anchor string) string {
	m := goLineRe.FindStringSubmatch(anchor)
	if m == nil {
		return ""
	}
	n, _ := strconv.Atoi(m[1])
	src, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(string(src), "\n")
	if n < 1 || n > len(lines) {
		return "past the end of the file"
	}
	for _, kw := range []string{"func ", "type ", "var ", "const "} {
		if strings.HasPrefix(lines[n-1], kw) {
			return ""
		}
	}
	return "line " + m[1] + " is not a declaration (the code moved: point the link at it again)"
}
