package fid

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
)

// Pickle opcodes by the shape of their argument (Python's pickletools
// documents each; protocols 0 to 5).
var (
	// pickleFixed maps the opcodes with a fixed-size argument to its size.
	pickleFixed = map[byte]int{
		0x80: 1, // PROTO
		'J':  4, // BININT
		'K':  1, // BININT1
		'M':  2, // BININT2
		'h':  1, // BINGET
		'j':  4, // LONG_BINGET
		'q':  1, // BINPUT
		'r':  4, // LONG_BINPUT
		'G':  8, // BINFLOAT
		0x82: 1, // EXT1
		0x83: 2, // EXT2
		0x84: 4, // EXT4
	}
	// pickleLines maps the opcodes whose argument is text up to a newline to
	// the number of lines; numeric lines are capped (see maxNumberLine).
	pickleLines = map[byte]int{
		'I': 1, 'L': 1, 'F': 1, 'g': 1, 'p': 1, // INT LONG FLOAT GET PUT
		'S': 1, 'V': 1, 'P': 1, // STRING UNICODE PERSID
		'c': 2, 'i': 2, // GLOBAL INST
	}
	// pickleCounted maps the opcodes whose argument is a length followed by
	// that many bytes to the size of the length.
	pickleCounted = map[byte]int{
		'U': 1, 'C': 1, 0x8c: 1, 0x8a: 1, // SHORT_BINSTRING SHORT_BINBYTES SHORT_BINUNICODE LONG1
		'T': 4, 'X': 4, 'B': 4, 0x8b: 4, // BINSTRING BINUNICODE BINBYTES LONG4
		0x8d: 8, 0x8e: 8, 0x96: 8, // BINUNICODE8 BINBYTES8 BYTEARRAY8
	}
	// pickleBare lists the opcodes without an argument.
	pickleBare = "().0123NQRabd}el]ostu\x81\x85\x86\x87\x88\x89\x8f\x90\x91\x92\x93\x94\x97\x98"
)

const (
	pickleStop  = '.'
	pickleFrame = 0x95
	// maxNumberLine bounds the text of INT, LONG, FLOAT, GET and PUT:
	// parsing a decimal integer of n digits takes time quadratic in n.
	maxNumberLine = 64
)

// scanPickle walks the opcodes of the pickle at the start of data without
// running them and returns its length, up to and including STOP. It checks
// what the unpickler would trust: every length is compared with the bytes
// that remain, so that no argument, frame or string claims more than the
// data holds, and numbers in text are short.
func scanPickle(data []byte) (int, error) {
	i := 0
	need := func(n uint64, what string, op byte) error {
		if n > uint64(len(data)-i) {
			return fmt.Errorf("pickle opcode 0x%02x at byte %d: %s claims %d bytes, %d remain", op, i-1, what, n, len(data)-i)
		}
		return nil
	}
	for i < len(data) {
		op := data[i]
		i++
		switch {
		case op == pickleStop:
			return i, nil
		case op == pickleFrame:
			if err := need(8, "frame length", op); err != nil {
				return 0, err
			}
			n := binary.LittleEndian.Uint64(data[i:])
			i += 8
			if err := need(n, "frame", op); err != nil {
				return 0, err
			}
		case pickleFixed[op] > 0:
			n := pickleFixed[op]
			if err := need(uint64(n), "argument", op); err != nil {
				return 0, err
			}
			i += n
		case pickleLines[op] > 0:
			for range pickleLines[op] {
				end := bytes.IndexByte(data[i:], '\n')
				if end < 0 {
					return 0, fmt.Errorf("pickle opcode %q at byte %d: no newline ends its argument", op, i-1)
				}
				if (op == 'I' || op == 'L' || op == 'F' || op == 'g' || op == 'p') && end > maxNumberLine {
					return 0, fmt.Errorf("pickle opcode %q at byte %d: a number of %d characters", op, i-1, end)
				}
				i += end + 1
			}
		case pickleCounted[op] > 0:
			w := pickleCounted[op]
			if err := need(uint64(w), "length", op); err != nil {
				return 0, err
			}
			var n uint64
			switch w {
			case 1:
				n = uint64(data[i])
			case 4:
				n = uint64(binary.LittleEndian.Uint32(data[i:]))
				if (op == 'T' || op == 0x8b) && n >= 1<<31 { // signed lengths
					return 0, fmt.Errorf("pickle opcode %q at byte %d: negative length", op, i-1)
				}
			case 8:
				n = binary.LittleEndian.Uint64(data[i:])
			}
			i += w
			if err := need(n, "data", op); err != nil {
				return 0, err
			}
			if n == 0 && (op == 0x8a || op == 0x8b) {
				// Python reads it as 0; gopickle's decoder indexes the
				// empty slice and panics. torch.save never writes it.
				return 0, fmt.Errorf("pickle opcode 0x%02x at byte %d: an integer of no bytes", op, i-w-1)
			}
			i += int(n)
		case strings.IndexByte(pickleBare, op) >= 0:
		default:
			return 0, fmt.Errorf("pickle: unknown opcode 0x%02x at byte %d", op, i-1)
		}
	}
	return 0, fmt.Errorf("pickle: no STOP in %d bytes", len(data))
}
