package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/consensys/gnark-crypto/ecc"
	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/witness"
	cs "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/ispc/ispc-gnark-worker/circuit"
)

// ------------------------------------------------------------------------------------ requests

type request struct{ raw map[string]json.RawMessage }

func protocolError(format string, args ...any) *wireError {
	return fail("ProofError", "prover-protocol-error", "see docs/prover-protocol.md for the message fields", format, args...)
}

func (r request) str(name string) (string, error) {
	var v string
	raw, ok := r.raw[name]
	if !ok || json.Unmarshal(raw, &v) != nil {
		return "", protocolError("missing or non-string parameter %q", name)
	}
	return v, nil
}

func (r request) integer(name string, fallback int) (int, error) {
	raw, ok := r.raw[name]
	if !ok || string(raw) == "null" {
		return fallback, nil
	}
	var v int
	if json.Unmarshal(raw, &v) != nil {
		return 0, protocolError("parameter %q must be an integer", name)
	}
	return v, nil
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (r request) circuitID() (string, circuit.Capacities, error) {
	id, err := r.str("circuit_id")
	if err != nil {
		return "", circuit.Capacities{}, err
	}
	caps, ok := circuit.Circuits[id]
	if !ok {
		return "", caps, fail("ValidationError", "validation-error", "", "circuit_id: unknown circuit %q; known: %s",
			id, strings.Join(circuitIDs(), ", "))
	}
	return id, caps, nil
}

func circuitIDs() []string {
	ids := make([]string, 0, len(circuit.Circuits))
	for id := range circuit.Circuits {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// decimal parses a canonical field element: decimal digits, below the BN254 scalar modulus.
func decimal(s string) (*big.Int, bool) {
	if s == "" || len(s) > 78 || strings.TrimLeft(s, "0123456789") != "" || (len(s) > 1 && s[0] == '0') {
		return nil, false
	}
	v, ok := new(big.Int).SetString(s, 10)
	return v, ok && v.Cmp(ecc.BN254.ScalarField()) < 0
}

// ---------------------------------------------------------------------------- compiled circuits

type compiled struct {
	id    string
	caps  circuit.Capacities
	ccs   *cs.R1CS
	hash  string // sha256 of the serialised constraint system: the circuit's pin
	nCons int
}

var (
	compileMu sync.Mutex
	compiledC = map[string]*compiled{}
)

func compileCircuit(id string) (*compiled, error) {
	compileMu.Lock()
	defer compileMu.Unlock()
	if c, ok := compiledC[id]; ok {
		return c, nil
	}
	caps := circuit.Circuits[id]
	ccs, data := readCachedCCS(id, caps)
	if ccs == nil {
		ccsAny, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, circuit.Empty(caps))
		if err != nil {
			return nil, fmt.Errorf("compile %s: %w", id, err)
		}
		ccs = ccsAny.(*cs.R1CS)
		var buf bytes.Buffer
		if _, err := ccs.WriteTo(&buf); err != nil {
			return nil, err
		}
		data = buf.Bytes()
		writeCachedCCS(id, caps, data)
	}
	if len(ccs.GetCommitments().CommitmentIndexes()) != 0 {
		return nil, fmt.Errorf("%s uses the commitment extension; proofs would not be plain Groth16", id)
	}
	sum := sha256.Sum256(data)
	c := &compiled{id: id, caps: caps, ccs: ccs, hash: hex.EncodeToString(sum[:]), nCons: ccs.GetNbConstraints()}
	compiledC[id] = c
	return c, nil
}

// The compiled constraint system is cached next to the worker binary: compiling ispc.draft.v1
// takes ~0.1 s of CPU (0.5 s under load) in every new worker, reading it back ~8 ms. The binary's
// directory is keyed by the hash of the worker's sources (ispc_gnark/build.py), so an entry can
// only come from this very build; whoever can write there could replace the binary itself. The
// header names the circuit and carries the SHA-256 of the payload; anything that does not check
// out is recompiled and rewritten. The constraint-system hash pinned by keys is the payload's.
const ccsMagic = "ISPC-GNARK-CCS\x00\x01"

func ccsCachePath(id string) string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return filepath.Join(filepath.Dir(exe), "ccs-"+id+".bin")
}

func ccsHeader(id string, caps circuit.Capacities) string {
	return fmt.Sprintf("%s%s v%d %d/%d\n", ccsMagic, id, caps.Version, caps.NIn, caps.NOut)
}

func readCachedCCS(id string, caps circuit.Capacities) (ccs *cs.R1CS, data []byte) {
	defer func() { // a payload that makes the decoder panic is one more corrupt entry
		if r := recover(); r != nil {
			ccs, data = nil, nil
		}
	}()
	path := ccsCachePath(id)
	if path == "" {
		return nil, nil
	}
	raw, err := os.ReadFile(path)
	header := ccsHeader(id, caps)
	if err != nil || len(raw) < len(header)+32 || string(raw[:len(header)]) != header {
		return nil, nil
	}
	want := raw[len(header) : len(header)+32]
	data = raw[len(header)+32:]
	if sum := sha256.Sum256(data); !bytes.Equal(sum[:], want) {
		fmt.Fprintf(os.Stderr, "compiled-circuit cache %s is corrupt: recompiling\n", path)
		return nil, nil
	}
	ccs = new(cs.R1CS)
	if _, err := ccs.ReadFrom(bytes.NewReader(data)); err != nil {
		fmt.Fprintf(os.Stderr, "compiled-circuit cache %s unreadable (%v): recompiling\n", path, err)
		return nil, nil
	}
	return ccs, data
}

func writeCachedCCS(id string, caps circuit.Capacities, data []byte) {
	path := ccsCachePath(id)
	if path == "" {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ccs-*.tmp")
	if err != nil {
		return // a read-only installation: compile every time
	}
	sum := sha256.Sum256(data)
	_, werr := tmp.WriteString(ccsHeader(id, caps))
	if werr == nil {
		_, werr = tmp.Write(sum[:])
	}
	if werr == nil {
		_, werr = tmp.Write(data)
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil || os.Rename(tmp.Name(), path) != nil {
		_ = os.Remove(tmp.Name())
	}
}

func opCircuit(r request) (any, error) {
	id, _, err := r.circuitID()
	if err != nil {
		return nil, err
	}
	c, err := compileCircuit(id)
	if err != nil {
		return nil, err
	}
	return map[string]any{"circuit_id": id, "circuit_version": c.caps.Version, "ccs_sha256": c.hash,
		"constraint_count": c.nCons, "public": []string{"commitment", "result_hi", "result_lo", "contract"},
		"inputs": c.caps.NIn, "outputs": c.caps.NOut}, nil
}

// ---------------------------------------------------------------------------------- witnesses

// assignment builds the circuit's witness from the protocol's `input` (signal name -> decimal
// string or list of them; the names and lengths are those of the circuit id's statement version)
// and computes the public commitment natively. It returns the witness and its public inputs.
func assignment(r request, caps circuit.Capacities) (frontend.Circuit, []*big.Int, error) {
	var input map[string]json.RawMessage
	if raw, ok := r.raw["input"]; !ok || json.Unmarshal(raw, &input) != nil {
		return nil, nil, protocolError("missing or non-object parameter \"input\"")
	}
	scalarNames := []string{"result_hi", "result_lo", "contract", "draft_digest"}
	listLens := map[string]int{"in_token": caps.NIn, "in_amount": caps.NIn, "out_token": caps.NOut,
		"out_amount": caps.NOut}
	if caps.Version == 2 {
		listLens["mint"] = caps.NOut
	} else {
		listLens["in_outpoint"], listLens["out_owner"], listLens["out_issuer"] = caps.NIn, caps.NOut, caps.NOut
	}
	witnessErr := func(format string, args ...any) *wireError {
		return fail("WitnessError", "witness-input", "the plugin derives the inputs from the draft (docs/proofs.md)", format, args...)
	}
	scalars, lists := map[string]*big.Int{}, map[string][]*big.Int{}
	for _, name := range scalarNames {
		scalars[name] = nil
	}
	for name, raw := range input {
		if _, ok := scalars[name]; ok {
			var s string
			v, good := (*big.Int)(nil), json.Unmarshal(raw, &s) == nil
			if good {
				v, good = decimal(s)
			}
			if !good {
				return nil, nil, witnessErr("signal %s must be a decimal field element", name)
			}
			scalars[name] = v
			continue
		}
		n, ok := listLens[name]
		if !ok {
			return nil, nil, witnessErr("unknown signal %q", name)
		}
		var ss []string
		if json.Unmarshal(raw, &ss) != nil || len(ss) != n {
			return nil, nil, witnessErr("signal %s must be a list of %d decimal strings", name, n)
		}
		vals := make([]*big.Int, n)
		for i, s := range ss {
			v, good := decimal(s)
			if !good {
				return nil, nil, witnessErr("signal %s[%d] must be a decimal field element", name, i)
			}
			vals[i] = v
		}
		lists[name] = vals
	}
	if len(input) != len(scalarNames)+len(listLens) {
		return nil, nil, witnessErr("input has %d of the %d signals", len(input), len(scalarNames)+len(listLens))
	}
	hi, lo, contract, digest := scalars["result_hi"], scalars["result_lo"], scalars["contract"], scalars["draft_digest"]
	if caps.Version == 2 {
		d, err := circuit.AssignV2(caps, hi, lo, contract, digest, lists["in_amount"], lists["out_amount"],
			lists["in_token"], lists["out_token"], lists["mint"])
		if err != nil {
			return nil, nil, witnessErr("%v", err)
		}
		return d, publicOf(d.Commitment, d.ResultHi, d.ResultLo, d.Contract), nil
	}
	d := circuit.New(caps)
	d.ResultHi, d.ResultLo, d.Contract, d.DraftDigest = hi, lo, contract, digest
	for name, target := range map[string][]frontend.Variable{"in_outpoint": d.InOutpoint, "in_token": d.InToken,
		"in_amount": d.InAmount, "out_owner": d.OutOwner, "out_token": d.OutToken,
		"out_issuer": d.OutIssuer, "out_amount": d.OutAmount} {
		for i, v := range lists[name] {
			target[i] = v
		}
	}
	commitment, err := circuit.Commitment(d)
	if err != nil {
		return nil, nil, witnessErr("%v", err)
	}
	d.Commitment = commitment
	return d, publicOf(d.Commitment, d.ResultHi, d.ResultLo, d.Contract), nil
}

func publicOf(vs ...frontend.Variable) []*big.Int {
	out := []*big.Int{}
	for _, v := range vs {
		out = append(out, v.(*big.Int))
	}
	return out
}

func decimals(vs []*big.Int) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.String()
	}
	return out
}

func opPublic(r request) (any, error) {
	_, caps, err := r.circuitID()
	if err != nil {
		return nil, err
	}
	_, public, err := assignment(r, caps)
	if err != nil {
		return nil, err
	}
	return map[string]any{"public": decimals(public)}, nil
}

// ---------------------------------------------------------------------------------------- keys

type loadedKey struct {
	signature string
	pk        *groth16bn254.ProvingKey
	vk        *groth16bn254.VerifyingKey
	meta      map[string]any
}

type keyCache struct {
	mu   sync.Mutex
	keys map[string]*loadedKey
}

func newKeyCache() *keyCache { return &keyCache{keys: map[string]*loadedKey{}} }

func keyError(code, hint, format string, args ...any) *wireError {
	return fail("KeyNotFound", code, hint, format, args...)
}

const corruptHint = "delete the key directory and run `ispc setup` again"

func fileSignature(dir string) string {
	entries, _ := os.ReadDir(dir)
	var b strings.Builder
	for _, e := range entries {
		if info, err := e.Info(); err == nil {
			fmt.Fprintf(&b, "%s:%d:%d;", e.Name(), info.Size(), info.ModTime().UnixNano())
		}
	}
	return b.String()
}

func sha256File(path string) (string, []byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", nil, err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), data, nil
}

// load returns the key named vkHash after checking it completely: every file against meta.json,
// the circuit id, version and constraint-system hash against this worker's own compilation, and
// the directory name against the hash of the binary verifying key itself.
func (k *keyCache) load(r request, needPK bool) (*compiled, *loadedKey, error) {
	keyDir, err := r.str("key_dir")
	if err != nil {
		return nil, nil, err
	}
	id, _, err := r.circuitID()
	if err != nil {
		return nil, nil, err
	}
	vkHash, err := r.str("vk_hash")
	if err != nil {
		return nil, nil, err
	}
	if !hex64.MatchString(vkHash) {
		return nil, nil, keyError("key-hash-invalid", "", "%q is not a verification key hash", vkHash)
	}
	c, err := compileCircuit(id)
	if err != nil {
		return nil, nil, err
	}
	dir := filepath.Join(keyDir, id, vkHash)
	k.mu.Lock()
	defer k.mu.Unlock()
	sig := fileSignature(dir)
	if cached, ok := k.keys[dir]; ok && cached.signature == sig && (cached.pk != nil || !needPK) {
		return c, cached, nil
	}
	metaBytes, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		return nil, nil, keyError("key-not-found", "run `ispc setup`, or install the key of the setup you trust",
			"no key %s... for circuit %q in %s", vkHash[:16], id, keyDir)
	}
	var meta map[string]any
	if json.Unmarshal(metaBytes, &meta) != nil {
		return nil, nil, keyError("key-corrupt", corruptHint, "%s/meta.json is not JSON", dir)
	}
	if meta["circuit_id"] != id {
		return nil, nil, keyError("key-circuit-mismatch", "obtain the keys from the setup you trust",
			"key directory %s belongs to circuit %v, not %s", dir, meta["circuit_id"], id)
	}
	if v, _ := meta["circuit_version"].(float64); int(v) != c.caps.Version {
		return nil, nil, keyError("key-version-mismatch", "run `ispc setup` again for the new circuit version",
			"key directory %s is for %s v%v, this worker proves v%d", dir, id, meta["circuit_version"], c.caps.Version)
	}
	if meta["ccs_sha256"] != c.hash {
		return nil, nil, keyError("key-circuit-mismatch", "keys are only accepted for the exact circuit this worker compiles; run `ispc setup` again",
			"key directory %s was made for another constraint system (%v, this worker compiles %s)", dir, meta["ccs_sha256"], c.hash)
	}
	files, _ := meta["files"].(map[string]any)
	read := func(name string) ([]byte, error) {
		want, _ := files[name].(string)
		got, data, err := sha256File(filepath.Join(dir, name))
		if err != nil || want == "" || got != want {
			return nil, keyError("key-corrupt", corruptHint, "%s was modified after setup", filepath.Join(dir, name))
		}
		return data, nil
	}
	vkBytes, err := read("verifying_key.bin")
	if err != nil {
		return nil, nil, err
	}
	vk := new(groth16bn254.VerifyingKey)
	if _, err := vk.ReadFrom(bytes.NewReader(vkBytes)); err != nil {
		return nil, nil, keyError("key-corrupt", corruptHint, "%s/verifying_key.bin: %v", dir, err)
	}
	if len(vk.G1.K) != 5 || len(vk.CommitmentKeys) != 0 {
		return nil, nil, keyError("key-circuit-mismatch", corruptHint, "%s holds a key with %d public inputs or commitments", dir, len(vk.G1.K)-1)
	}
	jsonBytes, err := read("verification_key.json")
	if err != nil {
		return nil, nil, err
	}
	var onDisk map[string]any
	_ = json.Unmarshal(jsonBytes, &onDisk)
	mine := snarkjsVK(vk)
	if hashVK(mine) != vkHash || !sameVK(onDisk, mine) {
		return nil, nil, keyError("key-corrupt", corruptHint, "key directory %s does not hash to its name", dir)
	}
	loaded := &loadedKey{signature: sig, vk: vk, meta: meta}
	if needPK {
		pkBytes, err := read("proving_key.bin")
		if err != nil {
			return nil, nil, err
		}
		pk := new(groth16bn254.ProvingKey)
		// The file's SHA-256 was just checked against meta.json, whose key hash was checked
		// against the verifying key: the unchecked (fast) reader is safe here.
		if _, err := pk.UnsafeReadFrom(bytes.NewReader(pkBytes)); err != nil {
			return nil, nil, keyError("key-corrupt", corruptHint, "%s/proving_key.bin: %v", dir, err)
		}
		loaded.pk = pk
	}
	k.keys[dir] = loaded
	return c, loaded, nil
}

// --------------------------------------------------------------------------- snarkjs formats

func g1JSON(p *curve.G1Affine) []string {
	return []string{p.X.String(), p.Y.String(), "1"}
}

func g2JSON(p *curve.G2Affine) [][]string {
	return [][]string{{p.X.A0.String(), p.X.A1.String()}, {p.Y.A0.String(), p.Y.A1.String()}, {"1", "0"}}
}

// snarkjsVK is the verifying key in snarkjs' verification_key.json format.
func snarkjsVK(vk *groth16bn254.VerifyingKey) map[string]any {
	ic := make([][]string, len(vk.G1.K))
	for i := range vk.G1.K {
		ic[i] = g1JSON(&vk.G1.K[i])
	}
	return map[string]any{"protocol": "groth16", "curve": "bn128", "nPublic": len(vk.G1.K) - 1,
		"vk_alpha_1": g1JSON(&vk.G1.Alpha), "vk_beta_2": g2JSON(&vk.G2.Beta),
		"vk_gamma_2": g2JSON(&vk.G2.Gamma), "vk_delta_2": g2JSON(&vk.G2.Delta), "IC": ic}
}

// hashVK is ispc_framework.encoding.digest("ispc.groth16/vk", canonical JSON) (docs/prover-protocol.md).
func hashVK(vk map[string]any) string {
	canon := map[string]any{}
	for _, name := range []string{"protocol", "curve", "nPublic", "vk_alpha_1", "vk_beta_2", "vk_gamma_2", "vk_delta_2", "IC"} {
		canon[name] = vk[name]
	}
	text, _ := json.Marshal(canon) // sorted keys, no spaces: Python's canonical form
	label := "ispc.groth16/vk"
	h := sha256.New()
	h.Write([]byte("ISPC"))
	h.Write([]byte{1})
	_ = binary.Write(h, binary.BigEndian, uint16(len(label)))
	h.Write([]byte(label))
	h.Write(text)
	return hex.EncodeToString(h.Sum(nil))
}

func sameVK(a, b map[string]any) bool {
	ja, _ := json.Marshal(normalise(a))
	jb, _ := json.Marshal(normalise(b))
	return bytes.Equal(ja, jb)
}

func normalise(vk map[string]any) map[string]any {
	out := map[string]any{}
	for _, name := range []string{"protocol", "curve", "nPublic", "vk_alpha_1", "vk_beta_2", "vk_gamma_2", "vk_delta_2", "IC"} {
		raw, _ := json.Marshal(vk[name])
		var v any
		_ = json.Unmarshal(raw, &v)
		out[name] = v
	}
	return out
}

// proofBytes is the 256-byte Ethereum layout: A.x A.y | B.x.c1 B.x.c0 B.y.c1 B.y.c0 | C.x C.y.
func proofBytes(p *groth16bn254.Proof) []byte {
	out := make([]byte, 0, 256)
	for _, e := range []fp.Element{p.Ar.X, p.Ar.Y, p.Bs.X.A1, p.Bs.X.A0, p.Bs.Y.A1, p.Bs.Y.A0, p.Krs.X, p.Krs.Y} {
		b := e.Bytes()
		out = append(out, b[:]...)
	}
	return out
}

func malformed(format string, args ...any) *wireError {
	return fail("VerificationFailed", "proof-malformed", "a proof is 256 bytes of curve points (docs/prover-protocol.md)", format, args...)
}

func parseProof(hexProof string) (*groth16bn254.Proof, error) {
	raw, err := hex.DecodeString(hexProof)
	if err != nil || len(raw) != 256 {
		return nil, malformed("the proof is not 256 bytes of hex")
	}
	var e [8]fp.Element
	for i := range e {
		if err := e[i].SetBytesCanonical(raw[32*i : 32*i+32]); err != nil {
			return nil, malformed("proof coordinate %d is not a base-field element", i)
		}
	}
	p := new(groth16bn254.Proof)
	p.Ar.X, p.Ar.Y = e[0], e[1]
	p.Bs.X.A1, p.Bs.X.A0, p.Bs.Y.A1, p.Bs.Y.A0 = e[2], e[3], e[4], e[5]
	p.Krs.X, p.Krs.Y = e[6], e[7]
	if !p.Ar.IsOnCurve() || !p.Ar.IsInSubGroup() || !p.Krs.IsOnCurve() || !p.Krs.IsInSubGroup() ||
		!p.Bs.IsOnCurve() || !p.Bs.IsInSubGroup() {
		return nil, malformed("the proof's points are not on the curve (or not in its prime-order subgroup)")
	}
	return p, nil
}

func publicWitness(c *compiled, public []string) (witness.Witness, error) {
	if len(public) != 4 {
		return nil, fmt.Errorf("%d public inputs, the circuit has 4", len(public))
	}
	var vals [4]*big.Int
	for i, s := range public {
		v, ok := decimal(s)
		if !ok {
			return nil, fmt.Errorf("public input %d is not a field element", i)
		}
		vals[i] = v
	}
	return frontend.NewWitness(circuit.WithPublic(c.caps, vals), ecc.BN254.ScalarField(), frontend.PublicOnly())
}

// ------------------------------------------------------------------------------- prove, verify

// opLoad parses and checks the proving key now (it stays in the cache), so the prove request
// that follows does not wait for it.
func (s *server) opLoad(r request) (any, error) {
	if _, _, err := s.keys.load(r, true); err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

func (s *server) opProve(r request) (any, error) {
	c, key, err := s.keys.load(r, true)
	if err != nil {
		return nil, err
	}
	d, public, err := assignment(r, c.caps)
	if err != nil {
		return nil, err
	}
	full, err := frontend.NewWitness(d, ecc.BN254.ScalarField())
	if err != nil {
		return nil, err
	}
	proofAny, err := groth16.Prove(c.ccs, key.pk, full)
	if err != nil {
		return nil, fail("WitnessError", "witness-unsatisfied", "the draft breaks a rule of the statement (range, conservation)",
			"the circuit's constraints fail for this input: %v", err)
	}
	proof := proofAny.(*groth16bn254.Proof)
	if len(proof.Commitments) != 0 {
		return nil, fmt.Errorf("the proof carries commitments: not plain Groth16")
	}
	return map[string]any{"proof": hex.EncodeToString(proofBytes(proof)), "public": decimals(public)}, nil
}

func (s *server) opVerify(r request) (any, error) {
	c, key, err := s.keys.load(r, false)
	if err != nil {
		return nil, err
	}
	hexProof, err := r.str("proof")
	if err != nil {
		return nil, err
	}
	var public []string
	if raw, ok := r.raw["public"]; !ok || json.Unmarshal(raw, &public) != nil {
		return nil, protocolError("missing or non-list parameter \"public\"")
	}
	proof, err := parseProof(hexProof)
	if err != nil {
		return nil, err
	}
	pw, err := publicWitness(c, public)
	if err != nil {
		return map[string]any{"valid": false, "reason": err.Error()}, nil
	}
	if err := groth16.Verify(proof, key.vk, pw); err != nil {
		return map[string]any{"valid": false, "reason": err.Error()}, nil
	}
	return map[string]any{"valid": true}, nil
}

func (s *server) opExportVerifier(r request) (any, error) {
	_, key, err := s.keys.load(r, false)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := key.vk.ExportSolidity(&b); err != nil {
		return nil, err
	}
	return map[string]any{"solidity": b.String()}, nil
}
