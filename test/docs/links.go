package docs

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

var schemeRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

// CheckLinks checks d's relative links: the file or directory must exist
// (relative to d's directory), and an anchor into a Markdown file must be
// one of its headings' (anchors of other files, such as #L10, are not
// checked). parse returns the Doc of a repository file, for anchors.
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
