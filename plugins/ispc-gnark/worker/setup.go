package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
)

// opSetup writes a key into `out_dir` (a fresh staging directory the plugin made and will hash,
// describe in meta.json and rename into place): verification_key.json (snarkjs format),
// verifying_key.bin and proving_key.bin (gnark's raw encodings). It returns what meta.json
// records about how the key was made.
//
// mode "testing": groth16.Setup, one party who knows the toxic waste (testing only).
// mode "ceremony": gnark's MPC (mpcsetup): phase 1 (powers of tau for the circuit's domain) and
// phase 2 (circuit specific), each with `contributions` contributions verified in sequence, and
// sealed with a random beacon. Run here, all contributions come from this machine: a real
// ceremony passes the serialised phases between parties; the transcript hashes are recorded.
func (s *server) opSetup(r request, id any) (any, error) {
	circuitID, caps, err := r.circuitID()
	if err != nil {
		return nil, err
	}
	outDir, err := r.str("out_dir")
	if err != nil {
		return nil, err
	}
	mode, err := r.str("mode")
	if err != nil {
		return nil, err
	}
	contributions, err := r.integer("contributions", 1)
	if err != nil {
		return nil, err
	}
	if contributions < 1 || contributions > 16 {
		return nil, protocolError("contributions must be 1..16")
	}
	progress := func(step, format string, args ...any) {
		s.send(map[string]any{"id": id, "progress": map[string]any{"step": step, "message": fmt.Sprintf(format, args...)}})
	}
	progress("compile", "compiling %s", circuitID)
	c, err := compileCircuit(circuitID)
	if err != nil {
		return nil, err
	}
	meta := map[string]any{"circuit_id": circuitID, "circuit_version": caps.Version, "mode": mode,
		"constraint_count": c.nCons, "ccs_sha256": c.hash, "backend": "gnark", "backend_version": gnarkVersion()}
	var pk groth16.ProvingKey
	var vk groth16.VerifyingKey
	switch mode {
	case "testing":
		progress("setup", "single-party setup (testing only) for %d constraints", c.nCons)
		pk, vk, err = groth16.Setup(c.ccs)
		if err != nil {
			return nil, err
		}
		meta["testing_only"], meta["trust"] = true, "single party: whoever ran this setup can forge proofs"
	case "ceremony":
		domain := ecc.NextPowerOfTwo(uint64(c.nCons))
		beacon := make([]byte, 32)
		if _, err := rand.Read(beacon); err != nil {
			return nil, err
		}
		var p1 mpcsetup.Phase1
		p1.Initialize(domain)
		phase1 := make([]*mpcsetup.Phase1, contributions)
		for i := range phase1 {
			progress("phase1", "contribution %d/%d to powers of tau (2^%d)", i+1, contributions, log2(domain))
			p1.Contribute()
			phase1[i] = clonePhase1(&p1)
		}
		progress("phase1-verify", "verifying %d phase-1 contribution(s) and sealing with the beacon", contributions)
		commons, err := mpcsetup.VerifyPhase1(domain, beacon, phase1...)
		if err != nil {
			return nil, fail("ProverUnavailable", "setup-failed", "", "phase 1 does not verify: %v", err)
		}
		var p2 mpcsetup.Phase2
		progress("phase2", "initialising phase 2 for %s", circuitID)
		p2.Initialize(c.ccs, &commons)
		phase2 := make([]*mpcsetup.Phase2, contributions)
		for i := range phase2 {
			progress("phase2", "contribution %d/%d to phase 2", i+1, contributions)
			p2.Contribute()
			phase2[i] = clonePhase2(&p2)
		}
		progress("phase2-verify", "verifying %d phase-2 contribution(s) and sealing with the beacon", contributions)
		pk, vk, err = mpcsetup.VerifyPhase2(c.ccs, &commons, beacon, phase2...)
		if err != nil {
			return nil, fail("ProverUnavailable", "setup-failed", "", "phase 2 does not verify: %v", err)
		}
		meta["testing_only"] = false
		meta["trust"] = fmt.Sprintf("gnark mpcsetup, %d contribution(s) per phase on this machine; sound if one contributor destroyed their randomness", contributions)
		meta["contributions"] = contributions
		meta["beacon"] = hex.EncodeToString(beacon)
		meta["phase1_transcript_sha256"] = transcriptHash(phase1[len(phase1)-1])
		meta["phase2_transcript_sha256"] = transcriptHash(phase2[len(phase2)-1])
	default:
		return nil, fail("ConfigError", "prover-config", "choose ceremony or testing", "setup mode %q is unknown", mode)
	}
	progress("export", "writing the keys")
	if err := writeKey(outDir, pk.(*groth16bn254.ProvingKey), vk.(*groth16bn254.VerifyingKey)); err != nil {
		return nil, fail("ProverUnavailable", "setup-failed", "check that the key directory is writable", "%v", err)
	}
	meta["vk_hash"] = hashVK(snarkjsVK(vk.(*groth16bn254.VerifyingKey)))
	progress("done", "key %s", meta["vk_hash"])
	return meta, nil
}

func log2(n uint64) int {
	k := 0
	for n > 1 {
		n >>= 1
		k++
	}
	return k
}

func clonePhase1(p *mpcsetup.Phase1) *mpcsetup.Phase1 {
	var b bytes.Buffer
	if _, err := p.WriteTo(&b); err != nil {
		panic(err)
	}
	out := new(mpcsetup.Phase1)
	if _, err := out.ReadFrom(&b); err != nil {
		panic(err)
	}
	return out
}

func clonePhase2(p *mpcsetup.Phase2) *mpcsetup.Phase2 {
	var b bytes.Buffer
	if _, err := p.WriteTo(&b); err != nil {
		panic(err)
	}
	out := new(mpcsetup.Phase2)
	if _, err := out.ReadFrom(&b); err != nil {
		panic(err)
	}
	return out
}

// transcriptHash is the SHA-256 of a phase's last contribution as serialised for the next party.
func transcriptHash(w io.WriterTo) string {
	h := sha256.New()
	if _, err := w.WriteTo(h); err != nil {
		panic(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func writeKey(dir string, pk *groth16bn254.ProvingKey, vk *groth16bn254.VerifyingKey) error {
	var pkBuf, vkBuf bytes.Buffer
	if _, err := pk.WriteRawTo(&pkBuf); err != nil {
		return err
	}
	if _, err := vk.WriteTo(&vkBuf); err != nil {
		return err
	}
	js, err := json.MarshalIndent(snarkjsVK(vk), "", " ")
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{"proving_key.bin": pkBuf.Bytes(), "verifying_key.bin": vkBuf.Bytes(),
		"verification_key.json": append(js, '\n')} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
