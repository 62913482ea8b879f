pragma circom 2.1.0;

// ispc.draft.v1: a transaction draft conserves value, bound to one execution result.
// The exact statement, the field encoding of every signal and what a verifier learns are in
// docs/proofs.md; keep the two in step (the encoder lives in ispc_groth16/draft_encoding.py).

include "poseidon.circom";
include "bitify.circom";
include "comparators.circom";

// Poseidon sponge over n field elements: state = Poseidon(state, next 15 elements), zero-padded.
template Commit(n) {
    signal input in[n];
    signal output out;
    var RATE = 15;
    var CALLS = (n + RATE - 1) \ RATE;
    component h[CALLS];
    for (var c = 0; c < CALLS; c++) {
        h[c] = Poseidon(RATE + 1);
        h[c].inputs[0] <== c == 0 ? 0 : h[c - 1].out;
        for (var k = 0; k < RATE; k++) {
            var idx = c * RATE + k;
            h[c].inputs[k + 1] <== idx < n ? in[idx] : 0;
        }
    }
    out <== h[CALLS - 1].out;
}

template DraftV1(NIN, NOUT) {
    // Public: the draft commitment (an output, computed from the witness), the execution result
    // hash as two 128-bit limbs, and the executing contract (the only issuer that may mint).
    signal output commitment;
    signal input result_hi;
    signal input result_lo;
    signal input contract;

    // Private: the draft, zero-padded to capacity.
    signal input draft_digest;
    signal input in_outpoint[NIN];
    signal input in_token[NIN];
    signal input in_amount[NIN];
    signal input out_owner[NOUT];
    signal input out_token[NOUT];
    signal input out_issuer[NOUT];
    signal input out_amount[NOUT];

    // 1. The commitment is recomputed from the witness.
    var N = 4 + 3 * NIN + 4 * NOUT;
    component commit = Commit(N);
    commit.in[0] <== 1;            // version tag of the encoding
    commit.in[1] <== contract;
    commit.in[2] <== draft_digest;
    commit.in[3] <== NIN * 256 + NOUT;
    for (var i = 0; i < NIN; i++) {
        commit.in[4 + 3 * i] <== in_outpoint[i];
        commit.in[5 + 3 * i] <== in_token[i];
        commit.in[6 + 3 * i] <== in_amount[i];
    }
    for (var j = 0; j < NOUT; j++) {
        commit.in[4 + 3 * NIN + 4 * j] <== out_owner[j];
        commit.in[5 + 3 * NIN + 4 * j] <== out_token[j];
        commit.in[6 + 3 * NIN + 4 * j] <== out_issuer[j];
        commit.in[7 + 3 * NIN + 4 * j] <== out_amount[j];
    }
    commitment <== commit.out;

    // 2. Every amount is in [0, 2^64).
    component in_range[NIN];
    for (var i = 0; i < NIN; i++) {
        in_range[i] = Num2Bits(64);
        in_range[i].in <== in_amount[i];
    }
    component out_range[NOUT];
    for (var j = 0; j < NOUT; j++) {
        out_range[j] = Num2Bits(64);
        out_range[j].in <== out_amount[j];
    }

    // 3. Per token of every output: total out <= total in, unless the executing contract issued it.
    component eq_in[NOUT][NIN];
    component eq_out[NOUT][NOUT];
    signal in_part[NOUT][NIN];
    signal out_part[NOUT][NOUT];
    component within[NOUT];
    component mintable[NOUT];
    for (var j = 0; j < NOUT; j++) {
        var in_sum = 0;
        for (var i = 0; i < NIN; i++) {
            eq_in[j][i] = IsEqual();
            eq_in[j][i].in[0] <== out_token[j];
            eq_in[j][i].in[1] <== in_token[i];
            in_part[j][i] <== eq_in[j][i].out * in_amount[i];
            in_sum += in_part[j][i];
        }
        var out_sum = 0;
        for (var k = 0; k < NOUT; k++) {
            eq_out[j][k] = IsEqual();
            eq_out[j][k].in[0] <== out_token[j];
            eq_out[j][k].in[1] <== out_token[k];
            out_part[j][k] <== eq_out[j][k].out * out_amount[k];
            out_sum += out_part[j][k];
        }
        // Sums of at most 2 * 16 amounts below 2^64 stay below 2^70.
        within[j] = LessEqThan(70);
        within[j].in[0] <== out_sum;
        within[j].in[1] <== in_sum;
        mintable[j] = IsEqual();
        mintable[j].in[0] <== out_issuer[j];
        mintable[j].in[1] <== contract;
        (1 - within[j].out) * (1 - mintable[j].out) === 0;
    }

    // Tie the result-hash limbs into a constraint of their own so no optimiser can drop them
    // (a public input outside every constraint would be malleable).
    signal result_sq;
    result_sq <== result_hi * result_lo;
}

// No main component here: ispc_groth16/circuits.py instantiates DraftV1 with each circuit id's
// capacities, public [result_hi, result_lo, contract].
