package chartpkg

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"github.com/kubecube-io/hotplug/internal/limits"
)

// ErrUnsafeName is wrapped by Load's error when pkgName is refused because it
// could designate something outside the package directory.
var ErrUnsafeName = errors.New("unsafe chart package name")

// Load loads pkgName (a .tgz file or a chart directory) from inside dir,
// within the default limits (limits.Default) and without caching; see
// Loader for the bounds applied before Helm parses anything.
//
// It refuses names that escape dir: absolute paths, any ".." element, and
// symlinks (the file itself, any parent, or for a chart directory any file
// inside it) resolving outside dir; such refusals wrap ErrUnsafeName.
// Only regular files and directories are loaded. A missing file or a corrupt
// package returns an error naming the file and the directory.
func Load(dir, pkgName string) (*chartv2.Chart, error) {
	pkg, err := NewLoader(dir, limits.Default()).Load(pkgName)
	if err != nil {
		return nil, err
	}
	return pkg.loaded, nil
}

// resolve returns the real path of pkgName inside dir after checking that
// neither it nor anything it contains resolves outside dir.
func resolve(dir, pkgName string) (string, fs.FileInfo, error) {
	if err := checkName(pkgName); err != nil {
		return "", nil, err
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return "", nil, fmt.Errorf("resolve directory: %w", err)
	}
	root, err = filepath.EvalSymlinks(root)
	if err != nil {
		return "", nil, fmt.Errorf("resolve directory: %w", err)
	}
	real, err := filepath.EvalSymlinks(filepath.Join(root, pkgName))
	if err != nil {
		return "", nil, fmt.Errorf("resolve package: %w", err)
	}
	if !within(root, real) {
		return "", nil, fmt.Errorf("%w: resolves outside the directory", ErrUnsafeName)
	}
	info, err := os.Stat(real)
	if err != nil {
		return "", nil, fmt.Errorf("stat package: %w", err)
	}
	switch {
	case info.Mode().IsRegular():
	case info.IsDir():
		if err := checkTree(root, real, map[string]bool{}); err != nil {
			return "", nil, err
		}
	default:
		return "", nil, fmt.Errorf("%w: not a regular file or directory (%s)", ErrUnsafeName, info.Mode().Type())
	}
	return real, info, nil
}

// checkName refuses empty, absolute and ".."-containing names.
func checkName(pkgName string) error {
	switch {
	case pkgName == "":
		return fmt.Errorf("%w: empty name", ErrUnsafeName)
	case strings.ContainsRune(pkgName, 0):
		return fmt.Errorf("%w: contains NUL", ErrUnsafeName)
	case filepath.IsAbs(pkgName) || strings.HasPrefix(pkgName, "/") || strings.HasPrefix(pkgName, `\`):
		return fmt.Errorf("%w: absolute path", ErrUnsafeName)
	}
	for _, elem := range strings.FieldsFunc(pkgName, func(r rune) bool { return r == '/' || r == '\\' }) {
		if elem == ".." {
			return fmt.Errorf("%w: contains \"..\"", ErrUnsafeName)
		}
	}
	return nil
}

// checkTree refuses a chart directory holding symlinks or special files that
// would make Helm's directory loader read outside root.
// visited holds the real directories already checked, so symlink loops end.
func checkTree(root, chartDir string, visited map[string]bool) error {
	if visited[chartDir] {
		return nil
	}
	visited[chartDir] = true
	return filepath.WalkDir(chartDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("walk chart directory: %w", err)
		}
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := filepath.EvalSymlinks(p)
			if err != nil {
				return fmt.Errorf("resolve %q: %w", p, err)
			}
			if !within(root, target) {
				return fmt.Errorf("%w: %q resolves outside the directory", ErrUnsafeName, p)
			}
			info, err := os.Stat(target)
			if err != nil {
				return fmt.Errorf("stat %q: %w", p, err)
			}
			if info.IsDir() {
				// Helm follows directory symlinks; check what it will walk.
				return checkTree(root, target, visited)
			}
			if !info.Mode().IsRegular() {
				return fmt.Errorf("%w: %q is not a regular file", ErrUnsafeName, p)
			}
			return nil
		}
		if !d.IsDir() && !d.Type().IsRegular() {
			return fmt.Errorf("%w: %q is not a regular file", ErrUnsafeName, p)
		}
		return nil
	})
}

// within reports whether path is root or lies below it (both cleaned, absolute).
func within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel))
}
