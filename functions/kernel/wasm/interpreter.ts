/**
 * Runs a plan once: every instruction in order ([opcode, length, args...], see ../abi.ts). One forward and
 * backward pass of the gradient program for one batch.
 */
import {
  GEMM_RELU, GEMM_ROWS, GEMM_TRANS_B, OP_AFFINE, OP_AVGPOOL, OP_BINARY, OP_CONV, OP_CONV_T, OP_COPY, OP_GEMM,
  OP_MAXPOOL, OP_REDUCE, OP_SELECT_GT, OP_SOFTMAX, OP_TRANSPOSE, OP_UNARY, OP_UNPOOL,
} from '../abi';
import { gemmNN, gemmNT, gemmRows, mostlyNonzero } from './gemm';
import { conv, convT } from './conv';
import { avgPool, maxPool, unpool } from './pool';
import { affine, binary, reduce, selectGt, softmax, transpose, unary } from './elementwise';

@inline function w(a: usize, i: i32): i32 { return load<i32>(a + (<usize>i << 2)); }
@inline function p(a: usize, i: i32): usize { return <usize>load<i32>(a + (<usize>i << 2)); }
@inline function f(a: usize, i: i32): f32 { return load<f32>(a + (<usize>i << 2)); }

/** Y = bias (per column, or 0), then Y += A . B, then ReLU or the mask */
export function opGemm(a: usize): void {
  const M = w(a, 0), K = w(a, 1), N = w(a, 2);
  const A = p(a, 3), B = p(a, 4), Y = p(a, 5);
  const flags = w(a, 6);
  const bias = p(a, 7), mask = p(a, 8);
  const rowY = <usize>N << 2;
  for (let m = 0; m < M; m++) {
    const y = Y + <usize>m * rowY;
    if (bias == 0) memory.fill(y, 0, rowY);
    else memory.copy(y, bias, rowY);
  }
  if (flags & GEMM_TRANS_B) gemmNT(M, K, N, A, B, Y, mask);
  else {
    if (flags & GEMM_ROWS && !mostlyNonzero(M * K, A)) gemmRows(M, K, N, A, B, Y);
    else gemmNN(M, K, N, A, B, Y);
    if (mask != 0) selectGt(M * N, mask, 0, Y, 0, Y);
  }
  if (flags & GEMM_RELU) unary(0, M * N, Y, Y);
}

// Each instruction's arguments are read by a function of its own, so that `run`, which V8 tiers up after a few
// steps, stays a small loop cheap to compile, and the readers of ops a program does not use are never compiled.

export function opConv(a: usize): void {
  conv(w(a, 0), w(a, 1), w(a, 2), w(a, 3), w(a, 4), w(a, 5), w(a, 6), w(a, 7), w(a, 8), w(a, 9), w(a, 10), w(a, 11), w(a, 12), w(a, 13), w(a, 14), w(a, 15),
    p(a, 16), p(a, 17), p(a, 18), p(a, 19), p(a, 20), w(a, 21) != 0);
}

export function opConvT(a: usize): void {
  convT(w(a, 0), w(a, 1), w(a, 2), w(a, 3), w(a, 4), w(a, 5), w(a, 6), w(a, 7), w(a, 8), w(a, 9), w(a, 10), w(a, 11), w(a, 12), w(a, 13), w(a, 14), w(a, 15),
    p(a, 16), p(a, 17), p(a, 18), p(a, 19));
}

export function opMaxPool(a: usize): void {
  maxPool(w(a, 0), w(a, 1), w(a, 2), w(a, 3), w(a, 4), w(a, 5), w(a, 6), w(a, 7), w(a, 8), w(a, 9), w(a, 10), w(a, 11), w(a, 12), w(a, 13), p(a, 14), p(a, 15), p(a, 16));
}

export function opUnpool(a: usize): void {
  unpool(w(a, 0), w(a, 1), w(a, 2), w(a, 3), p(a, 4), p(a, 5), p(a, 6));
}

export function opAvgPool(a: usize): void {
  avgPool(w(a, 0), w(a, 1), w(a, 2), w(a, 3), w(a, 4), w(a, 5), w(a, 6), w(a, 7), w(a, 8), w(a, 9), w(a, 10), w(a, 11), w(a, 12), w(a, 13), w(a, 14) != 0, p(a, 15), p(a, 16));
}

export function opBinary(a: usize): void {
  binary(w(a, 0), w(a, 1), w(a, 2), w(a, 3), w(a, 4), w(a, 5), w(a, 6), w(a, 7), w(a, 8), w(a, 9), w(a, 10), w(a, 11), w(a, 12), p(a, 13), p(a, 14), p(a, 15));
}

export function opUnary(a: usize): void { unary(w(a, 0), w(a, 1), p(a, 2), p(a, 3)); }
export function opSelectGt(a: usize): void { selectGt(w(a, 0), p(a, 1), f(a, 2), p(a, 3), f(a, 4), p(a, 5)); }
export function opSoftmax(a: usize): void { softmax(w(a, 0), w(a, 1), p(a, 2), p(a, 3), w(a, 4) != 0); }
export function opReduce(a: usize): void { reduce(w(a, 0), w(a, 1), w(a, 2), p(a, 3), p(a, 4), f(a, 5)); }
export function opTranspose(a: usize): void { transpose(w(a, 0), w(a, 1), w(a, 2), w(a, 3), w(a, 4), w(a, 5), w(a, 6), w(a, 7), p(a, 8), p(a, 9)); }
export function opAffine(a: usize): void { affine(w(a, 0), w(a, 1), w(a, 2), p(a, 3), p(a, 4), p(a, 5), p(a, 6)); }

export function run(plan: usize, words: i32): void {
  let at = plan;
  const end = plan + (<usize>words << 2);
  while (at < end) {
    const op = load<i32>(at);
    const len = load<i32>(at, 4);
    const a = at + 8;
    switch (op) {
      case OP_GEMM: opGemm(a); break;
      case OP_CONV: opConv(a); break;
      case OP_CONV_T: opConvT(a); break;
      case OP_MAXPOOL: opMaxPool(a); break;
      case OP_UNPOOL: opUnpool(a); break;
      case OP_AVGPOOL: opAvgPool(a); break;
      case OP_BINARY: opBinary(a); break;
      case OP_UNARY: opUnary(a); break;
      case OP_SELECT_GT: opSelectGt(a); break;
      case OP_SOFTMAX: opSoftmax(a); break;
      case OP_REDUCE: opReduce(a); break;
      case OP_TRANSPOSE: opTranspose(a); break;
      case OP_AFFINE: opAffine(a); break;
      case OP_COPY: memory.copy(p(a, 2), p(a, 1), <usize>w(a, 0) << 2); break;
      default: unreachable();
    }
    at += <usize>len << 2;
  }
}
