package chartpkg

import (
	"fmt"
	"io/fs"
	"syscall"
)

// fileStatKey identifies a package file's version without reading it:
// device, inode, size, modification and change time. The change time
// (ctime) cannot be set back by anyone but the kernel, so a file rewritten
// in place at the same size, with its modification time restored, still
// gets a new key; a file replaced by a rename gets a new inode. It returns
// "" where the platform gives no inode (the content hash then decides).
func fileStatKey(info fs.FileInfo) string {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok || st == nil {
		return ""
	}
	return fmt.Sprintf("%d:%d:%d:%d.%d:%d.%d", st.Dev, st.Ino, st.Size,
		st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec)
}
