package circuit

import (
	"math/big"
	"syscall"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"
)

// sample is a conserving draft of the given capacities: input i spends 1000 of token 7,
// output 0 pays 900 of it, output 1 mints 5 of the contract's own token.
func sample(c Capacities) *DraftV1 {
	d := New(c)
	d.ResultHi, d.ResultLo, d.Contract, d.DraftDigest = big.NewInt(11), big.NewInt(12), big.NewInt(99), big.NewInt(5)
	for i := 0; i < c.NIn; i++ {
		d.InOutpoint[i], d.InToken[i], d.InAmount[i] = big.NewInt(int64(100+i)), big.NewInt(7), big.NewInt(1000)
	}
	for j := 0; j < c.NOut; j++ {
		d.OutOwner[j], d.OutToken[j], d.OutIssuer[j], d.OutAmount[j] = big.NewInt(int64(200+j)), big.NewInt(0), big.NewInt(0), big.NewInt(0)
	}
	d.OutToken[0], d.OutAmount[0] = big.NewInt(7), big.NewInt(900)
	d.OutToken[1], d.OutIssuer[1], d.OutAmount[1] = big.NewInt(8), big.NewInt(99), big.NewInt(5)
	commitment, err := Commitment(d)
	if err != nil {
		panic(err)
	}
	d.Commitment = commitment
	return d
}

func TestRulesAreEnforced(t *testing.T) {
	caps := Circuits["ispc.draft.v1.small"]
	good := sample(caps)
	if err := test.IsSolved(New(caps), good, ecc.BN254.ScalarField()); err != nil {
		t.Fatal(err)
	}
	bad := []func(d *DraftV1){
		func(d *DraftV1) { d.OutAmount[0] = big.NewInt(2001) }, // more out than in, not mintable
		func(d *DraftV1) { d.OutIssuer[1] = big.NewInt(1) },    // a mint of a token issued elsewhere
		func(d *DraftV1) { d.OutAmount[1] = new(big.Int).Lsh(big.NewInt(1), 64) },
		func(d *DraftV1) { d.InAmount[0] = new(big.Int).Lsh(big.NewInt(1), 64) },
		func(d *DraftV1) { d.Commitment = big.NewInt(1) },
	}
	for i, mutate := range bad {
		d := sample(caps)
		mutate(d)
		if i < 4 {
			c, _ := Commitment(d)
			d.Commitment = c // an honest commitment to the bad draft
		}
		if test.IsSolved(New(caps), d, ecc.BN254.ScalarField()) == nil {
			t.Fatalf("case %d: a draft breaking the rules was accepted", i)
		}
	}
}

func BenchmarkProve(b *testing.B) {
	caps := Circuits["ispc.draft.v1"]
	benchmarkProve(b, New(caps), sample(caps))
}

// benchmarkProve proves one assignment b.N times and reports the CPU time per proof besides the
// wall time: on a shared machine the wall time measures the load as much as the prover
// (go test -run XXX -bench Prove -cpu 1,2 -benchtime 20x ./circuit).
func benchmarkProve(b *testing.B, circuit, assignment frontend.Circuit) {
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, circuit)
	if err != nil {
		b.Fatal(err)
	}
	pk, _, err := groth16.Setup(ccs)
	if err != nil {
		b.Fatal(err)
	}
	w, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		b.Fatal(err)
	}
	before := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := groth16.Prove(ccs, pk, w); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-before).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
