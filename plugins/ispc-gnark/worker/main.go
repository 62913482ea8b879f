// Command ispc-gnark-worker proves and verifies ispc.draft.v2 and ispc.draft.v1 with gnark (Groth16, BN254),
// speaking protocol 1 of docs/prover-protocol.md: one JSON request per line on stdin, one reply
// per request on stdout, progress lines during setup. Logs go to stderr only.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"syscall"

	"github.com/consensys/gnark/logger"
	"github.com/rs/zerolog"
)

const protocol = 1

var ops = []string{"info", "circuit", "setup", "load", "prove", "verify", "public", "export-verifier", "shutdown"}

// sourceHash is set at build time (-ldflags "-X main.sourceHash=...") to the hash of the worker
// sources the plugin expects; the plugin refuses a worker built from other sources.
var sourceHash = "unset"

// wireError is the error object of docs/prover-protocol.md.
type wireError struct {
	Type    string         `json:"type"`
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Hint    string         `json:"hint,omitempty"`
	Details map[string]any `json:"details,omitempty"`
}

func (e *wireError) Error() string { return e.Code + ": " + e.Message }

func fail(typ, code, hint, format string, args ...any) *wireError {
	return &wireError{Type: typ, Code: code, Message: fmt.Sprintf(format, args...), Hint: hint}
}

type server struct {
	out  *json.Encoder
	keys *keyCache
}

func (s *server) send(msg map[string]any) {
	msg["protocol"] = protocol
	if err := s.out.Encode(msg); err != nil {
		fmt.Fprintln(os.Stderr, "cannot write reply:", err)
		os.Exit(3)
	}
}

func gnarkVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "github.com/consensys/gnark" {
				return dep.Version
			}
		}
	}
	return "unknown"
}

func (s *server) handle(line []byte) (keepGoing bool) {
	var msg map[string]json.RawMessage
	var id any
	reply := func(result any, err error) {
		if err == nil {
			s.send(map[string]any{"id": id, "ok": true, "result": result})
			return
		}
		we, ok := err.(*wireError)
		if !ok {
			we = fail("ProofError", "prover-internal-error", "see the worker's stderr", "%v", err)
		}
		s.send(map[string]any{"id": id, "ok": false, "error": we})
	}
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "panic: %v\n%s", r, debug.Stack())
			reply(nil, fail("ProofError", "prover-internal-error", "see the worker's stderr", "panic: %v", r))
			keepGoing = true
		}
	}()
	if err := json.Unmarshal(line, &msg); err != nil {
		reply(nil, fail("ProofError", "prover-protocol-error", "send one JSON object per line", "not a JSON object: %v", err))
		return true
	}
	if raw, ok := msg["id"]; ok {
		_ = json.Unmarshal(raw, &id)
	}
	var version int
	if err := json.Unmarshal(msg["protocol"], &version); err != nil || version != protocol {
		reply(nil, fail("ProofError", "prover-protocol-mismatch", "install matching prover and plugin versions",
			"protocol %s is not supported (this worker speaks %d)", string(msg["protocol"]), protocol))
		return true
	}
	var op string
	_ = json.Unmarshal(msg["op"], &op)
	req := request{raw: msg}
	switch op {
	case "info":
		reply(map[string]any{"protocol": protocol, "backend": "gnark", "backend_version": gnarkVersion(),
			"scheme": "groth16", "curve": "bn254", "ops": ops, "circuits": circuitIDs(),
			"pid": os.Getpid(), "source_hash": sourceHash}, nil)
	case "circuit":
		reply(opCircuit(req))
	case "setup":
		reply(s.opSetup(req, id))
	case "load":
		reply(s.opLoad(req))
	case "prove":
		reply(s.opProve(req))
	case "verify":
		reply(s.opVerify(req))
	case "public":
		reply(opPublic(req))
	case "export-verifier":
		reply(s.opExportVerifier(req))
	case "shutdown":
		reply(map[string]any{}, nil)
		return false
	default:
		reply(nil, fail("ProofError", "prover-protocol-error", "see docs/prover-protocol.md", "unknown op %q", op))
	}
	return true
}

// claimStdout keeps the real stdout for protocol messages and points fd 1 at stderr, so nothing
// a library prints can corrupt a reply.
func claimStdout() *os.File {
	fd, err := syscall.Dup(1)
	if err != nil {
		panic(err)
	}
	if err := syscall.Dup3(2, 1, 0); err != nil {
		panic(err)
	}
	os.Stdout = os.Stderr
	return os.NewFile(uintptr(fd), "protocol")
}

func main() {
	out := claimStdout()
	logger.Set(zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, NoColor: true}).With().Timestamp().Logger())
	w := bufio.NewWriter(out)
	s := &server{out: json.NewEncoder(flushWriter{w}), keys: newKeyCache()}
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	for {
		line, err := in.ReadBytes('\n')
		if len(line) > 0 && len(trimSpace(line)) > 0 {
			if !s.handle(line) {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

type flushWriter struct{ w *bufio.Writer }

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err == nil {
		err = f.w.Flush()
	}
	return n, err
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}
