package chartpkg

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"helm.sh/helm/v4/pkg/ignore"
)

// dirBatch is how many directory entries are read at once, so that a
// directory of a million empty files is refused after a few batches
// instead of being listed whole.
const dirBatch = 256

// visitFunc is called for every file and directory of a chart directory
// that Helm's LoadDir would read: rel is its slash-separated path inside
// the chart, real its path on disk, fi its stat (symlinks followed).
type visitFunc func(rel, real string, fi fs.FileInfo) error

// walkChartDir visits root's tree as Helm's LoadDir reads it: the top
// directory's .helmignore rules (plus Helm's defaults) applied, symlinks
// followed. It does not guard against symlink loops: visit must bound the
// walk (entry count, path length), which a loop exceeds.
func walkChartDir(root string, visit visitFunc) error {
	rules := ignore.Empty()
	if _, err := os.Stat(filepath.Join(root, ignore.HelmIgnore)); err == nil {
		r, err := ignore.ParseFile(filepath.Join(root, ignore.HelmIgnore))
		if err != nil {
			return fmt.Errorf("read %s: %w", ignore.HelmIgnore, err)
		}
		rules = r
	}
	rules.AddDefaults()
	return walkDir(root, "", rules, visit)
}

// walkDir visits the entries below dir, whose chart path is rel.
func walkDir(dir, rel string, rules *ignore.Rules, visit visitFunc) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory: %w", err)
	}
	defer f.Close()
	for {
		batch, err := f.ReadDir(dirBatch)
		for _, e := range batch {
			childRel := path.Join(rel, e.Name())
			childReal := filepath.Join(dir, e.Name())
			fi, err := os.Stat(childReal)
			if err != nil {
				return fmt.Errorf("stat %q: %w", cut(childRel), err)
			}
			if rules.Ignore(childRel, fi) {
				continue
			}
			if err := visit(childRel, childReal, fi); err != nil {
				return err
			}
			if fi.IsDir() {
				if err := walkDir(childReal, childRel, rules, visit); err != nil {
					return err
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read directory %q: %w", cut(rel), err)
		}
	}
}

// dir scans the chart directory root as walkChartDir visits it. Irregular
// files are left to Helm, which refuses them.
func (s *scanner) dir(root string) error {
	return walkChartDir(root, func(rel, real string, fi fs.FileInfo) error {
		if err := s.name(rel, rel); err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return s.entry(rel, rel, 0, nil, 0)
		}
		f, err := os.Open(real)
		if err != nil {
			return fmt.Errorf("open %q: %w", cut(rel), err)
		}
		defer f.Close()
		return s.entry(rel, rel, fi.Size(), &countedReader{s: s, r: f}, 0)
	})
}

// dirKey identifies the state of a chart directory cheaply: a hash of every
// visited path with its size, modification time and mode, in walk order.
// Content rewritten in place with the same size and time keeps the key;
// charts are replaced by copying, which changes the time. The walk is
// bounded by the same entry and name limits as the scan.
func dirKey(root string, maxEntries, maxName int) (string, error) {
	h := sha256.New()
	n := 0
	err := walkChartDir(root, func(rel, _ string, fi fs.FileInfo) error {
		if n++; n > maxEntries || len(rel) > maxName {
			return errTooBigToKey
		}
		fmt.Fprintf(h, "%q %d %d %v\n", rel, fi.Size(), fi.ModTime().UnixNano(), fi.Mode())
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// errTooBigToKey stops dirKey's walk; the scan that follows reports which
// limit the directory exceeds.
var errTooBigToKey = errors.New("chart directory exceeds the scan limits")
