//go:build !linux

package sockio

// Read is *net.TCPConn's Read: the raw path is only built and tested on
// Linux.
func (c *Conn) Read(p []byte) (int, error) { return c.TCPConn.Read(p) }

// Write is *net.TCPConn's Write.
func (c *Conn) Write(p []byte) (int, error) { return c.TCPConn.Write(p) }

func (c *Conn) readSyscall(uintptr) bool   { return true }
func (c *Conn) writeSyscalls(uintptr) bool { return true }
