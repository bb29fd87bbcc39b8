package channel

import (
	"errors"

	"github.com/flynn/noise"
)

// Transport frame, sent after the handshake (integers big-endian):
//
//	offset  size  field
//	0       2     ciphertext length L, minFrameSize <= L <= MaxFrameSize
//	2       L     AES-256-GCM ciphertext with its 16-byte tag, over:
//	                offset 0, 1 byte: frame type
//	                offset 1, rest:   data (frameData only)
//
// Each direction has its own key and a nonce that counts frames from zero;
// a replayed, reordered, dropped or modified frame fails authentication.
const (
	// lengthSize is the size of the length prefix of every frame,
	// handshake messages included.
	lengthSize = 2

	// tagSize is the AES-GCM authentication tag, in bytes.
	tagSize = 16

	// MaxFrameSize is the largest ciphertext after a length prefix, in
	// bytes: the Noise message limit.
	MaxFrameSize = noise.MaxMsgLen

	// minFrameSize is the smallest valid ciphertext: a tag and a type byte.
	minFrameSize = tagSize + 1

	// maxFrameData is the most data one frame carries, in bytes.
	maxFrameData = MaxFrameSize - tagSize - 1
)

// RekeyInterval is the number of frames each direction sends under one
// key. After frame number k*RekeyInterval - 1 both ends replace that
// direction's key with Noise REKEY, so a key protects at most 4 GiB.
const RekeyInterval = 1 << 16

// frameType is the first plaintext byte of a transport frame.
type frameType byte

const (
	// frameData carries one or more bytes of the stream.
	frameData frameType = 0

	// frameClose ends the sender's direction of the stream, like a TCP
	// FIN that an attacker cannot forge. Data never follows it.
	frameClose frameType = 1
)

// Buffer sizes.
const (
	// readBufferSize holds two maximum frames, so one read from the
	// network usually brings whole frames.
	readBufferSize = 2 * (lengthSize + MaxFrameSize)

	// writeBatchSize is how many sealed bytes Write gathers before one
	// write to the network.
	writeBatchSize = 4 * (lengthSize + MaxFrameSize)

	// maxEmptyReads bounds successive reads that return no bytes and no
	// error, which only a broken net.Conn does.
	maxEmptyReads = 100
)

// Transport errors. Each is final: the channel returns it for every later
// Read (or Write) and the peer must start a new handshake.
var (
	// ErrFrameAuth means a frame failed authentication: the stream was
	// modified, replayed, reordered or corrupted.
	ErrFrameAuth = errors.New("channel: frame failed authentication; the connection was tampered with or corrupted")

	// ErrTruncated means the stream ended without a close frame, so the
	// data received may be incomplete.
	ErrTruncated = errors.New("channel: stream ended without a close frame; the connection was cut")

	// ErrBadFrame means an authenticated frame broke the framing rules, or
	// a length prefix was out of range.
	ErrBadFrame = errors.New("channel: invalid frame")

	// ErrWriteAfterClose is returned by Write after CloseWrite.
	ErrWriteAfterClose = errors.New("channel: write after CloseWrite")
)
